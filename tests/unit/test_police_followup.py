"""The police feedback loop on the in-memory fakes: ``/followup`` (who, which, once) and the
reminder job (after the gemeente's hours, once, to the beheerder or else the regiegroep).

Texts are compared with what the text functions render in the reader's language, so the
tests hold whether or not the new msgids have their Dutch translation yet.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from buurtbot.config.network_file import load_network_file
from buurtbot.core.actions import Action, SendText
from buurtbot.core.commands import Command
from buurtbot.core.domain.audit import AuditAction
from buurtbot.core.domain.escalation import (
    Escalation,
    EscalationDelivery,
    Scope,
    Target,
    TargetKind,
)
from buurtbot.core.domain.model import Buurt, Gemeente, Group, GroupKind, Kern, Locale, Person
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import (
    BuurtId,
    ChatRef,
    GemeenteId,
    GroupId,
    KernId,
    MessageRef,
    PersonId,
    Platform,
    PlatformIdentity,
)
from buurtbot.core.policy import Actor, Place, Refusal, decide
from buurtbot.core.services import jobs
from buurtbot.core.services.handlers.followup import MAX_NOTE, clean_note
from buurtbot.core.services.menus import MenuScope, menu_commands
from buurtbot.core.services.network_sync import apply_network
from buurtbot.core.texts import followup as ft
from buurtbot.core.texts import moderation as moderation_texts
from buurtbot.core.texts import replies
from buurtbot.core.texts.patterns import short_id
from tests.fakes import FakeConflict
from tests.world import EXAMPLE, TRANSLATORS, World, texts

NL = TRANSLATORS.get(Locale.NL)
EN = TRANSLATORS.get(Locale.EN)
REPORT = (
    "Grijze VW Golf met kenteken 12-gzb-8 rijdt al een uur rondjes langs de garages aan de "
    "Markt; twee mannen kijken in de auto's"
)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def ctx(world: World) -> jobs.JobContext:
    return jobs.JobContext(world.uow_factory, TRANSLATORS, world.clock)


# -- helpers ------------------------------------------------------------------------------------
def escalate(world: World, scope: str = "politie", who: str = "anna") -> Escalation:
    """Daan reports in Goor Centrum; ``who`` escalates it with ``scope``."""
    report = world.post("daan", "goor-centrum", REPORT)
    world.reply(who, "goor-centrum", f"/escalate {scope}".strip(), report, quoted=REPORT)
    world.new_actions()
    [escalation] = [e for e in world.store.state.escalations.values() if e.source_message == report]
    return escalation


def stored(world: World, escalation: Escalation) -> Escalation:
    return world.store.state.escalations[escalation.id]


def private(world: World, handle: str, platform: Platform = Platform.TELEGRAM) -> ChatRef:
    return ChatRef.private_with(world.identity(handle, platform))


def said_to(actions: list[Action], chat: ChatRef) -> list[str]:
    return [a.text.plain for a in actions if isinstance(a, SendText) and a.chat == chat]


def named(escalation: Escalation, buurt: str = "Goor Centrum") -> ft.Named:
    return ft.Named(buurt, escalation.escalated_at, short_id(escalation.id))


def set_hours(world: World, hours: int) -> None:
    with world.uow_factory() as uow:
        [network] = uow.networks.all()
        settings = replace(network.gemeente.settings, police_followup_hours=hours)
        uow.networks.save(replace(network, gemeente=replace(network.gemeente, settings=settings)))
        uow.commit()


def add_police_escalation(world: World, escalation_id: str) -> Escalation:
    """An escalation of Goor Centrum by Anna that reached Mirjam (police), stored directly."""
    group = world.group("goor-centrum")
    anna, mirjam = world.person("anna"), world.person("mirjam")
    escalation = Escalation(
        escalation_id, group.gemeente_id, group.id, MessageRef(group.chat, escalation_id),
        REPORT, anna.id, world.clock.now(), Scope.POLITIE,
    )  # fmt: skip
    target = Target(TargetKind.POLITIE, person_id=mirjam.id)
    chat = private(world, "mirjam")
    with world.uow_factory() as uow:
        uow.escalations.add(escalation)
        at = escalation.escalated_at
        uow.escalations.add_delivery(
            EscalationDelivery(escalation_id, target, chat, f"k:{escalation_id}", at)
        )
        uow.commit()
    return escalation


def run(world: World, ctx: jobs.JobContext) -> tuple[jobs.JobReport, list[Action]]:
    report = jobs.police_followup_reminders(ctx)
    return report, world.new_actions()


# -- the reminder -------------------------------------------------------------------------------
def test_the_beheerder_is_reminded_after_48_hours_not_at_47(
    world: World, ctx: jobs.JobContext
) -> None:
    escalation = escalate(world)
    world.clock.advance(hours=47)
    report, actions = run(world, ctx)
    assert actions == []
    assert not report.changed

    world.clock.advance(hours=1, seconds=1)
    report, actions = run(world, ctx)
    expected = ft.reminder(NL, named(escalation), REPORT, 48).plain
    assert said_to(actions, private(world, "anna")) == [expected]
    assert len(actions) == 1
    assert report.counts == {"beheerder": 1}
    assert stored(world, escalation).police_reminded_at == world.clock.now()
    # What it says: which escalation, the wijkagent, and how to record the follow-up.
    assert "Goor Centrum" in expected
    assert f"#{short_id(escalation.id)}" in expected
    assert "«" + REPORT[: ft.EXCERPT - 1].rstrip() + "…»" in expected
    assert REPORT not in expected  # only the first ~80 characters
    assert f"/opvolging {short_id(escalation.id)} " in expected
    record = next(r for r in world.store.state.outbox.values() if r.action == actions[0])
    assert record.key == f"police-followup:{escalation.id}"


def test_the_reminder_is_sent_once_across_runs(world: World, ctx: jobs.JobContext) -> None:
    escalate(world)
    world.clock.advance(hours=49)
    assert len(run(world, ctx)[1]) == 1
    for _ in range(3):
        world.clock.advance(hours=1)
        report, actions = run(world, ctx)
        assert actions == []
        assert not report.changed


def test_two_racing_runs_conflict_and_send_once(world: World) -> None:
    escalation = escalate(world)
    world.clock.advance(hours=49)
    first, second = world.uow_factory(), world.uow_factory()  # both read before either commits
    handed = iter([first, second])
    ctx = jobs.JobContext(lambda: next(handed), TRANSLATORS, world.clock)
    assert jobs.police_followup_reminders(ctx).counts == {"beheerder": 1}
    with pytest.raises(FakeConflict):
        jobs.police_followup_reminders(ctx)
    keys = [r.key for r in world.store.state.outbox.values()]
    assert keys.count(f"police-followup:{escalation.id}") == 1


def test_no_reminder_for_an_escalation_that_did_not_go_to_the_police(
    world: World, ctx: jobs.JobContext
) -> None:
    escalate(world, scope="")  # regiegroep and neighbours
    escalate(world, scope="kern")
    world.clock.advance(days=5)
    report, actions = run(world, ctx)
    assert actions == []
    assert not report.changed


def test_a_gemeente_rule_that_includes_the_police_counts_as_marked(
    world: World, ctx: jobs.JobContext
) -> None:
    with world.uow_factory() as uow:
        [network] = uow.networks.all()
        rules = tuple(
            replace(r, targets=r.targets | {TargetKind.POLITIE}) if r.scope is Scope.KERN else r
            for r in network.gemeente.settings.escalation_rules
        )
        settings = replace(network.gemeente.settings, escalation_rules=rules)
        uow.networks.save(replace(network, gemeente=replace(network.gemeente, settings=settings)))
        uow.commit()
    escalation = escalate(world, scope="kern")
    world.clock.advance(hours=49)
    assert said_to(run(world, ctx)[1], private(world, "anna")) == [
        ft.reminder(NL, named(escalation), REPORT, 48).plain
    ]


def test_no_reminder_after_a_follow_up(world: World, ctx: jobs.JobContext) -> None:
    escalation = escalate(world)
    world.clock.advance(hours=30)
    world.says("anna", None, f"/opvolging {short_id(escalation.id)} wijkagent is langs geweest")
    world.new_actions()
    world.clock.advance(hours=30)
    report, actions = run(world, ctx)
    assert actions == []
    assert not report.changed
    assert stored(world, escalation).police_reminded_at is None


def test_zero_hours_switches_the_reminder_off(world: World, ctx: jobs.JobContext) -> None:
    set_hours(world, 0)
    escalate(world)
    world.clock.advance(days=30)
    report, actions = run(world, ctx)
    assert actions == []
    assert not report.changed


def test_the_hours_come_from_the_network_file(world: World, tmp_path: Path) -> None:
    original = EXAMPLE.read_text(encoding="utf-8")
    text = original.replace("police_followup_hours = 48\n", "police_followup_hours = 12\n", 1)
    assert text != original
    path = tmp_path / "net.toml"
    path.write_text(text, encoding="utf-8")
    spec = load_network_file(path)
    assert spec.network.gemeente.settings.police_followup_hours == 12
    with world.uow_factory() as uow:
        apply_network(uow, spec)
        uow.commit()
    ctx = jobs.JobContext(world.uow_factory, TRANSLATORS, world.clock)

    escalation = escalate(world)
    world.clock.advance(hours=11)
    assert run(world, ctx)[1] == []
    world.clock.advance(hours=2)
    assert said_to(run(world, ctx)[1], private(world, "anna")) == [
        ft.reminder(NL, named(escalation), REPORT, 12).plain
    ]


def test_the_hours_count_from_when_it_went_to_the_police(
    world: World, ctx: jobs.JobContext
) -> None:
    """Escalated to the neighbours first, to the police 40 hours later."""
    report = world.post("daan", "goor-centrum", REPORT)
    world.reply("anna", "goor-centrum", "/escalate", report, quoted=REPORT)
    world.clock.advance(hours=40)
    world.reply("bert", "goor-centrum", "/escalate politie", report, quoted=REPORT)
    world.new_actions()
    world.clock.advance(hours=9)  # 49 hours after the escalation, 9 after the police
    assert run(world, ctx)[1] == []
    world.clock.advance(hours=40)
    [reminder] = run(world, ctx)[1]
    assert isinstance(reminder, SendText)
    assert reminder.chat == private(world, "anna")  # the escalation is Anna's


def test_the_reminder_is_in_the_beheerders_language(world: World, ctx: jobs.JobContext) -> None:
    world.set_language("anna", Locale.EN)
    escalation = escalate(world)
    world.clock.advance(hours=49)
    [text] = said_to(run(world, ctx)[1], private(world, "anna"))
    assert text == ft.reminder(EN, named(escalation), REPORT, 48).plain
    assert "/followup " in text
    assert "wijkagent" in text


def test_an_unreachable_beheerder_is_replaced_by_the_regiegroep(
    world: World, ctx: jobs.JobContext
) -> None:
    escalation = escalate(world)
    with world.uow_factory() as uow:  # Anna keeps no account the bot could write to
        anna = uow.persons.get(world.person("anna").id)
        assert anna is not None
        uow.persons.save(replace(anna, identities=frozenset()))
        uow.commit()
    world.clock.advance(hours=49)
    report, actions = run(world, ctx)
    assert said_to(actions, world.group("regie").chat) == [
        ft.reminder_to_regie(NL, named(escalation), REPORT, 48).plain
    ]
    assert len(actions) == 1
    assert report.counts == {"regie": 1}


def test_an_erased_beheerder_is_replaced_by_the_regiegroep(
    world: World, ctx: jobs.JobContext
) -> None:
    escalation = escalate(world)
    with world.uow_factory() as uow:
        uow.persons.delete(world.person("anna").id)
        uow.commit()
    world.new_actions()  # the erasure took outbox items naming her: count afresh
    world.clock.advance(hours=49)
    report, actions = run(world, ctx)
    assert said_to(actions, world.group("regie").chat) == [
        ft.reminder_to_regie(NL, named(escalation), REPORT, 48).plain
    ]
    assert report.counts == {"regie": 1}
    assert run(world, ctx)[1] == []


def test_a_photo_without_text_is_named_as_such(world: World, ctx: jobs.JobContext) -> None:
    report = world.post("daan", "goor-centrum", "")
    world.reply("anna", "goor-centrum", "/escalate politie", report, quoted="")
    world.clock.advance(hours=49)
    [text] = said_to(run(world, ctx)[1], private(world, "anna"))
    assert NL.gettext("(a message without text, e.g. a photo)") in text
    assert "«»" not in text


# -- /followup: who may, where ------------------------------------------------------------------
OK = "ok"

CASES = [
    # in the buurtgroep the escalation came from: its beheerders
    ("anna", "goor-centrum", OK),
    ("bert", "goor-centrum", OK),
    ("eva", "goor-centrum", Refusal.NOT_A_BEHEERDER),
    # another buurtgroep's beheerder, in their own group
    ("frank", "goor-west", "not-from-this-group"),
    # privately: the one who escalated, the source group's beheerders, the regie roles
    ("anna", None, OK),
    ("carla", None, OK),
    ("hanneke", None, OK),
    ("ria", None, OK),
    ("mirjam", None, OK),
    ("frank", None, "not-yours"),
    ("eva", None, Refusal.NOT_ALLOWED),
    # in the regiegroep: its regie members
    ("hanneke", "regie", OK),
    ("joost", "regie", OK),
    ("mirjam", "regie", OK),
    ("anna", "regie", Refusal.NOT_A_MEMBER),
    # the coordinatorengroep is no place for it
    ("anna", "coordinatoren", Refusal.WRONG_PLACE),
]


@pytest.mark.parametrize(("who", "where", "outcome"), CASES)
def test_who_may_record_a_follow_up_where(
    world: World, who: str, where: str | None, outcome: object
) -> None:
    escalation = escalate(world)
    short = short_id(escalation.id)
    actions = world.says(who, where, f"/followup {short} gesproken met de wijkagent")
    [reply] = said_to(actions, world.group(where).chat if where else private(world, who))
    after = stored(world, escalation)
    if outcome == OK:
        assert reply == ft.recorded(NL, named(escalation), None).plain
        assert after.followed_up_by == world.person(who).id
        assert after.followed_up_at == world.clock.now()
        assert after.follow_up_note == "gesproken met de wijkagent"
        return
    assert after.followed_up_at is None
    if outcome == "not-from-this-group":
        assert reply == ft.not_from_this_group(NL, short).plain
    elif outcome == "not-yours":
        assert reply == ft.not_yours(NL, short).plain
    else:
        assert isinstance(outcome, Refusal)
        place = {None: Place.PRIVATE, "regie": Place.REGIEGROEP}.get(
            where, Place.COORDINATORENGROEP if where == "coordinatoren" else Place.BUURTGROEP
        )
        places = decide(Command.FOLLOWUP, place, Actor(known=True)).places
        assert reply == replies.refusal(NL, "followup", outcome, places).plain


def test_someone_unknown_is_refused_privately(world: World) -> None:
    escalation = escalate(world)
    stranger = PlatformIdentity(Platform.TELEGRAM, "424242")
    event = world.event(f"/followup {short_id(escalation.id)}", sender=stranger,
                        chat=ChatRef.private_with(stranger))  # fmt: skip
    [reply] = texts(world.deliver(event))
    assert reply == replies.refusal(NL, "followup", Refusal.UNKNOWN_PERSON).plain
    assert stored(world, escalation).followed_up_at is None


def test_the_admin_menu_offers_it_and_the_private_menu_does_not() -> None:
    implemented = list(Command)
    assert Command.FOLLOWUP in menu_commands(MenuScope.GROUP_ADMINS, implemented)
    assert Command.FOLLOWUP not in menu_commands(MenuScope.GROUP_MEMBERS, implemented)
    assert Command.FOLLOWUP not in menu_commands(MenuScope.PRIVATE, implemented)


# -- /followup: what it does --------------------------------------------------------------------
def test_recording_tells_the_regiegroep_once_and_logs_without_the_note(world: World) -> None:
    escalation = escalate(world)
    short = short_id(escalation.id)
    actions = world.says("anna", None, f"/followup {short} auto was van de buren")
    assert said_to(actions, private(world, "anna")) == [
        ft.recorded(NL, named(escalation), None).plain
    ]
    notice = ft.recorded_for_regie(NL, named(escalation), "Anna Huisman", "auto was van de buren")
    assert said_to(actions, world.group("regie").chat) == [notice.plain]
    assert "Goor Centrum" in notice.plain
    assert f"#{short}" in notice.plain
    assert any(s.text == "auto was van de buren" and not s.bold for s in notice.spans)
    keys = [r.key for r in world.store.state.outbox.values()]
    assert keys.count(f"police-followup-recorded:{escalation.id}") == 1

    [entry] = [e for e in world.store.state.audit if e.action is AuditAction.FOLLOWED_UP]
    assert entry.actor == world.person("anna").id
    assert entry.group_id == world.group("goor-centrum").id
    assert entry.detail == {"escalation": escalation.id}
    assert "buren" not in repr(entry)

    # A second try is answered with who recorded it, and tells nobody else.
    world.clock.advance(minutes=5)
    again = world.says("bert", "goor-centrum", f"/followup {short} nog iets")
    assert texts(again) == [
        ft.already_followed_up(NL, short, escalation.escalated_at, "Anna Huisman").plain
    ]
    assert stored(world, escalation).follow_up_note == "auto was van de buren"

    [log] = texts(world.says("hanneke", "regie", "/logboek"))
    line = moderation_texts.log_line(
        NL, at=escalation.escalated_at, action=AuditAction.FOLLOWED_UP, actor="Anna Huisman",
        subject=None, group="Buurtpreventie Goor Centrum", reason="",
    )  # fmt: skip
    assert line in log


def test_in_the_regiegroep_the_confirmation_is_the_only_message(world: World) -> None:
    escalation = escalate(world)
    actions = world.says("ria", "regie", f"/opvolging {short_id(escalation.id)}")
    assert texts(actions) == [ft.recorded(NL, named(escalation), None).plain]
    assert stored(world, escalation).follow_up_note == ""


def test_an_escalation_not_marked_for_the_police(world: World) -> None:
    escalation = escalate(world, scope="")
    short = short_id(escalation.id)
    assert texts(world.says("anna", None, f"/followup {short} x")) == [
        ft.not_for_police(NL, short).plain
    ]
    assert stored(world, escalation).followed_up_at is None


def test_no_id_gives_the_usage(world: World) -> None:
    escalate(world)
    assert texts(world.says("anna", None, "/followup")) == [ft.usage(NL, "followup").plain]
    [dutch] = texts(world.says("anna", None, "/opvolging"))
    assert dutch == ft.usage(NL, "opvolging").plain
    assert "/opvolging a1b2c3 " in dutch


@pytest.mark.parametrize(
    "typed", ["ffff00", "ab", "abc", "%%%%", "____", "abcd1111x", "a" * 200, "abcd\u202e11"]
)
def test_an_unknown_or_malformed_id(world: World, typed: str) -> None:
    add_police_escalation(world, "abcd1111aaaa")
    [reply] = texts(world.says("anna", None, f"/followup {typed} note"))
    assert reply == ft.unknown_id(NL, typed.replace("\u202e", "")[:20]).plain
    assert world.store.state.escalations["abcd1111aaaa"].followed_up_at is None


@pytest.mark.parametrize("typed", ["abcd11", "#abcd11", "ABCD11", "#ABCD1111AAAA"])
def test_the_id_may_have_a_hash_and_any_case(world: World, typed: str) -> None:
    add_police_escalation(world, "abcd1111aaaa")
    world.says("anna", None, f"/followup {typed} ok")
    assert world.store.state.escalations["abcd1111aaaa"].followed_up_at is not None


def test_an_ambiguous_id_lists_the_candidates(world: World) -> None:
    first = add_police_escalation(world, "abcd1111aaaa")
    world.clock.advance(minutes=1)
    second = add_police_escalation(world, "abcd2222bbbb")
    [reply] = texts(world.says("anna", None, "/followup abcd note"))
    candidates = [
        ft.Named("Goor Centrum", e.escalated_at, e.id) for e in (second, first)
    ]  # newest first
    assert reply == ft.ambiguous_id(NL, "abcd", candidates).plain
    assert "abcd1111aaaa" in reply
    assert "abcd2222bbbb" in reply
    assert all(e.followed_up_at is None for e in world.store.state.escalations.values())
    world.says("anna", None, "/followup abcd2222 note")
    assert world.store.state.escalations["abcd2222bbbb"].followed_up_at is not None


def test_an_exact_full_id_wins_over_longer_ones(world: World) -> None:
    add_police_escalation(world, "abcd11")
    add_police_escalation(world, "abcd11ffffff")
    world.says("anna", None, "/followup abcd11 ok")
    assert world.store.state.escalations["abcd11"].followed_up_at is not None
    assert world.store.state.escalations["abcd11ffffff"].followed_up_at is None


def test_an_escalation_of_another_gemeente(world: World) -> None:
    rijssen = GemeenteId("rijssen-holten")
    group = Group(GroupId("rh:bg"), rijssen, GroupKind.BUURT,
                  ChatRef(Platform.TELEGRAM, "-1002000000001"), "Rijssen Noord",
                  buurt_id=BuurtId("rh:noord"))  # fmt: skip
    network = Network(
        Gemeente(rijssen, "Rijssen-Holten"),
        (Kern(KernId("rh:rijssen"), rijssen, "Rijssen"),),
        (Buurt(BuurtId("rh:noord"), rijssen, KernId("rh:rijssen"), "Noord"),),
        (group,),
    )
    when = world.clock.now()
    with world.uow_factory() as uow:
        uow.networks.save(network)
        uow.persons.save(Person(PersonId("rh-piet"), rijssen, "Piet"))
        uow.escalations.add(
            Escalation("beef0000cafe", rijssen, group.id, MessageRef(group.chat, "1"), "x",
                       PersonId("rh-piet"), when, Scope.POLITIE)
        )  # fmt: skip
        uow.commit()
    [reply] = texts(world.says("hanneke", None, "/followup beef00 x"))
    assert reply == ft.other_gemeente(NL, "beef00").plain
    assert world.store.state.escalations["beef0000cafe"].followed_up_at is None


def test_a_huge_note_is_cut_and_control_characters_go(world: World) -> None:
    escalation = escalate(world)
    short = short_id(escalation.id)
    huge = "x" * 5000
    [reply] = said_to(world.says("anna", None, f"/followup {short} {huge}"), private(world, "anna"))
    assert reply == ft.recorded(NL, named(escalation), MAX_NOTE).plain
    note = stored(world, escalation).follow_up_note
    assert len(note) == MAX_NOTE
    assert note.endswith("…")


def test_control_characters_do_not_reach_the_note(world: World) -> None:
    escalation = escalate(world)
    typed = f"/followup {short_id(escalation.id)} wijk\x07agent\u202e belde\x00 👮\u200d♀️"
    world.says("anna", None, typed)
    assert stored(world, escalation).follow_up_note == "wijk agent belde 👮\u200d♀️"


def test_clean_note_keeps_ordinary_text_and_reports_the_cut() -> None:
    assert clean_note(["Gesproken", "met", "de", "wijkagent."]) == (
        "Gesproken met de wijkagent.",
        None,
    )
    assert clean_note([]) == ("", None)
    assert clean_note(["a" * MAX_NOTE]) == ("a" * MAX_NOTE, None)
    cut, at = clean_note(["a" * (MAX_NOTE + 1)])
    assert (len(cut), at) == (MAX_NOTE, MAX_NOTE)


def test_erasing_the_person_who_followed_up_keeps_the_follow_up(world: World) -> None:
    escalation = escalate(world)
    world.says("carla", None, f"/followup {short_id(escalation.id)} klaar")
    with world.uow_factory() as uow:
        uow.persons.delete(world.person("carla").id)
        uow.commit()
    after = stored(world, escalation)
    assert after.followed_up_at is not None
    assert after.followed_up_by is None
    assert after.follow_up_note == "klaar"


def test_the_excerpt_is_one_line_and_short() -> None:
    assert ft.excerpt("kort\nbericht") == "kort bericht"
    long = ft.excerpt("woord " * 50)
    assert len(long) <= ft.EXCERPT
    assert long.endswith("…")
