"""The bot's commands: canonical names, their Dutch and English aliases, and parsing.

Command keywords are identifiers, not translated text; their help text is translated.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Command(enum.StrEnum):
    START = "start"
    HELP = "help"
    RULES = "rules"
    LANGUAGE = "language"
    WHOAMI = "whoami"
    CHATID = "chatid"
    CANCEL = "cancel"
    MELDING = "melding"
    CALLED_112 = "112"
    ESCALATE = "escalate"
    FORWARD = "forward"
    FOLLOWUP = "followup"
    WARN = "warn"
    WARNS = "warns"
    UNWARN = "unwarn"
    REMOVE = "remove"
    UNBLOCK = "unblock"
    LOG = "log"
    SIGNUP = "signup"
    PENDING = "pending"
    ADMIT = "admit"
    DECLINE = "decline"
    ROUTE = "route"
    COADMIN = "coadmin"
    TRANSFER = "transfer"
    MYDATA = "mydata"
    FORGETME = "forgetme"
    STATUS = "status"
    DASHBOARD = "dashboard"


#: Every name a command answers to, canonical English name first, then the Dutch aliases.
ALIASES: dict[Command, tuple[str, ...]] = {
    Command.START: ("start",),
    Command.HELP: ("help", "hulp"),
    Command.RULES: ("rules", "regels", "spelregels"),
    Command.LANGUAGE: ("language", "taal"),
    Command.WHOAMI: ("whoami", "wiebenik"),
    Command.CHATID: ("chatid",),
    Command.CANCEL: ("cancel", "stop", "annuleer"),
    Command.MELDING: ("report", "melding"),
    Command.CALLED_112: ("112",),
    Command.ESCALATE: ("escalate", "escaleer"),
    Command.FORWARD: ("forward", "doorsturen"),
    Command.FOLLOWUP: ("followup", "opvolging"),
    Command.WARN: ("warn", "waarschuw"),
    Command.WARNS: ("warns", "waarschuwingen"),
    Command.UNWARN: ("unwarn", "intrekken"),
    Command.REMOVE: ("remove", "verwijder"),
    Command.UNBLOCK: ("unblock", "vrijgeven"),
    Command.LOG: ("log", "logboek"),
    Command.SIGNUP: ("signup", "aanmelden"),
    Command.PENDING: ("pending", "aanmeldingen"),
    Command.ADMIT: ("admit", "toelaten"),
    Command.DECLINE: ("decline", "afwijzen"),
    Command.ROUTE: ("route", "routeer"),
    Command.COADMIN: ("coadmin", "cobeheerder"),
    Command.TRANSFER: ("transfer", "overdragen"),
    Command.MYDATA: ("mydata", "mijngegevens"),
    Command.FORGETME: ("forgetme", "vergeetmij"),
    Command.STATUS: ("status",),
    Command.DASHBOARD: ("dashboard",),
}

_BY_NAME: dict[str, Command] = {name: cmd for cmd, names in ALIASES.items() for name in names}

#: Longest command name a platform may send us; anything longer is not a command.
MAX_NAME_LENGTH = 32
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)")


def lookup(name: str) -> Command | None:
    """The command a (lower- or mixed-case) name or alias stands for."""
    return _BY_NAME.get(name.lower())


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str
    args: tuple[str, ...]
    addressed_to: str | None


def parse_command_text(text: str, *, bot_username: str | None = None) -> ParsedCommand | None:
    """Split ``'/Escalate@buurt_bot buren'`` into ``('escalate', ('buren',), 'buurt_bot')``.

    Returns ``None`` for text that is not a command, and for a command addressed to another
    bot (``/help@otherbot`` in a group with several bots).
    """
    match = _COMMAND.match(text)
    if not match:
        return None
    name, target = match.group(1).lower(), match.group(2)
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    args = tuple(text[match.end() :].split())
    return ParsedCommand(name, args, target)
