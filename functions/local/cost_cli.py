"""`botless cost`: what one chat message costs on each target, measured from the real code.

With --invocations/--duration-ms/--memory-mb it only prices those figures (model-only
mode, to check the model against the providers' published examples).
"""

from __future__ import annotations

import argparse
import json

from functions.local.options import readable_file
from tooling.targets import TARGET_NAMES, plan_names, target_argument


def _positive(kind: type):  # type: ignore[no-untyped-def]
    def parse(value: str):  # type: ignore[no-untyped-def]
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a {kind.__name__}") from None
        if number < 0:
            raise argparse.ArgumentTypeError(f"{value} must not be negative")
        return number
    return parse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", type=target_argument, choices=TARGET_NAMES, action="append",
                        help="price this target (repeatable; default: all)")
    parser.add_argument("--plan", choices=plan_names(), action="append",
                        help="only this plan of a target: gcf gen1/gen2, azure consumption/flex "
                             "(repeatable; default: every plan, or in model-only mode the one infra/ deploys)")
    parser.add_argument("--messages-per-month", type=_positive(int), default=1_000_000, metavar="N",
                        help="monthly chat messages to price (default 1,000,000)")
    parser.add_argument("--mix", metavar="FILE", type=readable_file,
                        help="measure on your own chat messages, one a line (default: a built-in mix)")
    parser.add_argument("--quick", action="store_true", help="fewer invocations and cold starts (for CI)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--chart", metavar="FILE.png", help="write a log-log chart of monthly cost")
    parser.add_argument("--region", help="price region (default: each provider's default)")
    model = parser.add_argument_group("model-only mode (price given figures, measure nothing)")
    model.add_argument("--invocations", type=_positive(float), help="invocations in the month")
    model.add_argument("--duration-ms", type=_positive(float), help="duration of one invocation")
    model.add_argument("--memory-mb", type=_positive(float), help="memory setting (observed on azure consumption)")
    model.add_argument("--arch", choices=("x86_64", "arm64"), default="x86_64")
    model.add_argument("--vcpu", type=_positive(float), help="vCPU (gcf gen2, knative)")
    model.add_argument("--no-free-tier", action="store_true", help="leave the free tiers out")


def run(args: argparse.Namespace) -> int:
    from functions.local.runtime import fail

    model_only = [args.invocations, args.duration_ms, args.memory_mb]
    if any(value is not None for value in model_only):
        if None in model_only or not args.target or len(args.target) != 1 or len(args.plan or ()) > 1:
            return fail("model-only mode needs one --target and all of --invocations, --duration-ms, "
                        "--memory-mb (and at most one --plan)")
        return _model_only(args)
    from tooling.targets import TARGETS

    chosen = [target for target in TARGETS if not args.target or target.name in args.target]
    for plan in args.plan or ():
        if not any(plan in target.plans for target in chosen):
            return fail(f"no chosen target has plan {plan!r}: "
                        + "; ".join(f"{t.name}: {', '.join(t.plans) or 'one plan'}" for t in chosen))
    try:
        import rich  # noqa: F401  (the progress bar and the tables; in the cost extra, not the base install)

        from tooling.costing.command import measure_and_report
    except ModuleNotFoundError as missing:
        return fail(f"measuring needs the cost extra ({missing.name} is not installed): pip install -e '.[cost]'")
    return measure_and_report(args)


def _model_only(args: argparse.Namespace) -> int:
    from functions.local.runtime import fail
    from tooling.pricing import PricingError, price_month

    try:
        bill = price_month(args.target[0], args.invocations, args.duration_ms, args.memory_mb,
                           arch=args.arch, vcpu=args.vcpu, free_tier=not args.no_free_tier, region=args.region,
                           plan=args.plan[0] if args.plan else None)
    except PricingError as error:
        return fail(str(error))
    if args.json:
        print(json.dumps(bill.to_dict(), indent=2))
        return 0
    name = f"{bill.target} {bill.plan}" if bill.plan else bill.target
    print(f"{name} ({bill.region}, prices seen {bill.price_date}): ${bill.total_usd} a month")
    for line in bill.to_dict()["lines"]:
        print(f"  {line['item']:<32} {line['quantity']:>16,.2f} {line['unit']:<12} ${line['usd']:>10,.2f}")
    return 0
