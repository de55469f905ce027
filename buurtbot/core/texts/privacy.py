"""What the bot says when someone asks for their data or asks to be forgotten."""

from __future__ import annotations

from collections.abc import Sequence

from buurtbot.core.commands import Command
from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText, bold
from buurtbot.core.texts.commands import shown_name


def mydata(tr: Translator, sections: Sequence[tuple[str, Sequence[str]]]) -> RichText:
    """Everything stored about the reader: ``sections`` of (heading, lines)."""
    _ = tr.gettext
    text = RichText.of(bold(_("Everything buurtbot stores about you")))
    for heading, lines in sections:
        text += RichText.of("\n\n", bold(heading), "\n")
        text += "\n".join(lines) if lines else _("(nothing)")
    return text + RichText.of(
        "\n\n",
        _("Group messages are not stored. To have all of this erased, use {command}.").format(
            command=shown_name(Command.FORGETME, tr.locale)
        ),
    )


def mydata_file_caption(tr: Translator) -> RichText:
    """The caption of the file holding the same data."""
    _ = tr.gettext
    return RichText.of(_("The same data as a file (JSON), for keeping or for another program."))


def heading(tr: Translator, part: str) -> str:
    _ = tr.gettext
    return {
        "person": _("You"),
        "accounts": _("Your accounts"),
        "groups": _("Your groups and roles"),
        "warnings": _("Warnings"),
        "blocks": _("Blocks"),
        "meldingen": _("Meldingen you reported"),
        "escalations": _("Messages you escalated"),
        "aanmeldingen": _("Your sign-ups"),
        "log": _("Log entries about you or by you"),
        "dashboard": _("Your dashboard sign-in"),
    }[part]


def person_lines(
    tr: Translator, *, name: str, handle: str | None, gemeente: str | None, language: str | None
) -> list[str]:
    _ = tr.gettext
    lines = [_("Name: {name}").format(name=name or "-")]
    if handle:
        lines.append(_("Short name: {handle}").format(handle=handle))
    lines.append(_("Gemeente: {gemeente}").format(gemeente=gemeente or "-"))
    lines.append(
        _("Language: {language}").format(language=language or _("not chosen (the default)"))
    )
    return lines


def role_name(tr: Translator, role: str) -> str:
    _ = tr.gettext
    names = {
        "lid": _("member"),
        "mede-beheerder": _("mede-beheerder"),
        "eigenaar": _("eigenaar"),
        "coordinator": _("coordinator"),
        "hoofdcoordinator": _("hoofdcoordinator"),
        "contactpersoon": _("contactpersoon"),
        "politie": _("police liaison"),
    }
    return names.get(role, role)


def gemeente_roles_line(tr: Translator, roles: Sequence[str]) -> str:
    _ = tr.gettext
    return _("Roles in the gemeente: {roles}").format(
        roles=", ".join(role_name(tr, r) for r in roles)
    )


def warning_line(tr: Translator, *, at: str, group: str, reason: str, state: str) -> str:
    _ = tr.gettext
    states = {"active": _("active"), "expired": _("expired"), "withdrawn": _("withdrawn")}
    return _("{at}, {group}: {reason} ({state})").format(
        at=at, group=group, reason=reason, state=states[state]
    )


def block_line(tr: Translator, at: str) -> str:
    _ = tr.gettext
    return _("Blocked from the gemeente's groups since {at}").format(at=at)


def melding_line(
    tr: Translator, *, at: str, group: str, where: str | None, called_112: bool
) -> str:
    _ = tr.gettext
    line = _("{at}, {group}").format(at=at, group=group)
    if where:
        line += ": " + where
    if called_112:
        line += " " + _("(112 called)")
    return line


def escalation_line(tr: Translator, *, at: str, group: str, scope: str) -> str:
    _ = tr.gettext
    return _("{at}, from {group} ({scope})").format(at=at, group=group, scope=scope)


def aanmelding_line(tr: Translator, *, at: str, state: str, details: Sequence[str]) -> str:
    _ = tr.gettext
    return _("{at} ({state}): {details}").format(at=at, state=state, details=", ".join(details))


def dashboard_line(tr: Translator, *, kind: str, at: str, until: str) -> str:
    _ = tr.gettext
    if kind == "session":
        return _("Signed in on {at}, until {until} (or until you sign out)").format(
            at=at, until=until
        )
    return _("Sign-in link sent on {at}, valid until {until}").format(at=at, until=until)


def log_line(tr: Translator, *, at: str, action: str, you_acted: bool) -> str:
    _ = tr.gettext
    if you_acted:
        return _("{at}: {action} (by you)").format(at=at, action=action)
    return _("{at}: {action} (about you)").format(at=at, action=action)


# -- forgetting ------------------------------------------------------------------------------
def forget_question(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        bold(_("Do you want buurtbot to forget you?")),
        "\n",
        _(
            "You will be taken out of every group, and your name, accounts, roles, warnings "
            "and sign-ups are erased. What you did for the groups (meldingen, escalations) "
            "stays, without your name. This cannot be undone."
        ),
    )


def forget_yes(tr: Translator) -> str:
    _ = tr.gettext
    return _("Yes, forget me")


def forget_no(tr: Translator) -> str:
    _ = tr.gettext
    return _("No, keep my data")


def forget_cancelled(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Nothing was erased. You stay a member as before."))


def forget_refused_eigenaar(tr: Translator, groups: Sequence[str]) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _(
            "You are the eigenaar of {groups}. Hand the group over to another member first "
            "({command}), then ask again. Nothing was erased."
        ).format(groups=", ".join(groups), command=shown_name(Command.TRANSFER, tr.locale))
    )


def forgotten(tr: Translator, leave_yourself: Sequence[str]) -> RichText:
    _ = tr.gettext
    text = RichText.of(
        _(
            "Done: buurtbot has forgotten you. You have been taken out of your groups and "
            "your data is erased. You are welcome to sign up again at any time."
        )
    )
    if leave_yourself:
        text += RichText.of(
            "\n",
            _("I cannot remove you from these chats myself; please leave them: {groups}.").format(
                groups=", ".join(leave_yourself)
            ),
        )
    return text
