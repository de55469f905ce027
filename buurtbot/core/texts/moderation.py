"""What the bot says about warnings, removals, blocks and the audit log.

Names, notes and reasons typed by people arrive here as plain strings and leave as plain
spans: nothing a person typed is ever read as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from buurtbot.core.commands import Command
from buurtbot.core.domain.audit import AuditAction
from buurtbot.core.domain.model import Locale
from buurtbot.core.domain.moderation import WarningReason
from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText, Span, bold
from buurtbot.core.texts.commands import shown_name

#: The word a beheerder types for each reason, per language (``WarningReason.parse`` takes all).
REASON_WORDS: dict[Locale, dict[WarningReason, str]] = {
    Locale.EN: {
        WarningReason.LANGUAGE: "language",
        WarningReason.OFF_TOPIC: "off-topic",
        WarningReason.OWN_HANDS: "own-hands",
        WarningReason.PHOTO: "photo",
        WarningReason.PRIVATE: "private",
        WarningReason.OTHER: "other",
    },
    Locale.NL: {
        WarningReason.LANGUAGE: "taal",
        WarningReason.OFF_TOPIC: "chat",
        WarningReason.OWN_HANDS: "eigen-rechter",
        WarningReason.PHOTO: "foto",
        WarningReason.PRIVATE: "prive",
        WarningReason.OTHER: "overig",
    },
}


def reason_words(tr: Translator) -> str:
    """The reasons as the reader would type them: ``taal, chat, …``."""
    return ", ".join(REASON_WORDS[tr.locale].values())


def reason_label(tr: Translator, reason: WarningReason) -> str:
    """A short name of the broken rule, for lists and notices."""
    _ = tr.gettext
    return {
        WarningReason.LANGUAGE: _("bad language"),
        WarningReason.OFF_TOPIC: _("chatting off-topic"),
        WarningReason.OWN_HANDS: _("taking the law into one's own hands"),
        WarningReason.PHOTO: _("a photo where words would do"),
        WarningReason.PRIVATE: _("private messages in the group"),
        WarningReason.OTHER: _("another reason"),
    }[reason]


def reason_rule(tr: Translator, reason: WarningReason) -> str:
    """The house rule itself, worded as in ``/rules`` (the same msgids, so the same text)."""
    _ = tr.gettext
    return {
        WarningReason.LANGUAGE: _("Mind your language: no cursing, insults or discrimination."),
        WarningReason.OFF_TOPIC: _(
            "Use the group only for what it is for: no chatting, no private messages."
        ),
        WarningReason.OWN_HANDS: _("Do not take the law into your own hands and break no laws: "
                                   "no phone in your hand while driving."),
        WarningReason.PHOTO: _("Send a photo of a suspect only when a description in words is "
                               "not enough. Describe people by gender, height, clothing and face; "
                               "vehicles by colour, make, type and licence plate."),
        WarningReason.PRIVATE: _(
            "Use the group only for what it is for: no chatting, no private messages."
        ),
        WarningReason.OTHER: _("Where the rules are silent, the beheerder decides, if needed "
                               "together with the police and the gemeente."),
    }[reason]  # fmt: skip


def _cmd(tr: Translator, command: Command) -> str:
    return shown_name(command, tr.locale)


# -- usage and refusals ----------------------------------------------------------------------
def warn_usage(tr: Translator, *, by_handle: bool) -> RichText:
    """How /warn is used, with the reasons; ``by_handle`` in the regiegroep."""
    _ = tr.gettext
    command = _cmd(tr, Command.WARN)
    if by_handle:
        how = _(
            "Use {command} <handle> <reason> [note], or reply with {command} <reason> [note] "
            "to a message about the person."
        )
    else:
        how = _("Reply to the member's message with {command} <reason> [note].")
    return RichText.of(
        how.format(command=command),
        "\n",
        _("Reasons: {reasons}.").format(reasons=reason_words(tr)),
    )


def unknown_reason(tr: Translator, given: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I do not know the reason {given}. Choose one of: {reasons}.").format(
            given=given, reasons=reason_words(tr)
        )
    )


def target_usage(tr: Translator, command: Command, *, by_handle: bool) -> RichText:
    """How to name the person for /unwarn, /unblock, /warns or /remove."""
    _ = tr.gettext
    name = _cmd(tr, command)
    if command is Command.REMOVE:
        if by_handle:
            text = _(
                "Use {command} <handle> <reason>, or reply with {command} <reason> to a "
                "message about the person."
            )
        else:
            text = _("Reply to the member's message with {command} <reason>.")
    elif by_handle:
        text = _("Use {command} <handle>, or reply with {command} to a message about the person.")
    else:
        text = _("Reply to the member's message with {command}.")
    return RichText.of(text.format(command=name))


def remove_needs_reason(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Please give a reason: {command} <reason>. The member and the regiegroep see it.").format(
            command=_cmd(tr, Command.REMOVE)
        )
    )


def not_at_the_bot(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("That is one of my own messages. Reply to a message of the member."))


def unknown_author(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I do not know who wrote that message. Reply to a message of a member of this group.")
    )


def unknown_handle(tr: Translator, handle: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("I know nobody called {handle} in this gemeente.").format(handle=handle))


def not_yourself(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("You cannot do that to yourself."))


def not_in_gemeente(tr: Translator, name: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("{name} does not take part in this gemeente's network.").format(name=name))


def not_in_group(tr: Translator, name: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("{name} is not a member of this group.").format(name=name))


def not_in_any_buurtgroep(tr: Translator, name: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("{name} is not a member of any buurtgroep.").format(name=name))


def beheerder_by_regie_only(tr: Translator, name: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "{name} is a beheerder. Only the regiegroep handles warnings and removals of "
            "beheerders."
        ).format(name=name)
    )


def eigenaar_must_transfer(tr: Translator, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "{name} is the eigenaar of {group} and cannot be removed before the group has a "
            "new eigenaar ({command}). Nothing was changed."
        ).format(name=name, group=group, command=_cmd(tr, Command.TRANSFER))
    )


def note_shortened(tr: Translator, limit: int) -> str:
    _ = tr.gettext
    return _("(Your note was shortened to {limit} characters.)").format(limit=limit)


# -- warnings --------------------------------------------------------------------------------
def _rule_and_note(tr: Translator, reason: WarningReason, note: str) -> list[str | RichText]:
    _ = tr.gettext
    parts: list[str | RichText] = [
        _("The rule: {rule}").format(rule=reason_rule(tr, reason)),
    ]
    if note:
        parts += ["\n", _("The beheerder's note: {note}").format(note=note)]
    return parts


def warned_member(
    tr: Translator,
    *,
    group: str,
    reason: WarningReason,
    note: str,
    count: int,
    threshold: int,
    expires_at: datetime,
    from_regie: bool = False,
) -> RichText:
    """The private message to a warned member, in their language; ``group`` is where it
    was given, or with ``from_regie`` the gemeente's name."""
    _ = tr.gettext
    if from_regie:
        head = _("The regiegroep of {gemeente} has given you a warning.").format(gemeente=group)
    else:
        head = _("You have received a warning in {group}.").format(group=group)
    return RichText.of(
        bold(head),
        "\n",
        *_rule_and_note(tr, reason, note),
        "\n",
        tr.ngettext(
            "You now have {count} active warning; at {threshold} you are removed from the group.",
            "You now have {count} active warnings; at {threshold} you are removed from the group.",
            count,
        ).format(count=count, threshold=threshold),
        "\n",
        _("This warning expires on {date}. {rules} shows all house rules.").format(
            date=tr.date(expires_at), rules=_cmd(tr, Command.RULES)
        ),
    )


def warned_group_notice(tr: Translator, *, name: str, reason: WarningReason) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("{name} has received a warning: {reason}.").format(
            name=name, reason=reason_label(tr, reason)
        )
    )


def warned_confirmation(
    tr: Translator,
    *,
    name: str,
    reason: WarningReason,
    count: int,
    threshold: int,
    shortened_to: int | None = None,
) -> RichText:
    _ = tr.gettext
    text = _(
        "{name} has been warned for {reason} and told privately. Active warnings: "
        "{count} of {threshold}."
    ).format(name=name, reason=reason_label(tr, reason), count=count, threshold=threshold)
    tail = " " + note_shortened(tr, shortened_to) if shortened_to else ""
    return RichText.of(text + tail)


def warnings_list(
    tr: Translator,
    *,
    name: str | None,
    warnings: Sequence[tuple[datetime, WarningReason, str, datetime]],
    threshold: int,
) -> RichText:
    """Active warnings as ``(given at, reason, group name, expires at)``; ``name`` ``None``: own."""
    _ = tr.gettext
    count = len(warnings)
    if not warnings:
        if name is None:
            return RichText.of(_("You have no active warnings."))
        return RichText.of(_("{name} has no active warnings.").format(name=name))
    if name is None:
        head = tr.ngettext(
            "You have {count} active warning (at {threshold} you are removed):",
            "You have {count} active warnings (at {threshold} you are removed):",
            count,
        ).format(count=count, threshold=threshold)
    else:
        head = tr.ngettext(
            "{name} has {count} active warning (removal at {threshold}):",
            "{name} has {count} active warnings (removal at {threshold}):",
            count,
        ).format(name=name, count=count, threshold=threshold)
    lines = [
        "• "
        + _("{date}: {reason} in {group}, expires on {expires}").format(
            date=tr.date(at), reason=reason_label(tr, reason), group=group, expires=tr.date(until)
        )
        for at, reason, group, until in warnings
    ]
    return RichText.of(bold(head), "\n", "\n".join(lines))


def nothing_to_withdraw(tr: Translator, name: str, *, here: bool) -> RichText:
    _ = tr.gettext
    if here:
        text = _("{name} has no active warning from this group to withdraw.")
    else:
        text = _("{name} has no active warning to withdraw.")
    return RichText.of(text.format(name=name))


def unwarned_confirmation(
    tr: Translator, *, name: str, reason: WarningReason, count: int, threshold: int
) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "The latest warning of {name} ({reason}) has been withdrawn. Active warnings: "
            "{count} of {threshold}."
        ).format(name=name, reason=reason_label(tr, reason), count=count, threshold=threshold)
    )


def unwarned_member(tr: Translator, *, reason: WarningReason) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Your warning for {reason} has been withdrawn.").format(reason=reason_label(tr, reason))
    )


# -- removal and blocks ----------------------------------------------------------------------
def removed_member(
    tr: Translator, *, groups: Iterable[str], reason: str, blocked: bool, gemeente: str
) -> RichText:
    """The private message to a removed member; ``reason`` is already in their words."""
    _ = tr.gettext
    where = ", ".join(groups)
    if where:
        head = _("You have been removed from {groups}.").format(groups=where)
    else:
        head = _("You can no longer take part in buurtpreventie {gemeente}.").format(
            gemeente=gemeente
        )
    parts: list[str | Span | RichText] = [
        bold(head),
        "\n",
        _("Reason: {reason}").format(reason=reason),
    ]
    if blocked:
        parts += [
            "\n",
            _(
                "You cannot join any buurtpreventie group of {gemeente} until the regiegroep "
                "lifts this block."
            ).format(gemeente=gemeente),
        ]
    return RichText.of(*parts)


def threshold_reason(tr: Translator, count: int) -> str:
    return tr.ngettext(
        "{count} active warning for breaking the house rules",
        "{count} active warnings for breaking the house rules",
        count,
    ).format(count=count)


def removed_report(
    tr: Translator,
    *,
    name: str,
    groups: Iterable[str],
    reason: str,
    by: str,
    blocked: bool,
    by_hand: Iterable[str] = (),
) -> RichText:
    """What beheerders and the acting person hear about a removal."""
    _ = tr.gettext
    where = ", ".join(groups)
    if where:
        head = _("{name} has been removed from {groups} by {by}.").format(
            name=name, groups=where, by=by
        )
    else:
        head = _("{name} has been blocked by {by}.").format(name=name, by=by)
    parts: list[str | Span | RichText] = [
        head,
        "\n",
        _("Reason: {reason}").format(reason=reason),
    ]
    if blocked:
        parts += [
            "\n",
            _(
                "{name} is blocked from every group of the gemeente until the regiegroep lifts it."
            ).format(name=name),
        ]
    hand = list(by_hand)
    if hand:
        parts += [
            "\n",
            bold(
                _(
                    "I cannot remove members there myself; please remove {name} by hand in: "
                    "{groups}."
                ).format(name=name, groups=", ".join(hand))
            ),
        ]
    return RichText.of(*parts)


def removed_regie_notice(
    tr: Translator,
    *,
    name: str,
    handle: str | None,
    groups: Iterable[str],
    reason: str,
    by: str,
    blocked: bool,
    by_hand: Iterable[str] = (),
) -> RichText:
    """The regiegroep's notice; when blocked it says how to lift the block."""
    _ = tr.gettext
    report = removed_report(
        tr, name=name, groups=groups, reason=reason, by=by, blocked=blocked, by_hand=by_hand
    )
    if not blocked:
        return report
    unblock = _cmd(tr, Command.UNBLOCK)
    if handle:
        how = _("To lift the block, reply {command} to this message or use {command} {handle}.")
    else:
        how = _("To lift the block, reply {command} to this message.")
    return report + RichText.of("\n", how.format(command=unblock, handle=handle or ""))


def not_blocked(tr: Translator, name: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("{name} is not blocked.").format(name=name))


def unblocked(tr: Translator, name: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "The block of {name} has been lifted. They may be admitted to a group again "
            "through the usual sign-up."
        ).format(name=name)
    )


def unblocked_member(tr: Translator, gemeente: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "The regiegroep has lifted your block: you may sign up for a buurtpreventie group "
            "of {gemeente} again."
        ).format(gemeente=gemeente)
    )


def blocked_join_report(tr: Translator, *, name: str, group: str, joined: bool) -> RichText:
    """To the beheerders: a blocked person tried to get into their group."""
    _ = tr.gettext
    if joined:
        text = _("{name} is blocked in this gemeente but joined {group}; I removed them again.")
    else:
        text = _("{name} is blocked in this gemeente and asked to join {group}; I declined.")
    tail = _("Only the regiegroep can lift the block.")
    return RichText.of(text.format(name=name, group=group), " ", tail)


def blocked_join_by_hand(tr: Translator, *, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        bold(
            _(
                "{name} is blocked in this gemeente but joined {group}. I cannot remove "
                "members there myself; please remove them by hand."
            ).format(name=name, group=group)
        )
    )


# -- the audit log ---------------------------------------------------------------------------
def log_heading(tr: Translator, count: int) -> str:
    return tr.ngettext(
        "The latest {count} entry of the log:", "The latest {count} entries of the log:", count
    ).format(count=count)


def log_empty(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("The log is still empty."))


def log_line(
    tr: Translator,
    *,
    at: datetime,
    action: AuditAction,
    actor: str | None,
    subject: str | None,
    group: str | None,
    reason: str,
    blocked: bool = True,
) -> str:
    """One entry, e.g. ``29 november 2026 04:00 – Anna warned Eva in Goor Centrum (taal)``.

    ``actor`` ``None``: the bot did it. ``reason`` is already in the reader's words.
    ``blocked``: a refused join was a blocked person's (else: someone not in the group).
    """
    _ = tr.gettext
    who = actor or _("the bot")
    whom = subject or _("someone unknown")
    where = group or _("an unknown group")
    texts = {
        AuditAction.ESCALATED: _("{actor} escalated a message from {group}"),
        AuditAction.FORWARDED: _("{actor} forwarded an escalation from {group}"),
        AuditAction.CALLED_112: _("{actor} reported a 112 call in {group}"),
        AuditAction.WARNED: _("{actor} warned {subject} in {group}"),
        AuditAction.UNWARNED: _("{actor} withdrew a warning of {subject}"),
        AuditAction.REMOVED: _("{actor} removed {subject} from {group}"),
        AuditAction.BLOCKED: _("{actor} blocked {subject} in the gemeente"),
        AuditAction.UNBLOCKED: _("{actor} lifted the block of {subject}"),
        AuditAction.JOIN_REFUSED: _("{subject} (blocked) was kept out of {group}"),
        AuditAction.DELIVERY_FAILED: _("a message to {group} could not be delivered"),
        AuditAction.FOLLOWED_UP: _(
            "{actor} recorded the police follow-up of an escalation from {group}"
        ),
        AuditAction.DASHBOARD_SIGNED_IN: _("{actor} signed in to the dashboard"),
    }
    if action is AuditAction.JOIN_REFUSED and not blocked:
        texts[action] = _("{subject} was kept out of {group}")
    text = texts[action].format(actor=who, subject=whom, group=where)
    if reason:
        text += f" ({reason})"
    return f"{tr.date(at)} {tr.time(at)} – {text}"


def log_text(tr: Translator, lines: Sequence[str]) -> RichText:
    if not lines:
        return log_empty(tr)
    return RichText.of(bold(log_heading(tr, len(lines))), "\n", "\n".join(lines))


def join_kind(tr: Translator, joined: bool) -> str:
    _ = tr.gettext
    return _("joined, removed again") if joined else _("join request declined")
