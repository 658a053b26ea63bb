"""`python -m imagebuild`: the steps of scripts/build-image that are easier in Python.

`relocate VENV PREFIX` rewrites a scratch-built venv's scripts for their path in the image.
`layout ...` writes the OCI layout from the layer archives and prints one JSON object on
stdout: the manifest and config digests, and per layer its digests and sizes, so that the
calling script can report them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from imagebuild import layout, relocating


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise SystemExit(f"{option} expects NAME=VALUE, got {value!r}")
        pairs[key] = text
    return pairs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m imagebuild", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    relocate = commands.add_parser("relocate", help="point a venv's scripts at its image path")
    relocate.add_argument("venv", type=Path, help="the venv as built")
    relocate.add_argument("prefix", help="its path inside the image")

    write = commands.add_parser("layout", help="write an OCI image layout")
    write.add_argument("--out", type=Path, required=True, help="layout directory (replaced)")
    write.add_argument(
        "--layer",
        action="append",
        nargs=2,
        metavar=("ARCHIVE", "CREATED_BY"),
        required=True,
        help="a .tar.gz layer and what made it, lowest layer first (repeat)",
    )
    write.add_argument(
        "--created", type=int, required=True, help="creation time, seconds since the epoch"
    )
    write.add_argument("--entrypoint", action="append", required=True)
    write.add_argument("--cmd", action="append", default=[])
    write.add_argument("--user", default="")
    write.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    write.add_argument("--workdir", default="")
    write.add_argument("--label", action="append", default=[], metavar="NAME=VALUE")
    write.add_argument("--architecture", default="amd64")
    write.add_argument("--ref-name", default=None, help="tag recorded in the index")
    return parser


def _layout(args: argparse.Namespace) -> dict[str, Any]:
    _pairs(args.env, "--env")
    spec = layout.ImageSpec(
        created=datetime.fromtimestamp(args.created, UTC),
        entrypoint=args.entrypoint,
        cmd=args.cmd,
        user=args.user,
        env=args.env,
        working_dir=args.workdir,
        labels=_pairs(args.label, "--label"),
        architecture=args.architecture,
    )
    layers = [layout.read_layer(Path(archive), created_by) for archive, created_by in args.layer]
    written = layout.write_layout(args.out, spec, layers, ref_name=args.ref_name)
    return {
        "manifest_digest": written.manifest_digest,
        "config_digest": written.config_digest,
        "compressed_size": written.compressed_size,
        "uncompressed_size": written.uncompressed_size,
        "layers": [
            {
                "digest": layer.digest,
                "diff_id": layer.diff_id,
                "size": layer.size,
                "uncompressed_size": layer.uncompressed_size,
                "created_by": layer.created_by,
            }
            for layer in written.layers
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "relocate":
        rewritten = relocating.relocate(args.venv, args.prefix)
        print(f"relocated {len(rewritten)} scripts to {args.prefix}", file=sys.stderr)
        return 0
    json.dump(_layout(args), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
