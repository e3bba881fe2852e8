"""Append-only, hash-chained audit log of every state and knowledge-base change."""
