"""The version policy engine: one engine, used by every path that picks an update.

A facade over three small modules, so call sites read `policy.evaluate(...)`,
`policy.parse_policy(...)`, `policy.Reason.NOT_NEWER`:

- `policies`: what a policy is (`Policy`, `PolicyKind`, `PolicySettings`) and parsing it;
- `evaluating`: the rules, `evaluate(settings, current, candidates) -> Decision`;
- `decisions`: the answer (`Decision`, `Verdict`, `Reason`).
"""

from headwind.policy.decisions import ELIGIBLE_REASONS, Decision, Reason, Verdict
from headwind.policy.evaluating import evaluate
from headwind.policy.policies import (
    KEY_GROUPS,
    SEMVER_KINDS,
    Policy,
    PolicyError,
    PolicyKind,
    PolicySettings,
    check_settings,
    parse_policy,
)

__all__ = [
    "ELIGIBLE_REASONS",
    "KEY_GROUPS",
    "SEMVER_KINDS",
    "Decision",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicySettings",
    "Reason",
    "Verdict",
    "check_settings",
    "evaluate",
    "parse_policy",
]
