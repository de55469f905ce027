"""The command menus a platform shows next to the text field (Telegram's ``setMyCommands``).

The lists are derived from the permission policy, so a menu never offers what the policy
would refuse there: each scope has a representative actor at a representative place, and a
command is in the menu only when :func:`~buurtbot.core.policy.decide` allows it to them.

- ``PRIVATE`` (all private chats): a resident the network knows, with no gemeente role.
  Regie commands (``/status``, ``/pending``) stay out: everyone sees this menu.
- ``GROUP_MEMBERS`` (all group chats): a lid in their buurtgroep.
- ``GROUP_ADMINS`` (group administrators): a mede-beheerder in their buurtgroep, the
  least a beheerder may do there (an eigenaar may also hand over and appoint, which a
  mede-beheerder would be refused).

Names are the Dutch alias for ``nl`` and the English name for ``en``; a name a platform
would refuse (Telegram: 1-32 of ``a-z``, ``0-9``, ``_``) is left out. Descriptions are the
``/help`` lines, translated, with a capital, and cut to 256 characters.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from buurtbot.core.commands import Command
from buurtbot.core.domain.model import GemeenteRole, GroupRole, Locale
from buurtbot.core.i18n import Translators
from buurtbot.core.policy import Actor, Place, decide
from buurtbot.core.services.bot import HANDLERS
from buurtbot.core.texts.commands import describe, shown_name

#: What Telegram accepts as a command name and as its description.
NAME_PATTERN = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_DESCRIPTION = 256


class MenuScope(enum.StrEnum):
    PRIVATE = "private"  # all private chats
    GROUP_MEMBERS = "group-members"  # all group chats: what a lid may use in a buurtgroep
    GROUP_ADMINS = "group-admins"  # group administrators: what a beheerder may use there


@dataclass(frozen=True, slots=True)
class CommandMenu:
    """One menu: ``commands`` are ``(name without slash, description)`` in menu order."""

    scope: MenuScope
    locale: Locale
    commands: tuple[tuple[str, str], ...]


#: Where each scope's menu is used, and by whom (see the module docstring).
REPRESENTATIVES: dict[MenuScope, tuple[Place, Actor]] = {
    MenuScope.PRIVATE: (Place.PRIVATE, Actor(known=True)),
    MenuScope.GROUP_MEMBERS: (Place.BUURTGROEP, Actor(known=True, group_role=GroupRole.LID)),
    MenuScope.GROUP_ADMINS: (
        Place.BUURTGROEP,
        Actor(
            known=True,
            group_role=GroupRole.MEDE_BEHEERDER,
            gemeente_roles=frozenset({GemeenteRole.COORDINATOR}),
        ),
    ),
}

_IN_GROUPS = (
    Command.MELDING,
    Command.CALLED_112,
    Command.ESCALATE,
    Command.WARN,
    Command.REMOVE,
    Command.UNWARN,
    Command.WARNS,
    Command.HELP,
    Command.RULES,
    Command.LANGUAGE,
    Command.WHOAMI,
    Command.CANCEL,
    Command.CHATID,
)
_IN_PRIVATE = (
    Command.START,
    Command.SIGNUP,
    Command.HELP,
    Command.RULES,
    Command.LANGUAGE,
    Command.WHOAMI,
    Command.WARNS,
    Command.MYDATA,
    Command.FORGETME,
    Command.CANCEL,
)

#: Menu order: the everyday work of the place first, then the general commands. Commands
#: not named here follow in the order of :class:`Command` (as ``/help`` lists them).
ORDER: dict[MenuScope, tuple[Command, ...]] = {
    MenuScope.PRIVATE: _IN_PRIVATE,
    MenuScope.GROUP_MEMBERS: _IN_GROUPS,
    MenuScope.GROUP_ADMINS: _IN_GROUPS,
}

#: Allowed there, but no help in a menu: ``/start`` belongs to a private chat, and
#: ``/chatid`` (for writing the network file) to the beheerders setting a group up.
HIDDEN: dict[MenuScope, frozenset[Command]] = {
    MenuScope.PRIVATE: frozenset({Command.CHATID}),
    MenuScope.GROUP_MEMBERS: frozenset({Command.START, Command.CHATID}),
    MenuScope.GROUP_ADMINS: frozenset({Command.START}),
}


def _ordered(scope: MenuScope, commands: Iterable[Command]) -> list[Command]:
    first = ORDER[scope]
    rank = {c: n for n, c in enumerate((*first, *(c for c in Command if c not in first)))}
    return sorted(set(commands), key=rank.__getitem__)


def menu_commands(scope: MenuScope, implemented: Iterable[Command]) -> list[Command]:
    """The commands of ``scope``'s menu, in menu order (before naming and translating)."""
    place, actor = REPRESENTATIVES[scope]
    return [
        c
        for c in _ordered(scope, implemented)
        if c not in HIDDEN[scope] and decide(c, place, actor).allowed
    ]


def _description(text: str) -> str:
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def command_menus(
    translators: Translators, *, implemented: Iterable[Command] | None = None
) -> list[CommandMenu]:
    """Every scope's menu in every locale. ``implemented``: the commands the bot has
    handlers for (by default the running bot's; a command without one is never offered)."""
    commands = HANDLERS.implemented if implemented is None else tuple(implemented)
    menus: list[CommandMenu] = []
    for scope in MenuScope:
        chosen = menu_commands(scope, commands)
        for locale in Locale:
            tr = translators.get(locale)
            entries: list[tuple[str, str]] = []
            for command in chosen:
                name = shown_name(command, locale).removeprefix("/")
                description = _description(describe(tr, command))
                if NAME_PATTERN.fullmatch(name) and description:
                    entries.append((name, description))
            menus.append(CommandMenu(scope, locale, tuple(entries)))
    return menus
