"""Prometheus metrics that several layers increment, defined once.

`updates` (applies, rollbacks, health checks, transitions) and `registries` (registry requests
by status). Metrics that belong to one process part stay beside it (`api.metrics`,
`worker.detecting.metrics`).
"""
