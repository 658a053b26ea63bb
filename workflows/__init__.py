"""Deterministic Temporal workflow code: orchestration only, no I/O."""
