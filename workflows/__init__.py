"""Deterministic orchestration only: one package per long-running process."""
