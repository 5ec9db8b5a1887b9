"""The composition root: process entry points (dev stack, API server, workers, migrate)."""
