"""Temporal activities: every side effect (Kubernetes, registries, notifications)."""
