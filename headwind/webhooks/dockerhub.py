"""Docker Hub repository webhooks.

Docker Hub posts one JSON document per push (docs.docker.com, "Webhooks", example payload):
`repository.repo_name` is `namespace/name` (official images may say `nginx` or
`library/nginx`; `images.repository_key` makes both `docker.io/library/nginx`) and
`push_data.tag` is the tag pushed. No digest is sent, and nothing is signed: the secret travels
in the URL (see `headwind.webhooks.auth`).
"""

from __future__ import annotations

from typing import Any

from headwind import images
from headwind.webhooks import pushes
from headwind.webhooks.pushes import Context, PushedImage

__all__ = ["parse"]


def parse(payload: Any, context: Context) -> list[PushedImage]:
    """The one tag a Docker Hub webhook announces."""
    repository = pushes.text(payload, "repository.repo_name")
    tag = pushes.text(payload, "push_data.tag")
    return [pushes.pushed(images.DEFAULT_REGISTRY, repository, tag, None)]
