"""The weekly digest's chart as data: escalations per kern over the last ISO weeks.

Pure: the weeks follow from a given moment and the gemeente's timezone, the counts from
``(key, moment)`` pairs. Drawing the chart is the work of a
:class:`~buurtbot.core.ports.ChartRenderer`; its words come translated from the texts.

The chart shows the complete weeks before the week of the digest (the digest goes out on
Monday morning, so the week it is sent in has hardly begun).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

#: How many weeks the digest's chart shows.
CHART_WEEKS = 8

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True, order=True)
class IsoWeek:
    """An ISO 8601 week: ``year`` is the ISO year (1 January may be in week 52 or 53 of the
    year before, 31 December in week 1 of the next)."""

    year: int
    week: int

    @classmethod
    def of(cls, moment: datetime, timezone: str) -> IsoWeek:
        """The week ``moment`` falls in, on the calendar of ``timezone``."""
        return cls.of_day(moment.astimezone(ZoneInfo(timezone)).date())

    @classmethod
    def of_day(cls, day: date) -> IsoWeek:
        year, week, _weekday = day.isocalendar()
        return cls(year, week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def start(self, timezone: str) -> datetime:
        """Monday 00:00 of the week in ``timezone`` (aware)."""
        return datetime.combine(self.monday, time(), tzinfo=ZoneInfo(timezone))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def weeks_before(now: datetime, timezone: str, count: int = CHART_WEEKS) -> tuple[IsoWeek, ...]:
    """The ``count`` complete weeks before the week of ``now`` in ``timezone``, oldest first."""
    monday = IsoWeek.of(now, timezone).monday
    return tuple(IsoWeek.of_day(monday - timedelta(weeks=n)) for n in range(count, 0, -1))


def count_per_week(
    events: Iterable[tuple[K, datetime]], weeks: Sequence[IsoWeek], timezone: str
) -> dict[K, tuple[int, ...]]:
    """How many events each key had in each of ``weeks``, in their order.

    An event counts in the week its moment falls in on the calendar of ``timezone``; events
    outside ``weeks`` are left out, and so are keys without any event in them.
    """
    index = {week: n for n, week in enumerate(weeks)}
    zone = ZoneInfo(timezone)
    counts: dict[K, list[int]] = {}
    for key, moment in events:
        n = index.get(IsoWeek.of_day(moment.astimezone(zone).date()))
        if n is not None:
            counts.setdefault(key, [0] * len(weeks))[n] += 1
    return {key: tuple(row) for key, row in counts.items()}


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One line of the chart: a name for the legend and a count per week."""

    name: str
    counts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class WeeklyChart:
    """What to draw: one series per line over the weeks, the words already translated.

    ``week_labels`` label the x axis, one per week; every series has a count for each.
    ``empty_note`` is shown instead of lines when there is no series at all.
    """

    title: str
    x_label: str
    y_label: str
    week_labels: tuple[str, ...]
    series: tuple[ChartSeries, ...] = ()
    legend_title: str = ""
    empty_note: str = ""

    def __post_init__(self) -> None:
        for s in self.series:
            if len(s.counts) != len(self.week_labels):
                raise ValueError(
                    f"series {s.name!r} has {len(s.counts)} counts for "
                    f"{len(self.week_labels)} weeks"
                )
            if any(n < 0 for n in s.counts):
                raise ValueError(f"series {s.name!r} has a negative count")

    @property
    def empty(self) -> bool:
        return not any(any(s.counts) for s in self.series)
