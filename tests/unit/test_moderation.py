"""Which warnings count: expiry, revocation, the threshold. Time is passed in, never read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from buurtbot.core.domain.moderation import (
    Warning,
    WarningReason,
    active_warnings,
    expiry_for,
    latest_active,
    threshold_reached,
)
from buurtbot.core.ids import GemeenteId, GroupId, PersonId

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def warning(
    wid: str, at: datetime, *, days: int = 90, revoked_at: datetime | None = None
) -> Warning:
    return Warning(
        id=wid,
        gemeente_id=GemeenteId("g"),
        person_id=PersonId("p"),
        group_id=GroupId("bg"),
        reason=WarningReason.LANGUAGE,
        note="",
        by=PersonId("beheerder"),
        at=at,
        expires_at=expiry_for(at, days),
        revoked_at=revoked_at,
    )


# -- expiry ------------------------------------------------------------------------------------
def test_a_warning_expires_the_configured_number_of_days_later() -> None:
    assert expiry_for(T0, 90) == T0 + timedelta(days=90)
    assert expiry_for(T0, 1) == T0 + DAY


def test_expiry_is_elapsed_time_across_summer_time() -> None:
    before = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)  # the clocks go forward on 31 March
    assert expiry_for(before, 2) - before == timedelta(hours=48)
    local = expiry_for(before, 2).astimezone(ZoneInfo("Europe/Amsterdam"))
    assert local.hour == 14  # 13:00 CET became 14:00 CEST


@pytest.mark.parametrize("days", [0, -1])
def test_an_expiry_of_less_than_a_day_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="at least 1 day"):
        expiry_for(T0, days)


def test_a_warning_counts_until_just_before_it_expires() -> None:
    w = warning("w", T0, days=90)
    end = T0 + timedelta(days=90)
    assert active_warnings([w], T0) == [w]
    assert active_warnings([w], end - timedelta(microseconds=1)) == [w]
    assert active_warnings([w], end) == []  # exactly at expires_at: expired
    assert active_warnings([w], end + DAY) == []


def test_a_revoked_warning_does_not_count() -> None:
    kept = warning("kept", T0)
    revoked = warning("revoked", T0 + DAY, revoked_at=T0 + 2 * DAY)
    assert active_warnings([kept, revoked], T0 + 3 * DAY) == [kept]
    assert latest_active([revoked], T0 + 3 * DAY) is None


# -- order ---------------------------------------------------------------------------------------
def test_active_warnings_are_newest_first_whatever_the_input_order() -> None:
    old, mid, new = warning("a", T0), warning("b", T0 + DAY), warning("c", T0 + 2 * DAY)
    now = T0 + 3 * DAY
    assert active_warnings([mid, old, new], now) == [new, mid, old]
    assert active_warnings(iter([new, old, mid]), now) == [new, mid, old]
    assert latest_active([mid, new, old], now) == new


def test_warnings_given_at_the_same_moment_are_ordered_by_id() -> None:
    x, y = warning("x", T0), warning("y", T0)
    assert active_warnings([x, y], T0) == active_warnings([y, x], T0) == [y, x]


def test_the_latest_active_skips_expired_and_revoked_ones() -> None:
    expired = warning("old", T0 - 100 * DAY, days=90)
    counted = warning("counted", T0 - DAY)
    newest_revoked = warning("revoked", T0, revoked_at=T0)
    assert latest_active([expired, counted, newest_revoked], T0) == counted
    assert latest_active([], T0) is None


# -- threshold -----------------------------------------------------------------------------------
def test_the_threshold_counts_only_active_warnings() -> None:
    warnings = [
        warning("expired", T0 - 100 * DAY, days=90),
        warning("revoked", T0 - 2 * DAY, revoked_at=T0 - DAY),
        warning("one", T0 - 2 * DAY),
        warning("two", T0 - DAY),
    ]
    assert not threshold_reached(warnings, T0, 3)
    assert threshold_reached(warnings, T0, 2)
    assert threshold_reached([*warnings, warning("three", T0)], T0, 3)


def test_the_threshold_is_reached_at_exactly_the_count_and_lapses_with_expiry() -> None:
    warnings = [warning(str(i), T0 + i * DAY, days=10) for i in range(3)]
    assert threshold_reached(warnings, T0 + 2 * DAY, 3)
    assert threshold_reached(warnings, T0 + 2 * DAY, 1)
    # The first expires at T0 + 10 days: from that moment only two count.
    assert threshold_reached(warnings, T0 + 10 * DAY - timedelta(seconds=1), 3)
    assert not threshold_reached(warnings, T0 + 10 * DAY, 3)


@pytest.mark.parametrize("threshold", [0, -3])
def test_a_threshold_below_one_is_refused(threshold: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        threshold_reached([], T0, threshold)
