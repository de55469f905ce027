"""What the bot says about join requests and about joins it did not arrange.

Names arrive as plain strings (the name a platform shows, or a person's name) and leave as
plain text: nothing a person chose as their name is ever read as markup.
"""

from __future__ import annotations

from buurtbot.core.commands import Command
from buurtbot.core.domain.model import GroupKind
from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText
from buurtbot.core.texts.commands import shown_name


def _cmd(tr: Translator, command: Command) -> str:
    return shown_name(command, tr.locale)


# -- join requests ---------------------------------------------------------------------------
def request_declined(
    tr: Translator, *, name: str, group: str, kind: GroupKind, foreign_link: bool = False
) -> RichText:
    """To the beheerders (other groups: the regiegroep): a request from someone who does not
    belong in the group was declined, and what the person can do."""
    _ = tr.gettext
    match kind:
        case GroupKind.BUURT:
            head = _("{name} asked to join {group} but is not a member of it, so I declined.")
            how = _(
                "If they live or work in the buurt, they can sign up: in a private chat with "
                "me with {signup}, or with the sign-up form of the gemeente. Once the eigenaar "
                "admits them, they get a link of their own. You can pass this on to them."
            )
        case GroupKind.COORDINATOREN:
            head = _(
                "{name} asked to join {group} but is not a beheerder or coordinator of the "
                "gemeente, so I declined."
            )
            how = _("Whoever becomes a beheerder gets a link of their own from me.")
        case _:
            head = _(
                "{name} asked to join {group} but has no role in the regiegroep, so I declined."
            )
            how = _("Roles in the regiegroep are given in the network file of the gemeente.")
    parts: list[str | RichText] = [head.format(name=name, group=group)]
    if foreign_link:
        parts += [" ", _("They used a personal invite link that was made for someone else.")]
    parts += ["\n", how.format(signup=_cmd(tr, Command.SIGNUP))]
    return RichText.of(*parts)


def request_hint(tr: Translator, *, group: str, kind: GroupKind) -> RichText:
    """To a requester the bot knows: why they were not let in, and how to sign up."""
    _ = tr.gettext
    signup = _cmd(tr, Command.SIGNUP)
    if kind is GroupKind.BUURT:
        return RichText.of(
            _(
                "You asked to join {group}. Only residents who signed up and were admitted by "
                "the eigenaar can join, so I could not let you in yet."
            ).format(group=group),
            "\n",
            _(
                "To sign up, send {signup} here, or use the sign-up form of your gemeente. "
                "Once the eigenaar admits you, you get a link of your own to the group."
            ).format(signup=signup),
        )
    return RichText.of(
        _(
            "You asked to join {group}. That group is only for the beheerders and the "
            "regiegroep of the gemeente, so I could not let you in."
        ).format(group=group),
        "\n",
        _("To join the group of your neighbourhood, send {signup} here.").format(signup=signup),
    )


# -- joins the bot did not arrange -----------------------------------------------------------
def unknown_joined(tr: Translator, *, name: str, group: str) -> RichText:
    """The question to the beheerders (other groups: the regiegroep); the choices follow."""
    _ = tr.gettext
    return RichText.of(
        _(
            "{name} joined {group} but is not on its member list (perhaps someone added them "
            "by hand). I have left them in the group. Admit them as a member, or remove them?"
        ).format(name=name, group=group)
    )


def admit_label(tr: Translator) -> str:
    _ = tr.gettext
    return _("Admit as member")


def remove_label(tr: Translator) -> str:
    _ = tr.gettext
    return _("Remove from the group")


def admitted(tr: Translator, *, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("{name} is now a member of {group}.").format(name=name, group=group))


def removed(tr: Translator, *, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("I am removing {name} from {group}.").format(name=name, group=group))


def remove_by_hand(tr: Translator, *, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I cannot remove members from {group} myself; please remove {name} by hand.").format(
            name=name, group=group
        )
    )


def already_decided(tr: Translator, *, by: str, admitted: bool) -> RichText:
    """A later press: someone (``by``) decided first."""
    _ = tr.gettext
    if admitted:
        text = _("This has already been handled by {by}: admitted as member.")
    else:
        text = _("This has already been handled by {by}: removed from the group.")
    return RichText.of(text.format(by=by))


def meanwhile_member(tr: Translator, *, name: str, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("{name} has become a member of {group} in the meantime; nothing is left to decide.")
        .format(name=name, group=group)
    )  # fmt: skip


def not_yours_to_decide(tr: Translator, *, group: str, kind: GroupKind) -> RichText:
    _ = tr.gettext
    if kind is GroupKind.BUURT:
        text = _("Only the beheerders of {group} and the regiegroep can decide this.")
    else:
        text = _("Only the regiegroep can decide this.")
    return RichText.of(text.format(group=group))


def no_longer_open(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("This question is no longer open."))


def blocked_not_admitted(tr: Translator, *, name: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "{name} is blocked in this gemeente, so I cannot admit them. Only the regiegroep "
            "can lift the block; you can still remove them."
        ).format(name=name)
    )


# -- the log ---------------------------------------------------------------------------------
def not_admitted_reason(tr: Translator) -> str:
    """Why a join request of someone who is not blocked was declined (a log entry)."""
    _ = tr.gettext
    return _("not a member; join request declined")


def unknown_join_reason(tr: Translator) -> str:
    """Why someone who joined without being admitted was removed (a log entry)."""
    _ = tr.gettext
    return _("joined without being admitted")
