"""`botless package`: build what a target deploys (a zip, or a Docker build context for Knative)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tooling.targets import CHAT_EXTRAS, TARGET_NAMES, target_argument


def platform_argument(value: str) -> str:
    """One --platform value (`slack` or `slack,discord`), checked now so argparse prints one usage line."""
    from tooling.packaging.platforms import PlatformChoiceError, parse_platforms

    try:
        parse_platforms([value])
    except PlatformChoiceError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", required=True, type=target_argument, choices=TARGET_NAMES,
                        help="where the bot will run")
    parser.add_argument("--topology", choices=("mono", "pipeline"), default="mono",
                        help="mono (one function) or pipeline (one per role); recorded for Terraform")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default dist/)")
    parser.add_argument("--python-version", default="3.12", help="Lambda/Cloud Functions/Azure Python (default 3.12)")
    parser.add_argument("--architecture", choices=("x86_64", "arm64"), default="x86_64",
                        help="Lambda CPU the dependencies are installed for (default x86_64)")
    parser.add_argument("--no-deps", action="store_true",
                        help="Lambda: leave third-party packages out (no pip run, works offline)")
    parser.add_argument("--find-links", type=Path, default=None,
                        help="Lambda: install wheels from this folder only, never the network")
    parser.add_argument("--platform", dest="platforms", action="append", type=platform_argument, default=None,
                        metavar="NAME", help=f"chat platform to package ({', '.join(CHAT_EXTRAS)}; repeat or "
                        "comma-separate; default: those whose secrets are set, else all)")
    parser.add_argument("--source", type=Path, default=None, help="the Botless checkout to package (default: this one)")


def run(args: argparse.Namespace) -> int:
    from tooling.packaging import PackageError, PackageOptions, package
    from tooling.targets import target_named

    options = PackageOptions(
        target=args.target, topology=args.topology, out=args.out, source=args.source,
        python_version=args.python_version, architecture=args.architecture,
        dependencies=not args.no_deps, find_links=args.find_links,
        platforms=tuple(args.platforms) if args.platforms else None,
    )
    try:
        result = package(options)
    except PackageError as error:
        print(f"botless package: {error}", file=sys.stderr)
        return 1
    print(result.artifact.line())
    print(result.tfvars.line())
    for note in result.notes:
        print(note)
    print(f"{len(result.commands)} commands, topology {args.topology}; next: "
          f"terraform -chdir={target_named(args.target).infra} apply -var-file={result.tfvars.path}")
    return 0
