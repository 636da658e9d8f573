"""`botless deploy`: `botless package`, then `terraform init` and `plan`/`apply` in infra/<target>."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from functions.local.package_cli import configure as configure_package


def configure(parser: argparse.ArgumentParser) -> None:
    configure_package(parser)
    parser.add_argument("--plan", action="store_true", help="only show what would change (terraform plan)")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="another Terraform variable, e.g. --var project_id=my-project (repeatable)")


def run(args: argparse.Namespace) -> int:
    from tooling.packaging import PackageError, PackageOptions
    from tooling.packaging.deploy import deploy
    from tooling.targets import target_named

    target = target_named(args.target)
    if target.container and not any(v.startswith("image=") for v in args.var):
        print(f"botless deploy: {target.label} deploys an image; build it from the package "
              f"(docker build -t IMAGE - < dist/{target.artifact}), push it, "
              "then pass --var image=IMAGE", file=sys.stderr)
        return 2
    options = PackageOptions(
        target=args.target, topology=args.topology, out=Path(args.out), source=args.source,
        python_version=args.python_version, architecture=args.architecture,
        dependencies=not args.no_deps, find_links=args.find_links,
    )
    try:
        return deploy(options, plan_only=args.plan, extra_vars=args.var)
    except PackageError as error:
        print(f"botless deploy: {error}", file=sys.stderr)
        return 1
