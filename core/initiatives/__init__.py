"""Initiatives (sáng kiến): logging, similar-initiative detection and separate rubric evaluation."""
