"""What the bot says about the police follow-up of an escalation: the reminder to check with
the wijkagent, and the answers to ``/followup``.

Names, the escalated text and the typed note are plain text parts, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from buurtbot.core.commands import Command
from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText, Span, bold, italic
from buurtbot.core.texts.commands import shown_name

#: How much of the escalated text a reminder quotes.
EXCERPT = 80


@dataclass(frozen=True, slots=True)
class Named:
    """An escalation as these texts name it: its buurt, when, and its (short) id."""

    buurt: str
    at: datetime
    id: str


def excerpt(text: str, length: int = EXCERPT) -> str:
    """The start of an escalated text on one line, cut at ``length`` with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


def _command(tr: Translator) -> str:
    return shown_name(Command.FOLLOWUP, tr.locale)


def _how_to_record(tr: Translator, short_id: str) -> str:
    _ = tr.gettext
    return _("Record it with: {command} {id} <what happened>").format(
        command=_command(tr), id=short_id
    )


def _quote(tr: Translator, text: str) -> Span | str:
    _ = tr.gettext
    return excerpt(text) if text.strip() else italic(_("(a message without text, e.g. a photo)"))


def reminder(tr: Translator, escalation: Named, text: str, hours: int) -> RichText:
    """To the beheerder who escalated: no follow-up of the police yet, check with the
    wijkagent and record what happened."""
    _ = tr.gettext
    return RichText.of(
        bold("👮 " + _("Police follow-up?")),
        "\n",
        tr.ngettext(
            "You escalated a message from {buurt} to the police ({time}, #{id}) over {hours} "
            "hour ago, and no follow-up has been recorded yet:",
            "You escalated a message from {buurt} to the police ({time}, #{id}) over {hours} "
            "hours ago, and no follow-up has been recorded yet:",
            hours,
        ).format(
            buurt=escalation.buurt, time=tr.datetime(escalation.at), id=escalation.id, hours=hours
        ),
        "\n«",
        _quote(tr, text),
        "»\n",
        _("Please check with the wijkagent what happened with it."),
        "\n",
        _how_to_record(tr, escalation.id),
    )


def reminder_to_regie(tr: Translator, escalation: Named, text: str, hours: int) -> RichText:
    """To the regiegroep, when the beheerder who escalated cannot be reached privately."""
    _ = tr.gettext
    return RichText.of(
        bold("👮 " + _("Police follow-up?")),
        "\n",
        tr.ngettext(
            "An escalation from {buurt} to the police ({time}, #{id}) has had no follow-up "
            "for over {hours} hour, and the beheerder who escalated it cannot be reached:",
            "An escalation from {buurt} to the police ({time}, #{id}) has had no follow-up "
            "for over {hours} hours, and the beheerder who escalated it cannot be reached:",
            hours,
        ).format(
            buurt=escalation.buurt, time=tr.datetime(escalation.at), id=escalation.id, hours=hours
        ),
        "\n«",
        _quote(tr, text),
        "»\n",
        _("Please check with the wijkagent what happened with it."),
        "\n",
        _how_to_record(tr, escalation.id),
    )


def usage(tr: Translator, typed: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "Give the escalation's id and what happened, e.g. {example}. The id is in the "
            "reminder (#…)."
        ).format(example=f"/{typed} a1b2c3 " + _("the wijkagent spoke to the driver"))
    )


def unknown_id(tr: Translator, typed: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I know no escalation with the id {id}. It may have been removed after the "
          "retention period.").format(id=typed)
    )  # fmt: skip


def ambiguous_id(tr: Translator, typed: str, candidates: Sequence[Named]) -> RichText:
    _ = tr.gettext
    parts: list[str | Span | RichText] = [
        _("Several escalations have an id starting with {id}; give the full id:").format(id=typed)
    ]
    for found in candidates:
        parts += [
            "\n• ",
            _("{id}: {buurt}, {time}").format(
                id=found.id, buurt=found.buurt, time=tr.datetime(found.at)
            ),
        ]
    return RichText.of(*parts)


def other_gemeente(tr: Translator, short_id: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Escalation #{id} belongs to another gemeente; its own people record its follow-up.")
        .format(id=short_id)
    )  # fmt: skip


def not_from_this_group(tr: Translator, short_id: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Escalation #{id} did not come from this group. Record its follow-up in its own "
          "buurtgroep, or privately with me.").format(id=short_id)
    )  # fmt: skip


def not_yours(tr: Translator, short_id: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Only the beheerders of the group it came from and the regiegroep can record the "
          "follow-up of escalation #{id}.").format(id=short_id)
    )  # fmt: skip


def not_for_police(tr: Translator, short_id: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Escalation #{id} did not go to the police, so there is no police follow-up to "
          "record.").format(id=short_id)
    )  # fmt: skip


def already_followed_up(tr: Translator, short_id: str, at: datetime, by: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("The follow-up of escalation #{id} was already recorded by {name} on {time}.").format(
            id=short_id, name=by, time=tr.datetime(at)
        )
    )


def recorded(tr: Translator, escalation: Named, cut_at: int | None) -> RichText:
    """The confirmation to whoever recorded the follow-up."""
    _ = tr.gettext
    text = RichText.of(
        "✅ ",
        _("Recorded: the police follow-up of the escalation from {buurt} ({time}, #{id}).")
        .format(buurt=escalation.buurt, time=tr.datetime(escalation.at), id=escalation.id),
    )  # fmt: skip
    if cut_at is not None:
        text += "\n" + _("The note was cut to {count} characters.").format(count=cut_at)
    return text


def recorded_for_regie(tr: Translator, escalation: Named, by: str, note: str) -> RichText:
    """What the regiegroep is told, once, when someone recorded a follow-up."""
    _ = tr.gettext
    parts: list[str | Span | RichText] = [
        "👮 ",
        _("{name} recorded the police follow-up of the escalation from {buurt} (#{id}).").format(
            name=by, buurt=escalation.buurt, id=escalation.id
        ),
    ]
    if note:
        parts += ["\n«", note, "»"]
    return RichText.of(*parts)
