"""`troly eval` end to end on a slice of the shared legal set (skipped when it is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import Settings
from retrieval.evaluation import run_eval

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "alqac25"
# Every 11th article: ~300 articles spread over all 28 laws (the novelty protocol needs many).
STEP = 11

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (DATA / "corpus.jsonl").exists(), reason="alqac25 not available"),
]


def _slice(tmp: Path) -> tuple[Path, Path, int]:
    lines = (DATA / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[::STEP]
    ids = {json.loads(line)["id"] for line in lines}
    questions = [
        line
        for line in (DATA / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip() and set(json.loads(line)["relevant"]) <= ids
    ]
    corpus, qfile = tmp / "corpus.jsonl", tmp / "questions.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    qfile.write_text("\n".join(questions) + "\n", encoding="utf-8")
    return corpus, qfile, len(questions)


async def test_eval_on_a_slice_is_sane_and_leaves_the_live_kb_alone(
    settings: Settings, tmp_path: Path
) -> None:
    corpus, questions, n = _slice(tmp_path)
    # bfloat16 only to keep the test quick; quality is the same within noise.
    fast = settings.model_copy(update={"embedding_dtype": "bfloat16"})
    out = tmp_path / "results.jsonl"
    run = await run_eval(
        fast, corpus, questions, k=10, out=out, variants=("accented", "unaccented"), novelty=True
    )
    accented, unaccented = run.reports
    assert accented.questions == unaccented.questions == n > 30
    assert accented.mode == "hybrid"
    for report in run.reports:
        assert report.hit1 >= 0.6 and report.hit5 >= 0.85 and report.mrr10 >= 0.7
        assert report.hit1 <= report.hit5 <= report.hit10
    # Typed without diacritics, nearly every question keeps its confidence.
    assert unaccented.consistent_with(accented) >= 0.8
    rows = [
        json.loads(line)
        for line in out.with_suffix(".unaccented.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(rows) == n
    first = rows[0]
    assert set(first) == {"id", "variant", "understood", "results", "confidence", "novel"}
    assert first["variant"] == "unaccented" and first["understood"]
    assert len(first["results"]) == len(set(first["results"])) == 10
    assert all("#" in r for r in first["results"])
    novelty = run.novelty
    assert novelty is not None and novelty.held_out == novelty.documents // 3
    assert novelty.not_covered > 5 and novelty.correct > 5
    assert novelty.auroc > 0.7  # far better than chance even on a small slice
    # The live knowledge base (settings' own data dir) was never written to.
    assert not (settings.index_dir / "manifest.json").exists()
