"""Translation per recipient: every person and group hears the bot in their own language.

The core never installs a process-wide ``_``: a group bot talks to people with different
languages at the same moment, so each text is rendered with the reader's translator.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time

from buurtbot.core.domain.model import Gemeente, Group, Locale, Person


class Translator:
    """Gettext and Babel formatting for one locale and one timezone."""

    def __init__(
        self, locale: Locale, translations: gettext.NullTranslations, timezone: str
    ) -> None:
        self.locale = locale
        self._t = translations
        self.tz = ZoneInfo(timezone)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def datetime(self, moment: dt.datetime) -> str:
        return str(format_datetime(moment.astimezone(self.tz), "short", locale=self.locale.value))

    def time(self, moment: dt.datetime) -> str:
        return str(format_time(moment.astimezone(self.tz), "HH:mm", locale=self.locale.value))

    def date(self, moment: dt.datetime) -> str:
        return str(format_date(moment.astimezone(self.tz), "long", locale=self.locale.value))


class Translators:
    """The loaded catalogs; hands out a :class:`Translator` per locale and timezone."""

    def __init__(self, catalogs: Mapping[Locale, gettext.NullTranslations]) -> None:
        self._catalogs = dict(catalogs)

    def get(self, locale: Locale, timezone: str = "Europe/Amsterdam") -> Translator:
        return Translator(locale, self._catalogs.get(locale, gettext.NullTranslations()), timezone)


def resolve_locale(
    *,
    person: Person | None,
    group: Group | None,
    gemeente: Gemeente | None,
    hint: str | None = None,
) -> Locale:
    """Person's choice, else the platform app's language, else the group's, else the gemeente's."""
    if person is not None and person.locale is not None:
        return person.locale
    hinted = Locale.parse(hint)
    if hinted is not None:
        return hinted
    if group is not None and group.locale is not None:
        return group.locale
    if gemeente is not None:
        return gemeente.default_locale
    return Locale.NL
