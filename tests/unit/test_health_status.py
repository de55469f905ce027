"""Platform health (the bot's rights per group) told to the regiegroep once, and ``/status``."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from buurtbot.core.actions import Action, SendText
from buurtbot.core.domain.model import Gemeente, Group, GroupKind, Kern, Locale
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


# -- receiving (Signal) ----------------------------------------------------------------------
T0 = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)  # 04:00 in Hof van Twente


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def signal_check(
    world: World,
    *gaps: tuple[datetime, datetime],
    receiving: bool = True,
    down_since: datetime | None = None,
) -> PlatformHealth:
    return PlatformHealth(
        platform=Platform.SIGNAL,
        checked_at=world.clock.now(),
        bot_username=None,
        chats=(),
        receiving=receiving,
        gaps=gaps,
        down_since=down_since,
    )


def test_each_new_gap_is_told_to_the_regiegroep_once() -> None:
    world = World()
    add_rijssen(world)  # no Signal groups: hears nothing of Signal's receiving
    first = (at(1), at(4) + timedelta(seconds=30))
    assert record(world, signal_check(world)) == []  # receiving, no gaps: nothing to say
    actions = record(world, signal_check(world, first))
    [notice] = to(actions, REGIE_CHAT)
    assert len(actions) == 1
    assert notice.startswith("⚠️ Signal: tussen 04:01 en 04:04 ontving de bot niets.")
    assert "vraag bewoners iets dringends te herhalen" in notice

    # The next round reports the same gap again (every gap of the process): nothing new.
    assert record(world, signal_check(world, first)) == []
    # A second gap: only that one is told.
    second = (at(20), at(23))
    [again] = texts(record(world, signal_check(world, first, second)))
    assert "tussen 04:20 en 04:23" in again
    assert "04:01" not in again


def test_the_gap_notice_in_english_and_several_gaps_in_one_notice() -> None:
    world = World()
    world.regie_in(Locale.EN)
    record(world, signal_check(world))
    one = (at(1), at(2))
    two = (at(5), at(5) + timedelta(seconds=20))  # within one minute: with seconds
    [notice] = to(record(world, signal_check(world, one, two)), REGIE_CHAT)
    lines = notice.splitlines()
    assert lines[0] == "⚠️ Signal: 2 periods when the bot was not receiving:"
    assert lines[1:3] == ["• 04:01–04:02", "• 04:05:00–04:05:20"]
    assert lines[3] == (
        "Messages sent to it then may be lost: ask residents to repeat anything urgent."
    )
    three = (at(30), at(31))
    [single] = texts(record(world, signal_check(world, one, two, three)))
    assert single.startswith("⚠️ Signal: between 04:30 and 04:31 the bot was not receiving.")


def test_a_gap_of_a_moment_is_not_told_but_shown_in_status() -> None:
    world = World()
    record(world, signal_check(world))
    blink = (at(1), at(1) + timedelta(seconds=1))
    assert record(world, signal_check(world, blink)) == []
    [reply] = texts(world.says("hanneke", "regie", "/status"))
    lines = reply.splitlines()
    signal = lines.index("Signal")
    assert lines[signal + 2] == "✅ Ontvangt berichten."
    assert "• 04:01:00–04:01:01" in lines[signal:]


def test_not_receiving_is_told_once_and_the_gap_after_it() -> None:
    world = World()
    record(world, signal_check(world))
    down = signal_check(world, receiving=False, down_since=at(2))
    [notice] = to(record(world, down), REGIE_CHAT)
    assert notice.startswith("⚠️ Signal: de bot ontvangt sinds 04:02 geen berichten.")
    assert "Hij blijft opnieuw verbinding zoeken" in notice
    # Still down at the next round: nothing more.
    assert record(world, signal_check(world, receiving=False, down_since=at(2))) == []
    # Back: the gap is told (that says it is back), no separate "receiving again".
    [gap] = texts(record(world, signal_check(world, (at(2), at(12)))))
    assert gap.startswith("⚠️ Signal: tussen 04:02 en 04:12 ontving de bot niets.")
    # Down again, after a gap between two rounds while it was down: told again.
    record(world, signal_check(world, (at(2), at(12)), receiving=False, down_since=at(13)))
    up_down = signal_check(
        world, (at(2), at(12)), (at(13), at(14)), receiving=False, down_since=at(16)
    )
    told = texts(record(world, up_down))
    assert len(told) == 2
    assert any("tussen 04:13 en 04:14" in t for t in told)
    assert any("sinds 04:16 geen berichten" in t for t in told)


def test_after_a_restart_receiving_again_is_told() -> None:
    world = World()
    world.regie_in(Locale.EN)
    record(world, signal_check(world, receiving=False, down_since=None))
    # A new process: receiving, no gaps of its own.
    [back] = texts(record(world, signal_check(world)))
    assert back == "✅ Signal: the bot is receiving messages again."


def test_not_receiving_without_a_time_in_english() -> None:
    world = World()
    world.regie_in(Locale.EN)
    [notice] = texts(record(world, signal_check(world, receiving=False)))
    assert notice.startswith("⚠️ Signal: the bot is not receiving messages.\n")
    assert "ask residents to repeat anything urgent once it is back" in notice


def test_two_processes_recording_the_same_gap_tell_it_once() -> None:
    world = World()
    record(world, signal_check(world))
    with world.uow_factory() as uow:
        before = uow.bot_state.get(health_key(Platform.SIGNAL))
    assert before is not None
    gap = (at(1), at(3))
    assert len(record(world, signal_check(world, gap))) == 1
    # Another process had read the same stored check and records the same gap.
    with world.uow_factory() as uow:
        uow.bot_state.put(health_key(Platform.SIGNAL), before, world.clock.now())
        uow.commit()
    assert record(world, signal_check(world, gap)) == []


def test_a_check_stored_before_receiving_was_recorded_still_reads() -> None:
    world = World()
    old = (
        '{"bot_username": null, "chats": [], "checked_at": "2026-11-29T03:00:00+00:00", '
        '"platform": "signal"}'
    )
    health = health_from_json(old)
    assert health.receiving is None
    assert health.gaps == ()
    assert health.down_since is None
    with world.uow_factory() as uow:
        uow.bot_state.put(health_key(Platform.SIGNAL), old, world.clock.now())
        uow.commit()
    [notice] = texts(record(world, signal_check(world, (at(1), at(2)))))
    assert "tussen 04:01 en 04:02" in notice
    # And the new fields round-trip.
    full = signal_check(world, (at(1), at(2)), receiving=False, down_since=at(3))
    assert health_from_json(health_to_json(full)) == full


def test_status_shows_receiving_and_the_latest_five_gaps() -> None:
    world = World()
    gaps = tuple((at(10 * n), at(10 * n + 1)) for n in range(6))
    world.clock.advance(hours=1)
    record(world, signal_check(world, *gaps, receiving=False, down_since=at(61)))
    record(world, check(world))
    [reply] = texts(world.says("hanneke", "regie", "/status"))
    lines = reply.splitlines()
    telegram = lines.index("Telegram (@buurtbot_hvt_bot)")
    assert "Ontvangt" not in "".join(lines[telegram : telegram + 3])  # Telegram cannot tell
    signal = lines.index("Signal")
    assert lines[signal + 2] == "⚠️ Ontvangt GEEN berichten sinds 05:01."
    assert lines[signal + 3] == "✅ Alle rechten in orde."
    assert lines[signal + 4] == (
        "6 periodes zonder ontvangst sinds de start (berichten van toen kunnen verloren zijn):"
    )
    assert lines[signal + 5 : signal + 10] == [
        "• 04:10–04:11",
        "• 04:20–04:21",
        "• 04:30–04:31",
        "• 04:40–04:41",
        "• 04:50–04:51",
    ]
    assert lines[signal + 10] == "(alleen de laatste 5)"

    [english] = texts(world.says("hanneke", None, "/status", language="en"))
    assert "⚠️ NOT receiving messages since 05:01." in english.splitlines()


def test_status_gives_the_date_of_a_gap_on_another_day() -> None:
    world = World()
    record(world, signal_check(world, (at(1), at(2))))
    world.clock.advance(days=1)
    [reply] = texts(world.says("hanneke", "regie", "/status"))
    assert "• 29 november 2026 04:01–04:02" in reply.splitlines()


def test_signal_holding_messages_back_is_told_once_per_episode() -> None:
    world = World()
    record(world, signal_check(world))
    held = replace(signal_check(world), held_back=True)
    [notice] = to(record(world, held), REGIE_CHAT)
    assert notice.startswith("⚠️ Signal houdt de berichten van de bot tegen.")
    assert "captcha" in notice
    # Still held back at the next round: nothing more; /status says so.
    assert record(world, replace(signal_check(world), held_back=True)) == []
    [reply] = texts(world.says("hanneke", "regie", "/status"))
    assert "⚠️ Versturen wordt door het platform tegengehouden; berichten wachten." in reply
    # Sending again, then held back again: a new episode, told again.
    assert record(world, signal_check(world)) == []
    assert len(to(record(world, replace(signal_check(world), held_back=True)), REGIE_CHAT)) == 1
