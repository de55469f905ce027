"""What the bot says about beheerder roles, ownership and continuity (flow 5)."""

from __future__ import annotations

from collections.abc import Sequence

from buurtbot.core.commands import Command
from buurtbot.core.domain.errors import RosterProblem
from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText
from buurtbot.core.texts.commands import shown_name


def _cmd(tr: Translator, command: Command) -> str:
    return shown_name(command, tr.locale)


def coadmin_usage(tr: Translator, *, in_regie: bool) -> RichText:
    _ = tr.gettext
    if in_regie:
        text = _(
            "Use {command} add <handle> [group] or {command} remove <handle> [group]; name the "
            "group when the person is in more than one buurtgroep."
        )
    else:
        text = _(
            "Use {command} add <handle> or {command} remove <handle>, or reply to a message of "
            "the member with {command} add or {command} remove."
        )
    return RichText.of(text.format(command=_cmd(tr, Command.COADMIN)))


def transfer_usage(tr: Translator, *, in_regie: bool) -> RichText:
    _ = tr.gettext
    if in_regie:
        text = _("Use {command} <handle> [group] to make the person eigenaar of their buurtgroep.")
    else:
        text = _(
            "Use {command} <handle>, or reply to a message of the member with {command}, to "
            "hand the group over."
        )
    return RichText.of(text.format(command=_cmd(tr, Command.TRANSFER)))


def unknown_group(tr: Translator, given: str, choices: Sequence[str]) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I do not know the buurtgroep {given}. Choose one of: {groups}.").format(
            given=given, groups=", ".join(choices)
        )
    )


def name_the_group(tr: Translator, name: str, choices: Sequence[str]) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("{name} is in several buurtgroepen. Add one of these to the command: {groups}.").format(
            name=name, groups=", ".join(choices)
        )
    )


def not_a_member(tr: Translator, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "{name} is not a member of {group}. Only members can become beheerder; they join "
            "through a sign-up first."
        ).format(name=name, group=group)
    )


def roster_problem(tr: Translator, problem: RosterProblem, *, name: str, group: str,
                   maximum: int) -> RichText:  # fmt: skip
    """A :class:`RosterError` in words; nothing was changed."""
    _ = tr.gettext
    transfer = _cmd(tr, Command.TRANSFER)
    texts = {
        RosterProblem.NOT_A_MEMBER: _("{name} is not a member of {group}."),
        RosterProblem.ALREADY_EIGENAAR: _("{group} already has an eigenaar."),
        RosterProblem.TOO_MANY_MEDE_BEHEERDERS: tr.ngettext(
            "{group} already has {maximum} mede-beheerder, the most allowed. Remove one first.",
            "{group} already has {maximum} mede-beheerders, the most allowed. Remove one first.",
            maximum,
        ),
        RosterProblem.EIGENAAR_MUST_TRANSFER: _(
            "{name} is the eigenaar of {group}. Hand the group over first with {command}."
        ),
        RosterProblem.NO_EIGENAAR: _("{group} has no eigenaar."),
        RosterProblem.SEVERAL_EIGENAREN: _("{group} has more than one eigenaar."),
        RosterProblem.NOT_A_BUURTGROEP: _("Only a buurtgroep has beheerders."),
    }
    return RichText.of(
        texts[problem].format(name=name, group=group, maximum=maximum, command=transfer),
        " ",
        _("Nothing was changed."),
    )


def already_mede_beheerder(tr: Translator, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("{name} is already a mede-beheerder of {group}.").format(
        name=name, group=group))  # fmt: skip


def not_mede_beheerder(tr: Translator, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("{name} is not a mede-beheerder of {group}.").format(
        name=name, group=group))  # fmt: skip


def already_eigenaar(tr: Translator, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("{name} is already the eigenaar of {group}.").format(
        name=name, group=group))  # fmt: skip


def coadmin_added(tr: Translator, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("{name} is now a mede-beheerder of {group}.").format(
        name=name, group=group))  # fmt: skip


def coadmin_removed(tr: Translator, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("{name} is no longer a mede-beheerder of {group}.").format(
        name=name, group=group))  # fmt: skip


def transferred(tr: Translator, *, name: str, group: str, old: str | None,
                old_stays: bool) -> RichText:  # fmt: skip
    _ = tr.gettext
    text = RichText.of(_("{name} is now the eigenaar of {group}.").format(name=name, group=group))
    if old is None:
        return text
    if old_stays:
        then = _("{old} stays on as mede-beheerder.")
    else:
        then = _("{old} is a member again: the group has no room for another mede-beheerder.")
    return text + " " + then.format(old=old)


def you_are_mede_beheerder(tr: Translator, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "You are now a mede-beheerder of {group}: you watch the group, escalate what "
            "matters (/escalate) and warn members who break the rules (/warn)."
        ).format(group=group)
    )


def you_are_no_longer_mede_beheerder(tr: Translator, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("You are no longer a mede-beheerder of {group}. You stay a member.").format(group=group)
    )


def you_are_eigenaar(tr: Translator, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "You are now the eigenaar of {group}: new sign-ups for the group come to you, and "
            "you choose the mede-beheerders ({command})."
        ).format(group=group, command=_cmd(tr, Command.COADMIN))
    )


def coordinators_joined(tr: Translator, group: str, *, how: str) -> RichText:
    """``how``: ``added`` (done), ``invite`` (a link follows) or ``by-hand``."""
    _ = tr.gettext
    texts = {
        "added": _("As a beheerder you are now also in {group}, the group of all beheerders."),
        "invite": _(
            "As a beheerder you belong in {group}, the group of all beheerders. "
            "You will receive an invitation to join it."
        ),
        "by-hand": _(
            "As a beheerder you belong in {group}, the group of all beheerders. "
            "The hoofdcoordinator will add you."
        ),
    }
    return RichText.of(texts[how].format(group=group))


def coordinators_left(tr: Translator, group: str, *, by_hand: bool) -> RichText:
    _ = tr.gettext
    if by_hand:
        text = _("You are no longer a beheerder, so please leave {group}.")
    else:
        text = _("You are no longer a beheerder, so you have been taken out of {group}.")
    return RichText.of(text.format(group=group))


def add_to_coordinators_by_hand(tr: Translator, *, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("{name} is now a beheerder. I cannot add people to {group}; please add them.").format(
            name=name, group=group
        )
    )


def remove_from_coordinators_by_hand(tr: Translator, *, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "{name} is no longer a beheerder. I cannot remove people from {group}; please "
            "remove them."
        ).format(name=name, group=group)
    )


def too_few_beheerders(tr: Translator, *, group: str, count: int) -> RichText:
    """Continuity: the regiegroep should see that a group leans on too few people."""
    _ = tr.gettext
    return RichText.of(
        tr.ngettext(
            "{group} has only {count} beheerder left. Please find another one, so the group "
            "is watched when someone is away.",
            "{group} has only {count} beheerders left. Please find another one, so the group "
            "is watched when someone is away.",
            count,
        ).format(group=group, count=count)
    )


def eigenaar_left(tr: Translator, *, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "{name}, the eigenaar of {group}, has left the group chat. The group has no active "
            "eigenaar now: sign-ups wait until someone takes over ({command})."
        ).format(name=name, group=group, command=_cmd(tr, Command.TRANSFER))
    )
