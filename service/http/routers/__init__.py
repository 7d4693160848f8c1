"""One router per resource: events (intake), live aggregates, yearly totals, and the
process's own endpoints (registries, health, readiness, metrics)."""
