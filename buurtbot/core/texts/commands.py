"""Command names and help lines as a reader sees them."""

from __future__ import annotations

from collections.abc import Iterable

from buurtbot.core.commands import ALIASES, Command
from buurtbot.core.domain.model import Locale
from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText, bold


def shown_name(command: Command, locale: Locale) -> str:
    """``/regels`` for a Dutch reader, ``/rules`` for an English one (both always work)."""
    names = ALIASES[command]
    return "/" + (names[1] if locale is Locale.NL and len(names) > 1 else names[0])


def describe(tr: Translator, command: Command) -> str:
    """One line of help for ``command`` in the reader's language."""
    _ = tr.gettext
    lines: dict[Command, str] = {
        Command.START: _("start talking to the bot"),
        Command.HELP: _("what you can do here"),
        Command.RULES: _("the house rules and SAAR"),
        Command.LANGUAGE: _("choose your language (nl or en)"),
        Command.WHOAMI: _("your roles in the network"),
        Command.CHATID: _("the id of this chat, for the network file"),
        Command.CANCEL: _("stop what you are doing with me (a melding, a sign-up)"),
        Command.MELDING: _("report a suspicious situation, step by step"),
        Command.CALLED_112: _("say that 112 has been called (reply to the report)"),
        Command.ESCALATE: _("pass a message on to the regiegroep and neighbours (reply to it)"),
        Command.FORWARD: _("pass an escalation on to your own groups (reply to it)"),
        Command.FOLLOWUP: _("record the police follow-up of an escalation (its id, what happened)"),
        Command.WARN: _("warn a member for breaking a rule (reply to their message)"),
        Command.WARNS: _("show active warnings"),
        Command.UNWARN: _("withdraw the latest warning"),
        Command.REMOVE: _("remove a member from the group (reply to their message)"),
        Command.UNBLOCK: _("lift a block so a person may join again"),
        Command.LOG: _("recent moderation and escalation actions"),
        Command.SIGNUP: _("sign up for your neighbourhood's group"),
        Command.PENDING: _("sign-ups waiting for you"),
        Command.ADMIT: _("admit a sign-up"),
        Command.DECLINE: _("decline a sign-up, with a reason"),
        Command.ROUTE: _("send a sign-up to another buurt"),
        Command.COADMIN: _("add or remove a mede-beheerder"),
        Command.TRANSFER: _("hand the group over to a new eigenaar"),
        Command.MYDATA: _("everything the bot stores about you"),
        Command.FORGETME: _("erase everything the bot stores about you"),
        Command.STATUS: _("the state of the bot and its platforms"),
        Command.DASHBOARD: _("a sign-in link for the regie dashboard"),
    }
    return lines[command]


def help_text(tr: Translator, commands: Iterable[Command], *, private: bool) -> RichText:
    _ = tr.gettext
    heading = _("What you can do here:") if not private else _("What you can do with me:")
    lines = [f"{shown_name(c, tr.locale)} – {describe(tr, c)}" for c in commands]
    saar = _(
        "SAAR: Signal what you see, Alert 112 (police act only on a 112 call; no urgency: "
        "0900-8844), App the group, React only when it is safe."
    )
    return RichText.of(bold(heading), "\n", "\n".join(lines), "\n\n", saar)
