"""Temporal, as Headwind's processes reach it: connecting, starting and deciding updates.

`connection` opens a client with Headwind's settings and data converter; `operations` turns
"propose this tag", "approve that request", "list pending updates" into client calls (the REST
API, the CLI and the poll activity share it); `attributes` holds the typed search-attribute keys
that workflows set and visibility queries read.
"""

from __future__ import annotations

from clients.temporal.connection import connect

__all__ = ["connect"]
