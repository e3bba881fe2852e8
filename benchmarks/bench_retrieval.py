"""Retrieval speed: query latency at scale, ingest throughput vs raw encoder, peak memory.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_retrieval.py latency --chunks 100000
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_retrieval.py ingest \
        --corpus ../shared/data/alqac25/corpus.jsonl --articles 400

`latency` builds an in-memory index of synthetic Vietnamese-like chunks (syllables drawn at
random from a fixed word list, tokenised for real on a pool of 2,000 and recombined to N) and
times the ranking stage the Retriever runs per query (query encoding with the real model, BM25
over every row, exact FAISS search, fusion). Dense vectors are random unit vectors: a flat
index costs the same whatever the vectors are. It also times saving and re-loading the index files.

`ingest` imports the first N articles of a JSONL corpus into a throwaway database through the
knowledge importer and times `Retriever.create` (tokenising + encoding + persisting every new
chunk), then times the encoder alone on the same passage texts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings
from retrieval.dense import DenseIndex
from retrieval.embedder import load_embedder
from retrieval.engine import ChunkRow, IndexState
from retrieval.filters import DocMeta
from retrieval.store import IndexStore, Persisted
from retrieval.text import passage_tokens, query_tokens

# Common syllables of administrative Vietnamese (a word list, not text).
WORDS = [
    "cán",
    "bộ",
    "công",
    "chức",
    "xã",
    "phường",
    "thị",
    "trấn",
    "ủy",
    "ban",
    "nhân",
    "dân",
    "hội",
    "đồng",
    "chủ",
    "tịch",
    "phó",
    "văn",
    "phòng",
    "thống",
    "kê",
    "tư",
    "pháp",
    "hộ",
    "tịch",
    "địa",
    "chính",
    "xây",
    "dựng",
    "đô",
    "thị",
    "môi",
    "trường",
    "tài",
    "chính",
    "kế",
    "toán",
    "văn",
    "hóa",
    "xã",
    "hội",
    "quân",
    "sự",
    "công",
    "an",
    "người",
    "dân",
    "hồ",
    "sơ",
    "thủ",
    "tục",
    "đăng",
    "ký",
    "khai",
    "sinh",
    "kết",
    "hôn",
    "chứng",
    "thực",
    "bản",
    "sao",
    "giấy",
    "tờ",
    "đất",
    "đai",
    "quyền",
    "sử",
    "dụng",
    "nhà",
    "ở",
    "cấp",
    "giấy",
    "phép",
    "kinh",
    "doanh",
    "hộ",
    "gia",
    "đình",
    "cá",
    "nhân",
    "tổ",
    "chức",
    "cơ",
    "quan",
    "đơn",
    "vị",
    "quy",
    "định",
    "hướng",
    "dẫn",
    "thời",
    "hạn",
    "ngày",
    "làm",
    "việc",
    "tiếp",
    "nhận",
    "giải",
    "quyết",
    "trả",
    "kết",
    "quả",
    "khiếu",
    "nại",
    "tố",
    "cáo",
    "hòa",
    "giải",
    "cơ",
    "sở",
    "thôn",
    "tổ",
    "dân",
    "phố",
    "trưởng",
    "ban",
    "mặt",
    "trận",
    "đoàn",
    "thể",
    "thanh",
    "niên",
    "phụ",
    "nữ",
    "nông",
    "dân",
    "cựu",
    "chiến",
    "binh",
    "y",
    "tế",
    "giáo",
    "dục",
    "trường",
    "học",
    "trạm",
    "bảo",
    "hiểm",
    "chính",
    "sách",
    "trợ",
    "cấp",
    "người",
    "có",
    "công",
    "hộ",
    "nghèo",
    "cận",
    "nghèo",
    "vay",
    "vốn",
    "ngân",
    "hàng",
    "phòng",
    "chống",
    "thiên",
    "tai",
    "lũ",
    "lụt",
    "dịch",
    "bệnh",
    "an",
    "ninh",
    "trật",
    "tự",
    "giao",
    "thông",
    "đường",
    "nông",
    "thôn",
    "mới",
    "ngân",
    "sách",
    "thu",
    "chi",
    "quyết",
    "toán",
    "kiểm",
    "tra",
    "thanh",
    "tra",
    "xử",
    "phạt",
    "vi",
    "phạm",
    "hành",
    "chính",
    "biên",
    "bản",
    "quyết",
    "định",
    "thông",
    "báo",
    "công",
    "khai",
    "lấy",
    "ý",
    "kiến",
    "họp",
    "báo",
    "cáo",
    "định",
    "kỳ",
    "tháng",
    "quý",
    "năm",
]


def synthetic_chunk(rng: random.Random, words: int = 150) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def synthetic_tokens(rng: random.Random, n: int) -> tuple[list[list[str]], int]:
    """BM25 tokens of `n` synthetic chunks, and how many were really tokenised. Tokenising
    100k chunks with pyvi would take minutes of shared CPU and tells nothing about query
    latency: tokenise a pool of 2,000, then recombine halves of pooled chunks."""
    pool = [passage_tokens(synthetic_chunk(rng))[0] for _ in range(min(n, 2000))]
    tokens = []
    for _ in range(n):
        a, b = rng.choice(pool), rng.choice(pool)
        tokens.append(a[: len(a) // 2] + b[len(b) // 2 :])
    return tokens, len(pool)


def random_dense(ids: np.ndarray, dim: int) -> DenseIndex:
    """A flat index of random unit vectors under `ids` (costs the same as real ones)."""
    vectors = np.random.default_rng(7).standard_normal((len(ids), dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dense = DenseIndex(dim)
    dense.add(ids, vectors)
    return dense


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latency(args: argparse.Namespace) -> None:
    settings = Settings()
    embedder = load_embedder(settings)
    rng = random.Random(7)
    n = args.chunks
    started = time.perf_counter()
    tokens, pool = synthetic_tokens(rng, n)
    tok_s = time.perf_counter() - started
    docs = {
        d: DocMeta(d, f"Văn bản {d}", "regulation", "national", None, (), None, None, False, False)
        for d in range(1, n // 50 + 2)
    }
    rows = [ChunkRow(i + 1, i // 50 + 1, f"c:{i + 1}") for i in range(n)]
    dim = embedder.dim if embedder else 384
    dense = random_dense(np.arange(1, n + 1, dtype=np.int64), dim)
    started = time.perf_counter()
    state = IndexState.build(
        revision=1, rows=rows, tokens=tokens, dense=dense, model="bench", docs=docs
    )
    bm25_s = time.perf_counter() - started
    queries = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 25))) for _ in range(200)]
    times = []
    for q in queries:
        t = time.perf_counter()
        qvec = embedder.encode_queries([q])[0] if embedder else None
        state.rank(query_tokens(q), qvec, mask=None, candidates=50, dense_weight=0.7, k=10)
        times.append((time.perf_counter() - t) * 1000)
    # Filtered queries (a date/scope filter leaving half the documents).
    allowed = set(range(1, n // 100 + 1))
    mask = state.row_mask(allowed)
    ftimes = []
    for q in queries[:100]:
        t = time.perf_counter()
        qvec = embedder.encode_queries([q])[0] if embedder else None
        state.rank(query_tokens(q), qvec, mask=mask, candidates=50, dense_weight=0.7, k=10)
        ftimes.append((time.perf_counter() - t) * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        store = IndexStore(Path(tmp))
        t = time.perf_counter()
        store.save(Persisted(1, state.chunk_ids, tokens, "bench", dense, {}))
        save_s = time.perf_counter() - t
        t = time.perf_counter()
        loaded = store.load()
        assert loaded is not None
        IndexState.build(
            revision=1,
            rows=rows,
            tokens=loaded.tokens,
            dense=loaded.dense,
            model="bench",
            docs=docs,
        )
        load_s = time.perf_counter() - t
        size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
    q = statistics.quantiles(times, n=20)
    fq = statistics.quantiles(ftimes, n=20)
    print(
        json.dumps(
            {
                "chunks": n,
                "tokenise_pool_chunks_per_s": round(pool / tok_s, 1),
                "bm25_build_s": round(bm25_s, 1),
                "query_p50_ms": round(statistics.median(times), 1),
                "query_p95_ms": round(q[18], 1),
                "filtered_p50_ms": round(statistics.median(ftimes), 1),
                "filtered_p95_ms": round(fq[18], 1),
                "save_s": round(save_s, 1),
                "load_and_rebuild_s": round(load_s, 1),
                "index_files_mb": round(size, 1),
                "peak_rss_mb": round(peak_mb()),
            }
        )
    )


async def ingest(args: argparse.Namespace) -> None:
    from core.db import create_engine, create_sessionmaker
    from retrieval.evaluation import import_corpus
    from retrieval.service import Retriever
    from retrieval.source import passage_text

    text = await asyncio.to_thread(Path(args.corpus).read_text, encoding="utf-8")
    lines = text.splitlines()[: args.articles]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "slice.jsonl"
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        settings = Settings().model_copy(
            update={
                "data_dir": Path(tmp) / "data",
                "database_url": "",
                "models_dir": Settings().resolved_models_dir.resolve(),
            }
        )
        settings.ensure_dirs()
        t = time.perf_counter()
        await import_corpus(settings, corpus)
        import_s = time.perf_counter() - t
        engine = create_engine(settings.resolved_database_url)
        t = time.perf_counter()
        retriever = await Retriever.create(settings, create_sessionmaker(engine))
        index_s = time.perf_counter() - t
        n = retriever.status().chunks
        from sqlalchemy import select

        from knowledge.models import Chunk, Document

        async with create_sessionmaker(engine)() as session:
            result = await session.execute(
                select(Document.title, Chunk.heading, Chunk.text).join(
                    Document, Document.id == Chunk.document_id
                )
            )
            texts = [passage_text(*row) for row in result]
        await engine.dispose()
        embedder = retriever.embedder
        enc_rate = None
        if embedder is not None:
            t = time.perf_counter()
            embedder.encode_passages(texts, batch_size=settings.embedding_batch_size)
            enc_rate = len(texts) / (time.perf_counter() - t)
        t = time.perf_counter()
        for text in texts:
            passage_tokens(text)
        tok_rate = len(texts) / (time.perf_counter() - t)
        print(
            json.dumps(
                {
                    "articles": args.articles,
                    "chunks": n,
                    "mode": retriever.mode,
                    "dtype": settings.embedding_dtype,
                    "import_chunks_per_s": round(n / import_s, 1),
                    "index_chunks_per_s": round(n / index_s, 1),
                    "end_to_end_chunks_per_s": round(n / (import_s + index_s), 1),
                    "raw_encoder_chunks_per_s": round(enc_rate, 1) if enc_rate else None,
                    "tokeniser_chunks_per_s": round(tok_rate, 1),
                    "peak_rss_mb": round(peak_mb()),
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--chunks", type=int, default=100_000)
    ing = sub.add_parser("ingest")
    ing.add_argument("--corpus", required=True)
    ing.add_argument("--articles", type=int, default=400)
    args = parser.parse_args()
    if args.cmd == "latency":
        latency(args)
    else:
        asyncio.run(ingest(args))


if __name__ == "__main__":
    main()
