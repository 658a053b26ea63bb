"""What a policy *is*: the parsed `headwind.sh/policy` value and the settings it is judged with.

Parsing is separate from evaluating because it happens earlier and elsewhere: the annotation
parser validates `headwind.sh/policy` when it reads a workload (a bad value is reported and
treated as `none`), and the CLI refuses bad flags with exit status 2, both long before any
candidate tag exists. A `Policy` that exists is valid, whoever built it: the model re-checks the
argument, so one deserialised from a workflow history cannot carry an unreadable range.
"""

from __future__ import annotations

import enum
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from headwind import ranges

__all__ = [
    "KEY_GROUPS",
    "SEMVER_KINDS",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicySettings",
    "check_settings",
    "parse_policy",
]


class PolicyError(ValueError):
    """A policy value or a combination of settings a user must fix; the message says how."""


class PolicyKind(enum.StrEnum):
    """The policies, by the name users write."""

    NONE = "none"
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"
    ALL = "all"
    GLOB = "glob"
    FORCE = "force"
    RANGE = "range"
    REGEX = "regex"

    @property
    def takes_argument(self) -> bool:
        return self in {PolicyKind.RANGE, PolicyKind.REGEX}

    @property
    def is_semver(self) -> bool:
        """The policies that only ever consider versions (non-version tags are never candidates)."""
        return self in SEMVER_KINDS

    @property
    def usage(self) -> str:
        return {PolicyKind.RANGE: "range:<constraint>", PolicyKind.REGEX: "regex:<expression>"}.get(
            self, self.value
        )


SEMVER_KINDS = frozenset(
    {PolicyKind.PATCH, PolicyKind.MINOR, PolicyKind.MAJOR, PolicyKind.ALL, PolicyKind.RANGE}
)

_VALID = ", ".join(kind.usage for kind in PolicyKind)

KEY_GROUPS = ("version", "num")
"""Named groups of a `regex:` expression that give the ordering key, the first one present."""


class Policy(BaseModel):
    """A valid policy: its kind and, for `range:` and `regex:`, the text after the colon."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    kind: PolicyKind = PolicyKind.NONE
    argument: str | None = None
    """The constraint of `range:` or the expression of `regex:`; None for the other kinds."""

    @model_validator(mode="after")
    def _argument_fits_kind(self) -> Policy:
        _check_argument(self.kind, self.argument)
        return self

    def constraint(self) -> ranges.Constraint:
        """The parsed `range:` constraint (only meaningful for RANGE)."""
        return ranges.parse(self.argument or "")

    def expression(self) -> re.Pattern[str]:
        """The compiled `regex:` expression (only meaningful for REGEX); `re` caches it."""
        return re.compile(self.argument or "")

    def __str__(self) -> str:
        """The annotation value that parses back to this policy (`minor`, `range:>=1.2`)."""
        return f"{self.kind.value}:{self.argument}" if self.kind.takes_argument else self.kind.value


def parse_policy(text: str) -> Policy:
    """Read a `headwind.sh/policy` value; raise PolicyError with a message a user can act on.

    The name is matched in any case and surrounding whitespace is ignored (YAML block scalars
    leave a trailing newline); the argument of `range:`/`regex:` is kept as written.
    """
    stripped = text.strip()
    name, colon, argument = stripped.partition(":")
    try:
        kind = PolicyKind(name.strip().lower())
    except ValueError:
        shown = repr(stripped) if stripped else "an empty value"
        raise PolicyError(f"unknown policy {shown}; valid policies: {_VALID}") from None
    if kind.takes_argument:
        if not colon:
            raise PolicyError(f"policy {kind.value!r} needs an argument: {kind.usage}")
        _check_argument(kind, argument)
        return Policy(kind=kind, argument=argument)
    if colon:
        hint = " (its pattern comes from headwind.sh/pattern)" if kind is PolicyKind.GLOB else ""
        raise PolicyError(f"policy {kind.value!r} takes no argument, got {stripped!r}{hint}")
    return Policy(kind=kind)


def _check_argument(kind: PolicyKind, argument: str | None) -> None:
    if not kind.takes_argument:
        if argument is not None:
            raise PolicyError(f"policy {kind.value!r} takes no argument, got {argument!r}")
        return
    if not argument or not argument.strip():
        raise PolicyError(f"policy {kind.value!r} needs an argument: {kind.usage}")
    if kind is PolicyKind.RANGE:
        try:
            ranges.parse(argument)
        except ranges.RangeError as error:
            raise PolicyError(f"invalid range in policy 'range:{argument}': {error}") from None
        return
    try:
        expression = re.compile(argument)
    except re.error as error:
        raise PolicyError(
            f"invalid regular expression in policy 'regex:{argument}': {error}"
        ) from None
    if not any(group in expression.groupindex for group in KEY_GROUPS):
        # Without a key the whole tag would order, and `regex:.*` would then follow anything
        # that sorts later: say so now rather than pick odd tags forever.
        raise PolicyError(
            f"policy 'regex:{argument}' has no named group 'version' or 'num' to order tags by;"
            r" for example 'regex:^build-(?P<num>\d+)$' or"
            r" 'regex:^v(?P<version>\d+\.\d+\.\d+)-alpine$'"
        )


class PolicySettings(BaseModel):
    """Everything the engine needs besides the tags: the workload container's policy settings
    (annotations) and what Headwind remembers about it (rejections, failed rollouts)."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    policy: Policy = Policy()
    """The `headwind.sh/policy` value; a string is parsed (`"minor"`, `"range:^2"`)."""
    pattern: str | None = None
    """`headwind.sh/pattern`: a glob (`*`, `?`, `[…]`, case-sensitive, whole tag). For `glob` it
    is the policy itself; for every other policy an extra filter candidates must also match.
    An empty string counts as unset."""
    prerelease: bool = False
    """`headwind.sh/prerelease`: let prerelease candidates (`-rc.1`, `-beta`) qualify."""
    rejected: frozenset[str] = frozenset()
    """Tags an approver rejected for this container; never proposed again."""
    failed: frozenset[str] = frozenset()
    """Tags rolled back after failing their health checks; never proposed again."""

    @field_validator("policy", mode="before")
    @classmethod
    def _parse_policy_text(cls, value: Any) -> Any:
        return parse_policy(value) if isinstance(value, str) else value

    @field_validator("pattern")
    @classmethod
    def _empty_pattern_is_unset(cls, value: str | None) -> str | None:
        return value or None


def check_settings(settings: PolicySettings) -> None:
    """Raise PolicyError for settings that can never choose anything because of a mistake.

    `evaluate` itself accepts these (it answers "no update" with the reason), so a workload with
    a bad combination of annotations is reported rather than crashing anything; callers that
    talk to a person (the CLI, annotation validation) call this to say so up front.
    """
    if settings.policy.kind is PolicyKind.GLOB and settings.pattern is None:
        raise PolicyError("policy 'glob' needs a pattern (headwind.sh/pattern, --pattern)")
