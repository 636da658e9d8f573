"""Show the figures and the prices: rich tables, JSON, and a log-log chart of monthly cost."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from tooling.costing.estimate import COLD_STARTS_PER_INVOCATION, CROSSOVER_TARGET, Estimate
from tooling.costing.figures import RoleFigures

# No log-ingestion price with a source is in tooling/pricing's data, so the counted volume is shown, not priced.
LOG_NOTE = ("Log bytes are the \"botless\" logger's JSON lines, before the platform's own per-line prefix and "
            "lines; each provider's log service (CloudWatch Logs, Cloud Logging, Application Insights) bills "
            "their ingestion per GB, which is not in the totals. BOTLESS_LOG_LEVEL=WARNING keeps only "
            "warnings and errors, on every target.")


def _usd(amount: Decimal, digits: int = 2) -> str:
    return f"${amount:,.{digits}f}"


def _tiny(amount: Decimal) -> str:
    """Per-message amounts: micro-dollars, so 0.0000021 reads as $2.10 µ."""
    return f"${amount * Decimal(1_000_000):,.3f} µ"


def print_tables(figures: Mapping[str, Mapping[str, RoleFigures]], estimates: Sequence[Estimate],
                 crossovers: Mapping[str, int | None], cheapest: Estimate, price_date: str,
                 messages: int) -> None:
    """The measured figures, then one row per billing model and topology."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:  # piped or in CI: don't squeeze the tables into 80 columns
        console = Console(width=180)
    measured = Table(title="Measured on this machine (real entrypoints, loopback services)")
    for column in ("entrypoint", "role", "warm median ms", "warm p99 ms", "cold start ms", "peak MB"):
        measured.add_column(column, justify="right" if "ms" in column or "MB" in column else "left")
    for entrypoint, roles in figures.items():
        for role, figure in roles.items():
            measured.add_row(entrypoint, role, f"{figure.warm_median_ms:.2f}", f"{figure.warm_p99_ms:.2f}",
                             f"{figure.cold_start_ms:.0f}", f"{figure.peak_rss_mb:.0f}")
    console.print(measured)

    priced = Table(title=f"What a chat message costs at {messages:,} messages a month (prices seen {price_date})")
    for column in ("target", "topology", "memory MB", "billed ms", "per invocation", "per message (no free tier)",
                   "month, free tier", "month, no free tier", "Knative cheaper from"):
        priced.add_column(column, justify="left" if column in ("target", "topology") else "right")
    for item in estimates:
        cross = crossovers.get(f"{item.label}/{item.topology}")
        priced.add_row(item.label, item.topology, str(item.memory_mb), f"{item.billed_ms:.4g}",
                       _tiny(item.per_invocation_usd), _tiny(item.per_message_usd), _usd(item.monthly_usd),
                       _usd(item.monthly_no_free_tier_usd),
                       "—" if item.target == CROSSOVER_TARGET else (f"{cross:,}/month" if cross else "never"))
    console.print(priced)
    console.print(caused_table(estimates))
    console.print(f"Cheapest at {messages:,} messages a month: [bold]{cheapest.label} ({cheapest.topology})[/bold], "
                  f"{_usd(cheapest.monthly_usd)} a month with free tiers.")
    console.print("µ = millionths of a dollar. Memory is the smallest setting holding the measured peak "
                  "x 1.25; billed ms is the mean warm duration after the target's rounding.")


def _ops(ops: Mapping[str, float]) -> str:
    """Store calls per message: "1 claim + 2 confirms" (lookups and releases only when counted)."""
    names = (("claims", "claim"), ("confirms", "confirm"), ("releases", "release"), ("lookups", "lookup"))
    parts = [f"{ops[key]:.3g} {word}{'s' if ops[key] != 1 else ''}" for key, word in names if ops[key]]
    return " + ".join(parts) or "none"


def _secrets(reads: Mapping[str, float]) -> str:
    if reads["references"]:
        return f"{reads['references']:.0f} Key Vault references, fetched daily"
    if reads["secure_strings"]:
        return f"{reads['calls']:.0f} SSM call(s) + {reads['secure_strings']:.0f} KMS decrypts"
    return f"{reads['calls']:.0f} access(es)" if reads["calls"] else "none billed"


def caused_table(estimates: Sequence[Estimate]) -> Any:
    """What each message causes beyond compute: counted store calls, deferrals, secrets per cold start, log lines."""
    from rich.table import Table

    table = Table(title="What each message causes beyond compute (counted on the real code)")
    for column in ("target", "topology", "dedupe store calls / message", "store per message",
                   "deferred invocations / message", "secrets / cold start", "secrets per cold start",
                   "secrets a month", "log lines / message", "log bytes / message"):
        table.add_column(column, justify="left" if column in ("target", "topology") or "calls" in column
                         or column == "secrets / cold start" else "right")
    for item in estimates:
        table.add_row(item.label, item.topology, _ops(item.store_ops_per_message), _tiny(item.store_usd_per_message),
                      f"{item.deferred_invocations_per_message:.3g}", _secrets(item.secret_reads_per_cold_start),
                      _tiny(item.secrets_usd_per_cold_start), _usd(item.secrets_monthly_usd, 4),
                      f"{item.log_lines_per_message:.3g}", f"{item.log_bytes_per_message:,.0f}")
    table.caption = (f"Secrets a month assume {COLD_STARTS_PER_INVOCATION:.0%} of invocations start cold; "
                     "a deferred command's second invocation is priced like the first. " + LOG_NOTE)
    return table


def as_json(figures: Mapping[str, Mapping[str, RoleFigures]], estimates: Sequence[Estimate],
            crossovers: Mapping[str, int | None], cheapest: Estimate, price_date: str,
            messages: int) -> dict[str, Any]:
    """Everything the tables show, for machines."""
    return {
        "messages_per_month": messages,
        "price_date": price_date,
        "measured": {e: {r: f.to_dict() for r, f in roles.items()} for e, roles in figures.items()},
        "estimates": [item.to_dict() for item in estimates],
        "cold_starts_per_invocation": COLD_STARTS_PER_INVOCATION,
        "log_bytes_not_priced": LOG_NOTE,
        "knative_cheaper_from": dict(crossovers),
        "cheapest": {"target": cheapest.label, "topology": cheapest.topology,
                     "monthly_usd": float(cheapest.monthly_usd)},
    }


def write_chart(path: str, curves: Mapping[str, Sequence[tuple[int, Decimal]]], price_date: str) -> None:
    """A log-log chart of monthly cost against monthly messages, one line per target and topology."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 6.5))
    # One colour per billing model, solid for mono and dashed for pipeline.
    models = list(dict.fromkeys(label.rsplit(" ", 1)[0] for label in curves))
    colours = {model: plt.get_cmap("tab10")(index % 10) for index, model in enumerate(models)}
    for label, points in curves.items():
        model, topology = label.rsplit(" ", 1)
        # A month inside the free tier costs $0, which a log scale cannot show.
        xs = [volume for volume, cost in points if cost > 0]
        ys = [float(cost) for _, cost in points if cost > 0]
        axes.plot(xs, ys, label=label, color=colours[model], linestyle="--" if topology == "pipeline" else "-",
                  linewidth=1.6)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("chat messages per month")
    axes.set_ylabel("USD per month (free tiers applied; $0 months not drawn)")
    axes.set_title(f"Botless: monthly cost by target, measured handlers (prices seen {price_date})")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
