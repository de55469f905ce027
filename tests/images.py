"""Small pictures for tests: a PNG made by hand, and a real chart from the renderer."""

from __future__ import annotations

import struct
import zlib

from buurtbot.adapters.charts import MatplotlibChartRenderer
from buurtbot.core.domain.weekly_chart import ChartSeries, WeeklyChart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def tiny_png(width: int = 2, height: int = 1) -> bytes:
    """A valid white RGB PNG of ``width`` x ``height`` pixels, without any library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def chart_png() -> bytes:
    """What the digest sends: a 640 x 360 chart drawn by the matplotlib renderer."""
    chart = WeeklyChart(
        title="Escalaties per kern",
        x_label="Week",
        y_label="Escalaties",
        week_labels=("52", "53", "1"),
        series=(ChartSeries("Goor", (1, 0, 2)), ChartSeries("Delden", (0, 3, 0))),
        legend_title="Kern",
    )
    return MatplotlibChartRenderer().weekly_counts_png(chart)
