"""REST API and web console (FastAPI), a thin front over the core services."""
