"""The matplotlib renderer: a small PNG of the chart, the same bytes for the same chart,
safe from several threads, and matplotlib loaded only when a chart is drawn."""

from __future__ import annotations

import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from matplotlib import colors
from matplotlib.image import imread

from buurtbot.adapters.charts import ChartProcessError, MatplotlibChartRenderer
from buurtbot.core.domain.weekly_chart import ChartSeries, WeeklyChart
from tests.images import PNG_SIGNATURE

ROOT = Path(__file__).resolve().parents[2]
LABELS = ("47", "48", "49", "50", "51", "52", "53", "1")
CHART = WeeklyChart(
    title="Escalaties per kern",
    x_label="Week",
    y_label="Escalaties",
    week_labels=LABELS,
    series=(
        ChartSeries("Delden", (1, 0, 0, 2, 0, 0, 1, 0)),
        ChartSeries("Goor", (0, 3, 1, 0, 0, 4, 0, 2)),
    ),
    legend_title="Kern",
    empty_note="Geen escalaties in deze weken",
)
EMPTY = WeeklyChart(
    title="Escalaties per kern",
    x_label="Week",
    y_label="Escalaties",
    week_labels=LABELS,
    legend_title="Kern",
    empty_note="Geen escalaties in deze weken",
)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(imread(io.BytesIO(png), format="png"))


def has_colour(image: np.ndarray, colour: str) -> bool:
    """Whether some pixel is (nearly) ``colour``, e.g. the first line's 'C0'."""
    rgb = np.array(colors.to_rgb(colour))
    return bool((np.abs(image[:, :, :3] - rgb).max(axis=2) < 0.02).any())


def test_a_chart_is_a_640_by_360_png_with_a_line_per_series() -> None:
    png = MatplotlibChartRenderer().weekly_counts_png(CHART)
    assert png.startswith(PNG_SIGNATURE)
    image = pixels(png)
    assert image.shape == (360, 640, 4)
    assert has_colour(image, "C0")  # Delden's line
    assert has_colour(image, "C1")  # Goor's line


def test_an_empty_chart_still_draws_with_its_note_and_no_lines() -> None:
    png = MatplotlibChartRenderer().weekly_counts_png(EMPTY)
    assert png.startswith(PNG_SIGNATURE)
    image = pixels(png)
    assert image.shape == (360, 640, 4)
    assert not has_colour(image, "C0")
    without_note = MatplotlibChartRenderer().weekly_counts_png(
        WeeklyChart("Escalaties per kern", "Week", "Escalaties", LABELS)
    )
    assert without_note != png  # the note is drawn


def test_the_same_chart_gives_the_same_bytes_without_a_software_stamp() -> None:
    renderer = MatplotlibChartRenderer()
    png = renderer.weekly_counts_png(CHART)
    assert renderer.weekly_counts_png(CHART) == png
    assert b"matplotlib" not in png.lower()


def test_a_larger_size_is_drawn_at_that_size() -> None:
    png = MatplotlibChartRenderer(width=8, height=4, dpi=50).weekly_counts_png(CHART)
    assert pixels(png).shape == (200, 400, 4)


def test_many_kernen_and_threads_at_once() -> None:
    many = WeeklyChart(
        "Escalaties per kern",
        "Week",
        "Escalaties",
        LABELS,
        tuple(ChartSeries(f"Kern {n}", tuple((n + w) % 5 for w in range(8))) for n in range(12)),
        legend_title="Kern",
    )
    renderer = MatplotlibChartRenderer()
    alone = [renderer.weekly_counts_png(chart) for chart in (CHART, many, EMPTY)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(renderer.weekly_counts_png, [CHART, many, EMPTY] * 2))
    assert together == alone * 2


def test_matplotlib_is_loaded_by_the_first_chart_not_on_import() -> None:
    code = (
        "import sys\n"
        "import buurtbot.adapters.charts as charts\n"
        "import buurtbot.bootstrap\n"
        "assert 'matplotlib' not in sys.modules, 'imported too early'\n"
        "from buurtbot.core.domain.weekly_chart import WeeklyChart\n"
        "charts.MatplotlibChartRenderer().weekly_counts_png(WeeklyChart('t', 'x', 'y', ('1',)))\n"
        "assert 'matplotlib' in sys.modules\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot has global state'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_in_a_separate_process_the_same_chart_comes_back() -> None:
    alone = MatplotlibChartRenderer(separate_process=True)
    png = alone.weekly_counts_png(CHART)
    assert png == MatplotlibChartRenderer().weekly_counts_png(CHART)
    assert pixels(alone.weekly_counts_png(EMPTY)).shape == (360, 640, 4)


def test_a_separate_process_that_draws_nothing_is_an_error() -> None:
    broken = MatplotlibChartRenderer(separate_process=True, dpi=-1)  # matplotlib refuses it
    with pytest.raises(ChartProcessError, match=r"ended with [1-9]"):
        broken.weekly_counts_png(CHART)
    with pytest.raises(subprocess.TimeoutExpired):
        MatplotlibChartRenderer(separate_process=True, timeout=0.01).weekly_counts_png(CHART)


def test_drawing_in_a_separate_process_leaves_matplotlib_out_of_this_one() -> None:
    code = (
        "import sys\n"
        "import buurtbot.adapters.charts as charts\n"
        "from buurtbot.core.domain.weekly_chart import WeeklyChart\n"
        "renderer = charts.MatplotlibChartRenderer(separate_process=True)\n"
        "png = renderer.weekly_counts_png(WeeklyChart('t', 'x', 'y', ('1',)))\n"
        "assert png.startswith(charts.PNG_SIGNATURE)\n"
        "assert 'matplotlib' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT.parent,  # the child finds the package without the working directory's help
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
