"""Registry polling and Helm chart discovery: the activity a polling Schedule runs (SPEC §7).

The facade of the package; the worker registers `PollingActivities(...).poll_repository`.

Modules: `metrics` (counters), `credentials` (imagePullSecrets → registry credentials),
`charts` (a HelmRepository's chart versions, HTTP `index.yaml` or OCI), `scanning` (the
activity: list, HEAD, choose, propose).
"""

from __future__ import annotations

from activities.polling.scanning import INDEX_NOT_SYNCED, PollingActivities, Proposer

__all__ = ["INDEX_NOT_SYNCED", "PollingActivities", "Proposer"]
