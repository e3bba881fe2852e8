"""Knowledge-base use cases: importing a file (staged upload, background job, reindex)."""
