"""What the bot says about escalations: the copy each target receives, and the replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from buurtbot.core.domain.escalation import Scope
from buurtbot.core.domain.kenteken import find_plates
from buurtbot.core.domain.melding import Called112
from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText, Span, bold, italic
from buurtbot.core.texts.meldingen import category_label, status_112


def escalated_copy(
    tr: Translator,
    *,
    buurt: str,
    kern: str,
    at: datetime,
    by: str,
    category: str | None,
    called: Called112 | None,
    text: str,
    forwarded_by: str | None = None,
) -> RichText:
    """An escalated message with its origin and 112 status. The message's own text is a
    plain span: whatever it contains is shown, never interpreted."""
    _ = tr.gettext
    parts: list[str | Span | RichText] = [
        bold("⬆ " + _("Escalated from {buurt} ({kern})").format(buurt=buurt, kern=kern)),
        " · ",
        tr.time(at),
        "\n",
        _("by {name}").format(name=by),
        "\n",
    ]
    if forwarded_by:
        parts += [
            italic(_("Forwarded by {name} of the regiegroep").format(name=forwarded_by)),
            "\n",
        ]
    if category:
        parts += [bold(_("Category:")), " ", category_label(tr, category), "\n"]
    parts += [status_112(tr, called), "\n", "—\n"]
    parts.append(text if text else italic(_("(a message without text, e.g. a photo)")))
    plates = find_plates(text)
    if plates:
        parts.append("\n")
    for match in plates:
        if match.plate is not None:
            parts += ["\n", bold(_("Licence plate:")), " ", match.plate.value]
        else:
            parts += [
                "\n",
                _("{typed} does not look like a Dutch licence plate.").format(typed=match.text),
            ]
    return RichText.of(*parts)


def update_112(tr: Translator, called: Called112) -> RichText:
    _ = tr.gettext
    return RichText.of(
        bold(_("Update:")),
        " ",
        _("112 was called by {name} at {time}.").format(
            name=called.by_name, time=tr.time(called.at)
        ),
    )


def needs_reply(tr: Translator, command: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Reply with {command} to the message you want to pass on.").format(command="/" + command)
    )


def unknown_scope(tr: Translator, given: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I do not know the scope {given}. Use one of: buren, kern, politie, regie — or "
          "nothing for the usual targets.").format(given=given)
    )  # fmt: skip


def escalated_to(tr: Translator, names: Sequence[str]) -> RichText:
    _ = tr.gettext
    return RichText.of(
        tr.ngettext(
            "Passed on to {count} target: {names}.",
            "Passed on to {count} targets: {names}.",
            len(names),
        ).format(count=len(names), names=", ".join(names))
    )


def nothing_new(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("This message has already reached all of these targets."))


def forward_needs_escalation(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Reply /forward to an escalated message in the regiegroep to pass it on to groups.")
    )


def unknown_area(tr: Translator, given: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I do not know {given}. Use: groep (your own groups), kern, or alles.").format(
            given=given
        )
    )


def area_not_allowed(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Only the hoofdcoordinator passes messages on to a whole kern or the whole gemeente. "
          "You can forward to your own groups.")
    )  # fmt: skip


def no_own_groups(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("You are not a member of any buurtgroep to forward to."))


def scope_label(tr: Translator, scope: Scope) -> str:
    """How far an escalation went, in the reader's words (for the log)."""
    _ = tr.gettext
    return {
        Scope.DEFAULT: _("regiegroep and neighbours"),
        Scope.ADJACENT: _("regiegroep and neighbours"),
        Scope.KERN: _("regiegroep and the whole kern"),
        Scope.POLITIE: _("regiegroep and the police"),
        Scope.REGIE: _("regiegroep only"),
    }[scope]


def area_label(tr: Translator, area: str) -> str:
    _ = tr.gettext
    labels = {
        "group": _("to own groups"),
        "groep": _("to own groups"),
        "kern": _("to the whole kern"),
        "all": _("to the whole gemeente"),
        "alles": _("to the whole gemeente"),
        "gemeente": _("to the whole gemeente"),
    }
    return labels.get(area, area)


def delivery_summary(tr: Translator, total: int, delivered: int, failed: int) -> str:
    """How far an escalation got (for the log): ``: 3 of 4 delivered, 1 failed``."""
    _ = tr.gettext
    text = tr.ngettext(
        "{delivered} of {total} target reached", "{delivered} of {total} targets reached", total
    ).format(delivered=delivered, total=total)
    if failed:
        text += ", " + tr.ngettext("{failed} failed", "{failed} failed", failed).format(
            failed=failed
        )
    return ": " + text
