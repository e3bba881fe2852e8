"""One router per API resource, aggregated under /api/v1 in api.main."""
