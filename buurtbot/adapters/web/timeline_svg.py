"""The dashboard's timeline: escalations per day as a small inline SVG bar chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup, escape

WIDTH = 1000
HEIGHT = 160
_AXIS = 2


def render_timeline(
    days: Sequence[tuple[date, int]], *, aria_label: str, describe: Callable[[date, int], str]
) -> Markup:
    """One bar per day, scaled to the busiest; each bar's ``<title>`` says the day and count.

    The SVG stretches to its box, so text inside it would be distorted: the page writes
    the first and last day and the highest count next to it."""
    if not days:
        return Markup("")
    top = max(n for _, n in days) or 1
    slot = WIDTH / len(days)
    bar = max(slot * 0.8, 0.5)
    plot = HEIGHT - _AXIS
    parts = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(aria_label)}" preserveAspectRatio="none">',
        f'<line x1="0" y1="{plot}" x2="{WIDTH}" y2="{plot}" stroke="#889" stroke-width="1"/>',
    ]
    for i, (day, n) in enumerate(days):
        height = plot * n / top
        x = i * slot + (slot - bar) / 2
        parts.append(
            f'<rect x="{x:.2f}" y="{plot - height:.2f}" width="{bar:.2f}" '
            f'height="{max(height, 0):.2f}" fill="#c2410c" data-day="{day.isoformat()}" '
            f'data-count="{n}"><title>{escape(describe(day, n))}</title></rect>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is a number or escaped
