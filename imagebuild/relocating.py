"""Moving a virtual environment built in a scratch directory to the path it has in the image.

Installers write the environment's absolute path into the `#!` line of every console script
(`bin/headwind`), and each wheel's `RECORD` lists those scripts with their hash and size. A
venv built at `<scratch>/opt/headwind/venv` must say `/opt/headwind/venv` instead, and its
RECORDs must match the rewritten scripts. Installers also leave notes about the build itself
(`direct_url.json`: the wheel's path; `uv_cache.json`: the time of the build), which go with
their RECORD rows. Otherwise the layer would depend on where and when it was built, and the
same inputs would not give the same digest.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from pathlib import Path

__all__ = ["BUILD_NOTES", "record_hash", "relocate"]

BUILD_NOTES = frozenset({"direct_url.json", "uv_cache.json"})
"""Files an installer writes into a `.dist-info` about the build, not about the package."""


def relocate(venv: Path, prefix: str) -> list[Path]:
    """Point the scripts of `venv` at `prefix` instead of `venv`; return the rewritten files."""
    old = f"#!{venv}/bin/".encode()
    new = f"#!{prefix.rstrip('/')}/bin/".encode()
    rewritten = []
    for script in sorted((venv / "bin").iterdir()):
        if script.is_symlink() or not script.is_file():
            continue
        content = script.read_bytes()
        if content.startswith(old):
            script.write_bytes(new + content[len(old) :])
            rewritten.append(script)
    changed = {path.resolve() for path in rewritten}
    for record in sorted(venv.glob("lib/python*/site-packages/*.dist-info/RECORD")):
        notes = {note.resolve() for note in record.parent.iterdir() if note.name in BUILD_NOTES}
        for note in notes:
            note.unlink()
        _update_record(record, changed, notes)
    return rewritten


def record_hash(content: bytes) -> str:
    """A file's hash as RECORD writes it: `sha256=` and unpadded url-safe base64."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def _update_record(record: Path, changed: set[Path], removed: set[Path]) -> None:
    # RECORD paths are relative to the site-packages directory, the dist-info's parent.
    site = record.parent.parent
    rows = []
    updated = False
    for row in csv.reader(io.StringIO(record.read_text(encoding="utf-8"))):
        path = (site / row[0]).resolve() if row else None
        if path in removed:
            updated = True
            continue
        if path in changed:
            content = path.read_bytes()
            row[1:3] = [record_hash(content), str(len(content))]
            updated = True
        rows.append(row)
    if updated:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        record.write_text(out.getvalue(), encoding="utf-8")
