"""The digest chart's weeks and counts: ISO weeks on the gemeente's calendar, from given
moments (no clock is read)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from buurtbot.core.domain.weekly_chart import (
    CHART_WEEKS,
    ChartSeries,
    IsoWeek,
    WeeklyChart,
    count_per_week,
    weeks_before,
)

AMSTERDAM = "Europe/Amsterdam"
#: Monday 11 January 2021, 08:00 in Amsterdam: week 2 of 2021. 2020 had 53 ISO weeks; its
#: week 53 runs from Monday 28 December 2020 to Sunday 3 January 2021.
DIGEST = datetime(2021, 1, 11, 7, 0, tzinfo=UTC)


def test_the_weeks_before_run_across_week_53_into_week_1() -> None:
    weeks = weeks_before(DIGEST, AMSTERDAM)
    assert len(weeks) == CHART_WEEKS == 8
    assert [str(w) for w in weeks] == [
        "2020-W47",
        "2020-W48",
        "2020-W49",
        "2020-W50",
        "2020-W51",
        "2020-W52",
        "2020-W53",
        "2021-W01",
    ]
    assert list(weeks) == sorted(weeks)
    assert all(b.monday - a.monday == timedelta(weeks=1) for a, b in itertools.pairwise(weeks))
    assert weeks_before(DIGEST, AMSTERDAM, 2) == (IsoWeek(2020, 53), IsoWeek(2021, 1))


def test_the_week_of_the_digest_is_the_gemeentes_week() -> None:
    sunday_night_utc = datetime(2021, 1, 10, 23, 30, tzinfo=UTC)  # Monday 00:30 in Amsterdam
    assert weeks_before(sunday_night_utc, AMSTERDAM, 1) == (IsoWeek(2021, 1),)
    assert weeks_before(sunday_night_utc, "UTC", 1) == (IsoWeek(2020, 53),)


def test_events_are_counted_in_their_week_on_the_gemeentes_calendar() -> None:
    weeks = weeks_before(DIGEST, AMSTERDAM, 3)  # 2020-W52, 2020-W53, 2021-W01
    events = [
        # Sunday 27 December, 23:30 UTC: already Monday of week 53 in Amsterdam.
        ("Goor", datetime(2020, 12, 27, 23, 30, tzinfo=UTC)),
        ("Goor", datetime(2020, 12, 31, 12, 0, tzinfo=UTC)),  # New Year's Eve: week 53
        ("Goor", datetime(2021, 1, 1, 0, 30, tzinfo=UTC)),  # New Year's Day: still week 53
        # Sunday 3 January, 22:59 UTC: 23:59 in Amsterdam, the last minute of week 53.
        ("Delden", datetime(2021, 1, 3, 22, 59, tzinfo=UTC)),
        ("Delden", datetime(2021, 1, 3, 23, 0, tzinfo=UTC)),  # 00:00 on Monday: week 1
        ("Delden", datetime(2020, 12, 21, 9, 0, tzinfo=UTC)),  # week 52
        ("Markelo", datetime(2020, 12, 20, 22, 59, tzinfo=UTC)),  # week 51: before the weeks
        ("Markelo", datetime(2021, 1, 11, 6, 0, tzinfo=UTC)),  # week 2: the digest's own
    ]
    counts = count_per_week(events, weeks, AMSTERDAM)
    assert counts == {"Goor": (0, 3, 0), "Delden": (1, 1, 1)}
    # On UTC's calendar the Sunday-night escalations fall a week earlier.
    assert count_per_week(events, weeks, "UTC") == {"Goor": (1, 2, 0), "Delden": (1, 2, 0)}


def test_an_empty_week_counts_zero_and_no_events_give_no_keys() -> None:
    weeks = weeks_before(DIGEST, AMSTERDAM, 4)  # 2020-W51 .. 2021-W01
    only_week_52 = [("Goor", datetime(2020, 12, 22, 10, 0, tzinfo=UTC))]
    assert count_per_week(only_week_52, weeks, AMSTERDAM) == {"Goor": (0, 1, 0, 0)}
    assert count_per_week([], weeks, AMSTERDAM) == {}


def test_a_week_starts_at_local_midnight_across_summer_time() -> None:
    # Summer time began on Sunday 28 March 2021: week 13 starts at 00:00 CEST (UTC+2).
    start = IsoWeek(2021, 13).start(AMSTERDAM)
    assert start.astimezone(UTC) == datetime(2021, 3, 28, 22, 0, tzinfo=UTC)
    assert IsoWeek(2021, 12).start(AMSTERDAM).astimezone(UTC) == datetime(
        2021, 3, 21, 23, 0, tzinfo=UTC
    )
    assert IsoWeek.of(start, AMSTERDAM) == IsoWeek(2021, 13)
    assert IsoWeek.of(start - timedelta(microseconds=1), AMSTERDAM) == IsoWeek(2021, 12)
    assert IsoWeek(2020, 53).monday == date(2020, 12, 28)
    assert str(IsoWeek(2021, 1)) == "2021-W01"


def test_a_chart_needs_a_count_per_week_and_knows_when_it_is_empty() -> None:
    labels = ("52", "53", "1")
    with pytest.raises(ValueError, match="2 counts for 3 weeks"):
        WeeklyChart("t", "x", "y", labels, (ChartSeries("Goor", (1, 2)),))
    with pytest.raises(ValueError, match="negative"):
        WeeklyChart("t", "x", "y", labels, (ChartSeries("Goor", (1, -1, 0)),))
    assert WeeklyChart("t", "x", "y", labels).empty
    assert WeeklyChart("t", "x", "y", labels, (ChartSeries("Goor", (0, 0, 0)),)).empty
    assert not WeeklyChart("t", "x", "y", labels, (ChartSeries("Goor", (0, 1, 0)),)).empty
