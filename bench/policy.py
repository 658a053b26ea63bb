"""How long the policy engine takes on a tag list the size of a busy repository's.

Polling judges a repository's whole tag list for every subscribed container, so the engine must
stay fast on lists of thousands of tags. Speed is measured here rather than asserted in tests
(timings on a shared CI machine are noise). Run it with `python -m bench.policy`; it prints the
minimum, median and maximum time of one `policy.evaluate` over 10,000 tags, per policy, both
with the parse cache cleared (a list seen for the first time) and warm (the next poll).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from headwind import policy, versions

__all__ = ["main", "realistic_tags"]

TAG_COUNT = 10_000
"""Tags per evaluation: more than the largest repositories on Docker Hub list per image line."""

_VARIANTS = ("", "-alpine", "-slim-bookworm", "-alpine3.19", "-devel-ubuntu22.04")
_PRERELEASES = ("-rc.{n}", "-rc{n}", "-beta.{n}", "-alpha{n}", "-RC{n}", "-preview{n}")


def _semver_line(rng: random.Random) -> str:
    major, minor, patch = rng.randrange(0, 30), rng.randrange(0, 40), rng.randrange(0, 60)
    prefix = rng.choice(("", "", "v"))
    release = rng.choice((f"{major}.{minor}.{patch}", f"{major}.{minor}", f"{major}"))
    prerelease = ""
    if rng.random() < 0.2:
        prerelease = rng.choice(_PRERELEASES).format(n=rng.randrange(1, 15))
    return prefix + release + prerelease + rng.choice(_VARIANTS)


def _revision_line(rng: random.Random) -> str:
    release = f"{rng.randrange(1, 5)}.{rng.randrange(0, 30)}.{rng.randrange(0, 20)}"
    counter = rng.randrange(0, 400)
    return release + rng.choice((f"-ls{counter}", f"-debian-12-r{counter}", f"-{counter}"))


def _calendar_line(rng: random.Random) -> str:
    year, month, day = rng.randrange(2019, 2027), rng.randrange(1, 13), rng.randrange(1, 29)
    return rng.choice((f"{year}-{month:02}-{day:02}", f"{year}.{month:02}.{day:02}"))


def _four_part_line(rng: random.Random) -> str:
    return f"{rng.randrange(8, 25)}.0.{rng.randrange(0, 10)}.{rng.randrange(1, 40)}"


def _other_line(rng: random.Random) -> str:
    return rng.choice(
        (
            f"sha-{rng.getrandbits(28):07x}",
            f"build-{rng.randrange(0, 10_000)}",
            f"main-{rng.randrange(2019, 2027)}-{rng.randrange(1, 13):02}",
            rng.choice(("latest", "stable", "edge", "nightly", "mainline-alpine")),
        )
    )


_KINDS: tuple[tuple[Callable[[random.Random], str], float], ...] = (
    (_semver_line, 0.55),
    (_revision_line, 0.2),
    (_calendar_line, 0.08),
    (_four_part_line, 0.05),
    (_other_line, 0.12),
)


def realistic_tags(count: int = TAG_COUNT, seed: int = 15) -> list[str]:
    """`count` distinct tags in the proportions a mixed registry shows; the same for a seed."""
    rng = random.Random(seed)
    makers = [maker for maker, _ in _KINDS]
    weights = [weight for _, weight in _KINDS]
    tags: set[str] = set()
    while len(tags) < count:
        tags.add(rng.choices(makers, weights)[0](rng))
    return sorted(tags)


# policy, pattern, current tag
_SCENARIOS = (
    ("minor", None, "1.25.3-alpine"),
    ("patch", None, "2.4.17-debian-12-r5"),
    ("all", None, "3.1.0"),
    ("range:>=1.20 <1.28", None, "1.21.0"),
    ("glob", "build-*", "build-9"),
    (r"regex:^build-(?P<num>\d+)$", None, "build-9"),
)


def _time_once(settings: policy.PolicySettings, current: str, tags: list[str], cold: bool) -> float:
    if cold:
        versions.parse.cache_clear()
    started = time.perf_counter()
    policy.evaluate(settings, current, tags)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.policy", description=__doc__)
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per scenario")
    parser.add_argument("--tags", type=int, default=TAG_COUNT, help="tags per evaluation")
    arguments = parser.parse_args(argv)
    tags = realistic_tags(arguments.tags)
    print(f"policy.evaluate over {len(tags)} tags, {arguments.repeats} runs each (ms)")
    print(f"{'policy':<32} {'cache':<5} {'min':>7} {'median':>7} {'max':>7}  chosen")
    for text, pattern, current in _SCENARIOS:
        settings = policy.PolicySettings(policy=text, pattern=pattern)
        chosen = policy.evaluate(settings, current, tags).chosen
        for cold in (True, False):
            runs = [_time_once(settings, current, tags, cold) for _ in range(arguments.repeats)]
            low, middle, high = (1000 * min(runs), 1000 * statistics.median(runs), 1000 * max(runs))
            label = "cold" if cold else "warm"
            print(f"{text:<32} {label:<5} {low:7.1f} {middle:7.1f} {high:7.1f}  {chosen}")


if __name__ == "__main__":
    main()
