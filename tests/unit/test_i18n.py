from __future__ import annotations

from datetime import UTC, datetime

import pytest

from buurtbot.core.domain.model import Gemeente, Group, GroupKind, Locale, Person
from buurtbot.core.i18n import resolve_locale
from buurtbot.core.ids import ChatRef, GemeenteId, GroupId, PersonId, Platform
from tests.world import TRANSLATORS

GEMEENTE = Gemeente(GemeenteId("g"), "G", default_locale=Locale.NL)
ENGLISH_GROUP = Group(
    GroupId("g:x"), GemeenteId("g"), GroupKind.BUURT, ChatRef(Platform.TELEGRAM, "-1"), "X",
    locale=Locale.EN,
)  # fmt: skip


def person(locale: Locale | None) -> Person:
    return Person(PersonId("p"), GemeenteId("g"), "P", locale=locale)


@pytest.mark.parametrize(
    ("who", "group", "hint", "expected"),
    [
        (person(Locale.EN), None, None, Locale.EN),
        (person(Locale.NL), ENGLISH_GROUP, "en", Locale.NL),  # the person's choice wins
        (person(None), ENGLISH_GROUP, "nl-BE", Locale.NL),  # then the app's language
        (person(None), ENGLISH_GROUP, "de", Locale.EN),  # then the group's
        (None, None, "fr", Locale.NL),  # then the gemeente's default
    ],
)
def test_locale_resolution_order(
    who: Person | None, group: Group | None, hint: str | None, expected: Locale
) -> None:
    assert resolve_locale(person=who, group=group, gemeente=GEMEENTE, hint=hint) is expected


def test_times_are_shown_in_amsterdam_time_in_the_readers_language() -> None:
    winter = datetime(2026, 11, 29, 2, 5, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 2, 5, tzinfo=UTC)
    nl = TRANSLATORS.get(Locale.NL, "Europe/Amsterdam")
    en = TRANSLATORS.get(Locale.EN, "Europe/Amsterdam")
    assert nl.time(winter) == "03:05"
    assert nl.time(summer) == "04:05"
    assert nl.date(winter) == "29 november 2026"
    assert en.date(winter) == "November 29, 2026"
