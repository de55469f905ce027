"""Platform health (the bot's rights per group) told to the regiegroep once, and ``/status``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from buurtbot.core.actions import Action, SendText
from buurtbot.core.domain.model import Gemeente, Group, GroupKind, Kern
from buurtbot.core.domain.network import Network
from buurtbot.core.i18n import Translators
from buurtbot.core.ids import ChatRef, GemeenteId, GroupId, KernId, Platform
from buurtbot.core.ports import ChatHealth, HealthProblem, PlatformHealth, UnitOfWork
from buurtbot.core.services.bot import BuurtBot
from buurtbot.core.services.health import (
    chats_to_check,
    health_from_json,
    health_key,
    health_to_json,
    load_health,
)
from buurtbot.core.text import RichText
from tests.world import World, texts

P = HealthProblem
REGIE_CHAT = ChatRef(Platform.TELEGRAM, "-1001000000099")
GOOR_CENTRUM = ChatRef(Platform.TELEGRAM, "-1001000000001")
GOOR_OOST = ChatRef(Platform.TELEGRAM, "-1001000000003")
STRAY = ChatRef(Platform.TELEGRAM, "-1009999")

# A second gemeente, on the same bot.
RIJSSEN = GemeenteId("rijssen-holten")
RIJSSEN_REGIE = ChatRef(Platform.TELEGRAM, "-1002000000099")
RIJSSEN_BG = ChatRef(Platform.TELEGRAM, "-1002000000001")


def check(world: World, *chats: tuple[ChatRef, tuple[HealthProblem, ...]]) -> PlatformHealth:
    return PlatformHealth(
        platform=Platform.TELEGRAM,
        checked_at=world.clock.now(),
        bot_username="buurtbot_hvt_bot",
        chats=tuple(ChatHealth(chat, problems) for chat, problems in chats),
    )


def record(world: World, health: PlatformHealth) -> list[Action]:
    world.bot.record_health(health)
    world.clock.advance(minutes=5)
    return world.new_actions()


def to(actions: list[Action], chat: ChatRef) -> list[str]:
    return [a.text.plain for a in actions if isinstance(a, SendText) and a.chat == chat]


def add_rijssen(world: World) -> None:
    network = Network(
        Gemeente(RIJSSEN, "Rijssen-Holten"),
        (Kern(KernId("rijssen"), RIJSSEN, "Rijssen"),),
        (),
        (
            Group(GroupId("rh:regie"), RIJSSEN, GroupKind.REGIE, RIJSSEN_REGIE, "Regie Rijssen"),
            Group(GroupId("rh:bg"), RIJSSEN, GroupKind.COORDINATOREN, RIJSSEN_BG, "Rijssen Noord"),
        ),
    )
    with world.uow_factory() as uow:
        uow.networks.save(network)
        uow.commit()


# -- the notice ------------------------------------------------------------------------------
def test_missing_rights_are_told_to_the_regiegroep_once_in_plain_words() -> None:
    world = World()
    health = check(world, (GOOR_CENTRUM, (P.NOT_ADMIN,)), (GOOR_OOST, (P.CANNOT_INVITE,)))
    actions = record(world, health)
    [notice] = to(actions, REGIE_CHAT)
    assert len(actions) == 1
    assert "De bot mist rechten in 2 groepen op Telegram (@buurtbot_hvt_bot)" in notice
    assert "Buurtpreventie Goor Centrum" in notice
    assert "Buurtpreventie Goor Oost" in notice
    assert GOOR_CENTRUM.chat_id not in notice  # groups by name, not by chat id
    assert "maak hem admin" in notice
    assert "uit te nodigen via een link" in notice
    assert "/status" in notice
    # Goor Centrum's problems come under Goor Centrum, Goor Oost's under Goor Oost.
    centrum, oost = notice.index("Goor Centrum"), notice.index("Goor Oost")
    assert centrum < notice.index("gewoon lid") < oost < notice.index("nieuwe leden")

    # The same problems again (a restart; listed in another order): nothing is said.
    again = check(world, (GOOR_OOST, (P.CANNOT_INVITE,)), (GOOR_CENTRUM, (P.NOT_ADMIN,)))
    assert record(world, again) == []
    with world.uow_factory() as uow:
        stored = load_health(uow, Platform.TELEGRAM)
    assert stored == again  # the newest check is kept all the same


def test_a_change_is_told_with_the_whole_picture_and_a_fix_says_all_is_well_again() -> None:
    world = World()
    record(world, check(world, (GOOR_CENTRUM, (P.CANNOT_INVITE,))))
    changed_check = check(world, (GOOR_CENTRUM, (P.CANNOT_INVITE, P.CANNOT_READ)))
    [changed] = texts(record(world, changed_check))
    assert "1 groep" in changed
    assert "alleen commando's" in changed
    assert "nieuwe leden" in changed  # the problem that stayed is listed too

    more_check = check(
        world, (GOOR_CENTRUM, (P.CANNOT_INVITE, P.CANNOT_READ)), (GOOR_OOST, (P.NOT_MEMBER,))
    )
    [more] = texts(record(world, more_check))
    assert "2 groepen" in more
    assert "zit niet in de groep" in more

    [fixed] = to(record(world, check(world)), REGIE_CHAT)
    assert (
        fixed
        == "✅ De bot heeft weer alle rechten die hij nodig heeft op Telegram (@buurtbot_hvt_bot)."
    )
    assert record(world, check(world)) == []  # and stays quiet while all is well


def test_the_advice_starts_at_the_root_of_the_problem() -> None:
    """Outside the group, or a plain member: one line says what to do about all of it."""
    world = World()
    admin_rights = (P.CANNOT_INVITE, P.CANNOT_REMOVE, P.CANNOT_PROMOTE, P.CANNOT_DELETE)
    [notice] = texts(
        record(
            world,
            check(
                world,
                (GOOR_CENTRUM, (P.NOT_ADMIN, *admin_rights, P.CANNOT_READ)),
                (GOOR_OOST, (P.NOT_MEMBER, P.NOT_ADMIN)),
            ),
        )
    )
    advice = [line for line in notice.splitlines() if line.startswith("• ")]
    assert len(advice) == 2
    assert advice[0].startswith("• De bot is een gewoon lid en kan de groep niet beheren")
    assert advice[1].startswith("• De bot zit niet in de groep")


def test_a_first_check_without_problems_says_nothing() -> None:
    world = World()
    assert record(world, check(world)) == []
    with world.uow_factory() as uow:
        assert uow.bot_state.get(health_key(Platform.TELEGRAM)) is not None


def test_each_gemeente_hears_only_of_its_own_groups() -> None:
    world = World()
    add_rijssen(world)
    actions = record(
        world, check(world, (GOOR_CENTRUM, (P.CANNOT_REMOVE,)), (RIJSSEN_BG, (P.CANNOT_DELETE,)))
    )
    [hvt] = to(actions, REGIE_CHAT)
    [rh] = to(actions, RIJSSEN_REGIE)
    assert len(actions) == 2
    assert "Goor Centrum" in hvt
    assert "Rijssen Noord" not in hvt
    assert "Rijssen Noord" in rh
    assert "Goor Centrum" not in rh
    assert "leden verwijderen" in hvt
    assert "berichten verwijderen" in rh

    # Only Rijssen's part changes: only Rijssen is told.
    actions = record(world, check(world, (GOOR_CENTRUM, (P.CANNOT_REMOVE,))))
    assert to(actions, REGIE_CHAT) == []
    [rh_fixed] = to(actions, RIJSSEN_REGIE)
    assert rh_fixed.startswith("✅")


def test_a_chat_outside_the_network_is_listed_by_its_id() -> None:
    world = World()
    [notice] = texts(record(world, check(world, (STRAY, (P.NOT_MEMBER,)))))
    assert "chat -1009999 (buiten het netwerk)" in notice


def test_when_the_bot_is_not_in_the_regiegroep_the_hoofdcoordinator_hears_it_privately() -> None:
    world = World()
    actions = record(world, check(world, (REGIE_CHAT, (P.NOT_MEMBER,))))
    hanneke = ChatRef.private_with(world.identity("hanneke", Platform.TELEGRAM))
    assert to(actions, REGIE_CHAT) == []
    [notice] = to(actions, hanneke)
    assert "Regiegroep Hof van Twente" in notice
    assert len(actions) == 1


def test_recording_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> UnitOfWork:
        raise RuntimeError("database down")

    bot = BuurtBot(broken, Translators({}))
    health = PlatformHealth(Platform.TELEGRAM, datetime.now(UTC), None, ())
    with caplog.at_level(logging.ERROR):
        bot.record_health(health)
    assert "recording the health of telegram failed" in caplog.text


def test_the_stored_check_reads_back_and_a_broken_one_counts_as_none() -> None:
    world = World()
    local = datetime(2026, 11, 29, 4, 0, tzinfo=UTC) + timedelta(microseconds=1)
    health = PlatformHealth(
        Platform.TELEGRAM, local, None, (ChatHealth(GOOR_CENTRUM, (P.CANNOT_PROMOTE,)),)
    )
    assert health_from_json(health_to_json(health)) == health
    with world.uow_factory() as uow:
        uow.bot_state.put(health_key(Platform.SIGNAL), "{not json", local)
        assert load_health(uow, Platform.SIGNAL) is None


def test_the_chats_to_check_are_the_networks_groups_on_the_platform() -> None:
    world = World()
    add_rijssen(world)
    with world.uow_factory() as uow:
        telegram = chats_to_check(uow, Platform.TELEGRAM)
        signal = chats_to_check(uow, Platform.SIGNAL)
        assert chats_to_check(uow, Platform.CONSOLE) == []
    assert GOOR_CENTRUM in telegram
    assert REGIE_CHAT in telegram
    assert RIJSSEN_BG in telegram
    assert all(c.platform is Platform.SIGNAL for c in signal)
    assert len(signal) == len(set(signal)) > 0
    assert set(telegram).isdisjoint(signal)


# -- /status ---------------------------------------------------------------------------------
def status_world() -> World:
    world = World()
    add_rijssen(world)
    record(
        world,
        check(world, (GOOR_CENTRUM, (P.NOT_ADMIN, P.CANNOT_READ)), (RIJSSEN_BG, (P.NOT_MEMBER,))),
    )
    world.flush()
    now = world.clock.now()
    with world.uow_factory() as uow:  # one message waits, one failed for good
        uow.outbox.add(SendText(chat=GOOR_OOST, text=RichText.of("a")), key="t:wait", at=now)
        uow.outbox.add(SendText(chat=STRAY, text=RichText.of("b")), key="t:dead", at=now)
        dead = next(i for i in uow.outbox.due(now, 10) if i.key == "t:dead")
        uow.outbox.dead(dead.id, "chat not found")
        uow.commit()
    world.new_actions()
    return world


def test_status_in_dutch_for_the_hoofdcoordinator_in_the_regiegroep() -> None:
    world = status_world()
    [reply] = texts(world.says("hanneke", "regie", "/status"))
    lines = reply.splitlines()
    assert lines[0] == "Status van de bot"
    assert "Telegram (@buurtbot_hvt_bot)" in lines
    assert any(line.startswith("Gecontroleerd: ") for line in lines)
    assert "⚠️ Rechten ontbreken in 1 groep:" in lines
    assert "• Buurtpreventie Goor Centrum: geen admin, ziet alleen commando's" in lines
    assert "Rijssen" not in reply  # another gemeente's group
    assert "Signal" in lines  # the gemeente has groups there, never checked
    assert lines[lines.index("Signal") + 1] == "Rechten nog niet gecontroleerd."
    assert "Wachten op verzending: 1" in lines
    assert "Definitief mislukt: 1" in lines


def test_status_in_english_privately() -> None:
    world = status_world()
    [reply] = texts(world.says("hanneke", None, "/status", language="en"))
    lines = reply.splitlines()
    assert lines[0] == "Status of the bot"
    assert "• Buurtpreventie Goor Centrum: not an admin, sees only commands" in lines
    assert "Rights not checked yet." in lines
    assert "Waiting to be sent: 1" in lines
    assert "Failed for good: 1" in lines


def test_status_with_all_rights_in_order() -> None:
    world = World()
    record(world, check(world))
    [reply] = texts(world.says("joost", "regie", "/status"))  # a contactpersoon
    assert "✅ Alle rechten in orde." in reply.splitlines()


@pytest.mark.parametrize("where", ["goor-centrum", None])
def test_status_is_refused_to_a_lid(where: str | None) -> None:
    world = status_world()
    [reply] = texts(world.says("eva", where, "/status"))
    assert "/status" in reply  # the refusal names the command
    assert "Status van de bot" not in reply
    assert "Goor Centrum" not in reply
    assert "Wachten op verzending" not in reply
