"""Charts drawn with matplotlib, as PNG images (the weekly digest's).

Every chart is a :class:`~matplotlib.figure.Figure` of its own on an Agg canvas, never
pyplot's global state, so several threads may draw at once. Matplotlib is imported on the
first chart: start-up and the console do not wait for it.

With ``separate_process`` (what the running bot uses) each chart is drawn by a short-lived
child process, ``python -m buurtbot.adapters.charts``, which reads the chart as JSON on
standard input and writes the PNG to standard output. Loading matplotlib and drawing take
a second or more of CPU, which in the bot's own process would hold up its event loop and
database thread (the GIL); the child also takes matplotlib's memory away with it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from buurtbot.core.domain.weekly_chart import ChartSeries, WeeklyChart
from buurtbot.core.ports import ChartRenderer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Lines are told apart by marker as well as colour (for colour blindness, and beyond the
#: ten colours of the default cycle).
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: The directory that holds the ``buurtbot`` package, for the child's import path.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class ChartProcessError(RuntimeError):
    """The child process drew no chart (its exit status and the end of what it said)."""


class MatplotlibChartRenderer(ChartRenderer):
    """Small line charts: ``width`` x ``height`` inches at ``dpi`` (640 x 360 pixels).

    ``separate_process``: draw in a child process (see the module's docstring), given up
    after ``timeout`` seconds."""

    def __init__(
        self,
        *,
        width: float = 6.4,
        height: float = 3.6,
        dpi: int = 100,
        separate_process: bool = False,
        timeout: float = 120.0,
    ) -> None:
        self.width = width
        self.height = height
        self.dpi = dpi
        self.separate_process = separate_process
        self.timeout = timeout

    def weekly_counts_png(self, chart: WeeklyChart) -> bytes:
        if self.separate_process:
            return self._in_child(chart)
        return draw_weekly_counts(chart, width=self.width, height=self.height, dpi=self.dpi)

    def _in_child(self, chart: WeeklyChart) -> bytes:
        request = {
            "chart": chart_to_json(chart),
            "width": self.width,
            "height": self.height,
            "dpi": self.dpi,
        }
        path = os.pathsep.join(p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p)
        # The same interpreter runs a module of this package: no input reaches the command.
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", __name__],
            input=json.dumps(request).encode("utf-8"),
            capture_output=True,
            timeout=self.timeout,
            env=os.environ | {"PYTHONPATH": path},
            check=False,
        )
        if result.returncode != 0 or not result.stdout.startswith(PNG_SIGNATURE):
            said = result.stderr.decode("utf-8", "replace").strip()[-500:]
            raise ChartProcessError(f"the chart process ended with {result.returncode}: {said}")
        return result.stdout


def draw_weekly_counts(chart: WeeklyChart, *, width: float, height: float, dpi: int) -> bytes:
    """``chart`` as a PNG of ``width`` x ``height`` inches at ``dpi``, in this process."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(chart.week_labels)))
    for n, series in enumerate(chart.series):
        axes.plot(
            positions,
            series.counts,
            label=series.name,
            marker=_MARKERS[n % len(_MARKERS)],
            markersize=4,
            linewidth=1.5,
            clip_on=False,  # a count of 0 sits on the axis, whole
            zorder=3,
        )
    axes.set_title(chart.title)
    axes.set_xlabel(chart.x_label)
    axes.set_ylabel(chart.y_label)
    axes.set_xticks(positions, chart.week_labels)
    axes.set_xlim(-0.5, max(len(positions) - 0.5, 0.5))
    highest = max((max(s.counts, default=0) for s in chart.series), default=0)
    axes.set_ylim(0, max(highest, 1) * 1.1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    if chart.series:
        axes.legend(
            title=chart.legend_title or None,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            title_fontsize="small",
            frameon=False,
        )
    if chart.empty and chart.empty_note:
        axes.text(
            0.5,
            0.5,
            chart.empty_note,
            transform=axes.transAxes,
            ha="center",
            va="center",
            color="0.35",
        )
    buffer = io.BytesIO()
    # No "Software" text chunk (it names the matplotlib version): the same chart gives the
    # same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def chart_to_json(chart: WeeklyChart) -> dict[str, Any]:
    return {
        "title": chart.title,
        "x_label": chart.x_label,
        "y_label": chart.y_label,
        "week_labels": list(chart.week_labels),
        "series": [{"name": s.name, "counts": list(s.counts)} for s in chart.series],
        "legend_title": chart.legend_title,
        "empty_note": chart.empty_note,
    }


def chart_from_json(data: dict[str, Any]) -> WeeklyChart:
    return WeeklyChart(
        title=str(data["title"]),
        x_label=str(data["x_label"]),
        y_label=str(data["y_label"]),
        week_labels=tuple(str(label) for label in data["week_labels"]),
        series=tuple(
            ChartSeries(str(s["name"]), tuple(int(n) for n in s["counts"])) for s in data["series"]
        ),
        legend_title=str(data["legend_title"]),
        empty_note=str(data["empty_note"]),
    )


def _main() -> int:
    """The child: a request as JSON on standard input, the PNG on standard output."""
    with contextlib.suppress(OSError):
        os.nice(10)  # the bot's own work (and a busy machine's) goes first
    request = json.loads(sys.stdin.buffer.read())
    png = draw_weekly_counts(
        chart_from_json(request["chart"]),
        width=float(request["width"]),
        height=float(request["height"]),
        dpi=int(request["dpi"]),
    )
    sys.stdout.buffer.write(png)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
