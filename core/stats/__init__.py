"""Read-only statistics over questions asked (complements core.cases.stats for the queue)."""
