"""The e5 encoder as an ONNX graph, run by ONNX Runtime: what answers questions.

Why a second runtime beside sentence-transformers (issue 13): importing torch, transformers
and sentence-transformers costs ~5 s of a replica's start and ~500 MB of its memory, and a
question's forward pass is faster in ONNX Runtime (13 ms against 18 ms for torch in bfloat16,
one thread, measured side by side). ONNX Runtime and the Rust `tokenizers` package load in
under a second. `troly models install` exports the graph once from the sentence-transformers
folder (transformer + mean pooling, float32); torch still embeds large batches of passages,
where its bfloat16 kernels are about twice as fast (retrieval/embedder.py picks per call).
Vectors from both agree at cosine ≥ 0.9999 (tests/retrieval/test_onnx_encoder.py).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

# Written by `troly models install` into the model folder; absent in folders we did not build.
ONNX_FILE = "troly-encoder.onnx"
_OPSET = 17


class OnnxEncoder:
    """Mean-pooled (not yet normalised) token embeddings for a batch of texts, on one thread."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        # One thread per run: a question's small matrices gain nothing from a pool, and a
        # spinning pool would steal the other core from requests and the index.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        pad = self._tokenizer.token_to_id("<pad>")
        self._tokenizer.enable_padding(pad_id=1 if pad is None else pad)
        self._tokenizer.enable_truncation(max_length=_max_length(folder))
        self.dim = int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (out,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(out, dtype=np.float32)


def _max_length(folder: Path) -> int:
    """sentence-transformers' own limit for this folder, so both runtimes truncate alike."""
    try:
        config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config.get("max_seq_length") or 512)
    except (OSError, ValueError, TypeError):
        return 512


def export_onnx(folder: Path) -> Path:
    """Write ONNX_FILE into a sentence-transformers folder (transformer + mean pooling)."""
    import torch
    from sentence_transformers import SentenceTransformer

    # Only our own BERT builds are exported; they carry no pooler (mean pooling needs none).
    model = SentenceTransformer(
        str(folder),
        device="cpu",
        local_files_only=True,
        model_kwargs={"add_pooling_layer": False},
    )
    transformer = cast(torch.nn.Module, model[0].auto_model).eval()
    sample = model.tokenizer(["query: xin chào"], return_tensors="pt")

    class _MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    target = folder / ONNX_FILE
    # Written beside the target and renamed: a killed export never leaves a half file.
    handle, staging = tempfile.mkstemp(prefix=f".{ONNX_FILE}.", dir=folder)
    os.close(handle)
    try:
        # The tracer's warnings are about shapes it cannot see; the graph is checked against
        # torch by `troly models install`'s self-test and by the tests.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _MeanPooled(),
                (sample["input_ids"], sample["attention_mask"]),
                staging,
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes={**axes, "embedding": {0: "batch"}},
                opset_version=_OPSET,
                dynamo=False,
            )
        os.replace(staging, target)
    finally:
        Path(staging).unlink(missing_ok=True)
    return target
