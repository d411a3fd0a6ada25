"""A run's summary as plain text, for the command line (the staff page shows the same figures)."""

from typing import Any


def summary_lines(summary: dict[str, Any]) -> list[str]:
    entries, carts = summary["entries"], summary["carts"]
    refused = ", ".join(f"{reason} {count}" for reason, count in entries["refused"].items()) or "none"
    lines = [
        f"shoppers {summary['shoppers']} in {summary['seconds']} s "
        f"({summary['rates']['entries_per_s']} entries/s, {summary['rates']['purchases_per_s']} purchase calls/s)",
        f"entries: {entries['admitted']} admitted; refused: {refused}",
        f"carts: {carts['priced']} priced, {carts['empty']} empty, {carts['bad']} bad; "
        f"deliveries {summary['deliveries']['sent']} ({summary['deliveries']['duplicates']} duplicates)",
        "payments: " + (", ".join(f"{status} {count}" for status, count in summary["payments"].items()) or "none"),
        "latency:",
    ]
    for endpoint, figures in summary["latency"].items():
        lines.append(
            f"  {endpoint:<16} {figures['calls']:>6} calls  p50 {figures['p50_ms']:>7.1f} ms  "
            f"p99 {figures['p99_ms']:>7.1f} ms  max {figures['max_ms']:>7.1f} ms"
        )
    errors = ", ".join(f"{endpoint} {count}" for endpoint, count in summary["errors"].items()) or "none"
    lines.append(f"errors (5xx or no answer): {errors}")
    for invariant in summary["invariants"]:
        lines.append(f"{'PASS' if invariant['ok'] else 'FAIL'}  {invariant['name']}")
        lines.extend(f"        {problem}" for problem in invariant["problems"])
    return lines
