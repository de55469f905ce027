"""What the regiegroep reads when an escalation resembles another buurt's recent one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from buurtbot.core.domain.patterns import MatchKind, PatternMatch
from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText, Span, bold
from buurtbot.core.texts.meldingen import gender_label


@dataclass(frozen=True, slots=True)
class Seen:
    """One escalation as the alert names it: its buurt, when, and its short id."""

    buurt: str
    at: datetime
    short_id: str


def short_id(escalation_id: str) -> str:
    return escalation_id[:6]


def resemblance(tr: Translator, match: PatternMatch) -> str:
    """What two escalations have in common, in words."""
    _ = tr.gettext
    if match.kind is MatchKind.PLATE:
        return _("same licence plate {plate}").format(plate=match.what)
    if match.kind is MatchKind.VEHICLE:
        return _("similar vehicle: {vehicle}").format(vehicle=match.what)
    words = [match.what] if match.what else []
    if match.gender in ("man", "woman"):
        words.insert(0, gender_label(tr, match.gender).lower())
    return _("similar person: {person}").format(person=", ".join(words))


def pattern_alert(
    tr: Translator, new: Seen, matches: Sequence[tuple[Seen, PatternMatch]]
) -> RichText:
    """One alert for a new escalation and the earlier ones of other buurten it resembles."""
    _ = tr.gettext
    parts: list[str | Span | RichText] = [
        bold("🔗 " + _("Possible pattern across buurten")),
        "\n",
        tr.ngettext(
            "The escalation from {buurt} ({time}, #{id}) resembles {n} earlier escalation "
            "from another buurt:",
            "The escalation from {buurt} ({time}, #{id}) resembles {n} earlier escalations "
            "from other buurten:",
            len(matches),
        ).format(buurt=new.buurt, time=tr.datetime(new.at), id=new.short_id, n=len(matches)),
    ]
    for seen, match in matches:
        parts += [
            "\n• ",
            _("{buurt}, {time} (#{id}): {resemblance}").format(
                buurt=seen.buurt,
                time=tr.datetime(seen.at),
                id=seen.short_id,
                resemblance=resemblance(tr, match),
            ),
        ]
    parts += [
        "\n",
        _("The escalated messages themselves came to this group when they were escalated."),
    ]
    return RichText.of(*parts)
