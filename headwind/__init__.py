"""Headwind's domain core: versions, policy, image references, annotations, settings.

Pure Python on purpose: nothing here imports Temporal, FastAPI or Kubernetes, so the rules
that decide what gets updated can be tested and reused (CLI, workflows, API) without any of them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("headwind")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
