"""Hybrid retrieval: dense (sentence-transformers + FAISS) fused with BM25 over segmented Vietnamese."""
