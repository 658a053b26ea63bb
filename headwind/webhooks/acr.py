"""Azure Container Registry webhooks.

ACR's push event (learn.microsoft.com, "Azure Container Registry webhook reference") has the
shape of a Distribution event without the envelope: `action`, `target.repository`,
`target.tag`, `target.digest`, and `request.host`, the registry's login server
(`myregistry.azurecr.io`). Other actions (`delete`, `chart_push`, `quarantine`, the `ping` the
portal sends) are not image pushes and are skipped. ACR signs nothing; it sends the custom
headers configured on the webhook, so the secret travels in `Authorization`.
"""

from __future__ import annotations

from typing import Any

from headwind.webhooks import pushes
from headwind.webhooks.pushes import Context, PayloadError, PushedImage

__all__ = ["parse"]


def parse(payload: Any, context: Context) -> list[PushedImage]:
    """The image of a `push` event; nothing for other actions."""
    if pushes.text(payload, "action") != "push":
        return []
    repository = pushes.text(payload, "target.repository")
    tag = pushes.optional_text(payload, "target.tag")
    digest = pushes.optional_text(payload, "target.digest")
    if tag is None and digest is None:
        raise PayloadError("field 'target' names neither a tag nor a digest")
    host = pushes.text(payload, "request.host")
    return [pushes.pushed(host, repository, tag, digest)]
