"""Hybrid retrieval: dense (e5 + FAISS) fused with BM25 over segmented Vietnamese text."""
