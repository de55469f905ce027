"""The platforms' command menus follow the permission policy and Telegram's rules."""

from __future__ import annotations

import pytest

from buurtbot.core.commands import Command, lookup
from buurtbot.core.domain.model import GemeenteRole, GroupRole, Locale
from buurtbot.core.policy import Actor, Place, decide
from buurtbot.core.services.bot import HANDLERS
from buurtbot.core.services.menus import (
    NAME_PATTERN,
    CommandMenu,
    MenuScope,
    command_menus,
    menu_commands,
)
from tests.world import TRANSLATORS

MENUS = command_menus(TRANSLATORS)


def menu(scope: MenuScope, locale: Locale) -> CommandMenu:
    [found] = [m for m in MENUS if m.scope is scope and m.locale is locale]
    return found


def commands_of(m: CommandMenu) -> list[Command]:
    found = [lookup(name) for name, _ in m.commands]
    assert None not in found
    return [c for c in found if c is not None]


#: Who sees each menu, independently of the module's own choice: the place and the people
#: a scope is shown to. Every one of them must be allowed every command in it.
SHOWN_TO: dict[MenuScope, tuple[Place, list[Actor]]] = {
    MenuScope.PRIVATE: (
        Place.PRIVATE,
        [
            Actor(known=True),
            Actor(known=True, gemeente_roles=frozenset({GemeenteRole.POLITIE})),
        ],
    ),
    MenuScope.GROUP_MEMBERS: (Place.BUURTGROEP, [Actor(known=True, group_role=GroupRole.LID)]),
    MenuScope.GROUP_ADMINS: (
        Place.BUURTGROEP,
        [
            Actor(
                known=True,
                group_role=role,
                gemeente_roles=frozenset({GemeenteRole.COORDINATOR}),
                owns_buurtgroep=role is GroupRole.EIGENAAR,
            )
            for role in (GroupRole.MEDE_BEHEERDER, GroupRole.EIGENAAR)
        ],
    ),
}


def test_every_scope_has_a_menu_in_every_locale() -> None:
    assert {(m.scope, m.locale) for m in MENUS} == {(s, loc) for s in MenuScope for loc in Locale}
    assert all(m.commands for m in MENUS)


@pytest.mark.parametrize("m", MENUS, ids=lambda m: f"{m.scope}-{m.locale}")
def test_every_command_in_a_menu_is_allowed_there_and_has_a_handler(m: CommandMenu) -> None:
    place, actors = SHOWN_TO[m.scope]
    for command in commands_of(m):
        assert command in HANDLERS.commands, command
        for actor in actors:
            assert decide(command, place, actor).allowed, (m.scope, command, actor)


def test_a_lids_group_menu_lacks_warn_and_the_admin_menu_has_it() -> None:
    for locale in Locale:
        members = commands_of(menu(MenuScope.GROUP_MEMBERS, locale))
        admins = commands_of(menu(MenuScope.GROUP_ADMINS, locale))
        assert Command.WARN not in members
        assert Command.ESCALATE not in members
        assert Command.WARN in admins
        assert Command.ESCALATE in admins
        assert set(members) <= set(admins)
        assert members[:2] == [Command.MELDING, Command.CALLED_112]  # the everyday work first
    assert ("waarschuw", "Een lid waarschuwen voor het breken van een regel (antwoord op zijn of "
            "haar bericht)") in menu(MenuScope.GROUP_ADMINS, Locale.NL).commands  # fmt: skip
    assert ("warn", "Warn a member for breaking a rule (reply to their message)") in menu(
        MenuScope.GROUP_ADMINS, Locale.EN
    ).commands


def test_the_private_menu_is_for_everyone() -> None:
    """Shown to every private chat: nothing only regie or eigenaren may use."""
    private = commands_of(menu(MenuScope.PRIVATE, Locale.EN))
    assert private[0] is Command.START
    assert Command.SIGNUP in private
    assert Command.MYDATA in private
    for regie_only in (Command.STATUS, Command.LOG, Command.PENDING, Command.ROUTE):
        assert regie_only not in private
    assert Command.MELDING not in private  # a melding is made in the buurtgroep


def test_names_are_dutch_for_nl_english_for_en_and_valid_for_telegram() -> None:
    nl = dict(menu(MenuScope.GROUP_ADMINS, Locale.NL).commands)
    en = dict(menu(MenuScope.GROUP_ADMINS, Locale.EN).commands)
    assert "melding" in nl
    assert "report" in en
    assert "escaleer" in nl
    assert "escalate" in en
    for m in MENUS:
        names = [name for name, _ in m.commands]
        assert len(names) == len(set(names)), m
        for name in names:
            assert NAME_PATTERN.fullmatch(name), name
            assert 1 <= len(name) <= 32


def test_descriptions_fit_and_are_translated() -> None:
    for scope in MenuScope:
        nl = menu(scope, Locale.NL).commands
        en = menu(scope, Locale.EN).commands
        assert [lookup(n) for n, _ in nl] == [lookup(n) for n, _ in en]  # the same commands
        for (_, dutch), (_, english) in zip(nl, en, strict=True):
            assert 1 <= len(dutch) <= 256
            assert 1 <= len(english) <= 256
            assert dutch != english
            assert dutch[0].isupper() or not dutch[0].isalpha()


def test_only_implemented_commands_are_offered() -> None:
    without_warn = [c for c in HANDLERS.implemented if c is not Command.WARN]
    assert Command.WARN not in menu_commands(MenuScope.GROUP_ADMINS, without_warn)
    limited = command_menus(TRANSLATORS, implemented=[Command.HELP, Command.STATUS])
    assert {m.commands[0][0] for m in limited} == {"help", "hulp"}
    assert all(len(m.commands) == 1 for m in limited)
