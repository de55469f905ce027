"""Escalation and forwarding on the in-memory fakes: targets, once each, across platforms."""

from __future__ import annotations

import pytest

from buurtbot.core.actions import EditText, SendText
from buurtbot.core.ids import ChatRef, Platform
from buurtbot.core.ports import Capabilities
from tests.world import World, texts

REPORT = "Grijze VW Golf met kenteken 12-gzb-8 rijdt al een uur rondjes <b>&</b>"


@pytest.fixture
def world() -> World:
    return World()


def chats_of(actions: list[object]) -> set[ChatRef]:
    return {a.chat for a in actions if isinstance(a, SendText)}


def escalate(world: World, who: str = "anna", scope: str = "") -> tuple[list[object], object]:
    report = world.post("daan", "goor-centrum", REPORT)
    command = f"/escalate {scope}".strip()
    return world.reply(who, "goor-centrum", command, report, quoted=REPORT, author="daan"), report


def test_default_escalation_reaches_regiegroep_and_adjacent_buurten(world: World) -> None:
    actions, _ = escalate(world)
    expected = {world.group(g).chat for g in ("regie", "goor-west", "goor-oost", "goor-zuid")}
    assert chats_of(actions) - {world.group("goor-centrum").chat} == expected
    assert any(t.startswith("Doorgezet naar 4 ontvangers") for t in texts(actions))


def test_the_copy_carries_origin_112_status_plate_and_the_text_as_text(world: World) -> None:
    actions, _ = escalate(world)
    [copy] = [a for a in actions if isinstance(a, SendText) and a.chat == world.group("regie").chat]
    plain = copy.text.plain
    assert "Goor Centrum (Goor)" in plain
    assert "Anna Huisman" in plain
    assert "nog niet gebeld" in plain
    assert "12-GZB-8" in plain
    assert REPORT in plain
    # The report's markup is one plain span: no adapter will ever read it as formatting.
    assert any(s.text == REPORT and not s.bold for s in copy.text.spans)
    assert "Daan" not in plain  # the reporter is not named: only what the message had


def test_escalating_twice_adds_targets_and_never_duplicates(world: World) -> None:
    _, report = escalate(world)
    again = world.reply("bert", "goor-centrum", "/escalate", report, quoted=REPORT)
    assert texts(again) == ["Dit bericht heeft al deze ontvangers al bereikt."]
    wider = world.reply("anna", "goor-centrum", "/escalate kern", report, quoted=REPORT)
    new_chats = chats_of(wider) - {world.group("goor-centrum").chat}
    assert world.group("regie").chat not in new_chats
    assert world.group("goor-west").chat not in new_chats
    assert len(world.store.state.escalations) == 1


def test_politie_scope_reaches_the_liaison_privately(world: World) -> None:
    actions, _ = escalate(world, scope="politie")
    mirjam = world.person("mirjam")
    private = {c for c in chats_of(actions) if c.private}
    telegram = mirjam.identity_on(Platform.TELEGRAM)
    assert telegram is not None
    assert private == {ChatRef.private_with(telegram)}


def test_a_lid_cannot_escalate_and_nothing_is_sent(world: World) -> None:
    report = world.post("daan", "goor-centrum", REPORT)
    actions = world.reply("eva", "goor-centrum", "/escalate", report, quoted=REPORT)
    assert texts(actions) == ["Alleen de beheerders van deze groep kunnen /escalate gebruiken."]
    assert world.store.state.escalations == {}


def test_a_beheerder_of_another_group_cannot_escalate_here(world: World) -> None:
    report = world.post("daan", "goor-centrum", REPORT)
    # Frank is eigenaar of Goor West; in Goor Centrum he is nobody.
    sender = world.identity("frank", Platform.TELEGRAM)
    event = world.event("/escalate", sender=sender, chat=world.group("goor-centrum").chat,
                        reply_to=report, reply_text=REPORT)  # fmt: skip
    [refusal] = texts(world.deliver(event))
    assert refusal.startswith("Alleen leden van deze groep")


def test_escalate_needs_a_reply_and_a_known_scope(world: World) -> None:
    [no_reply] = texts(world.says("anna", "goor-centrum", "/escalate"))
    assert no_reply.startswith("Antwoord met /escalate op het bericht")
    report = world.post("daan", "goor-centrum", REPORT)
    [bad] = texts(world.reply("anna", "goor-centrum", "/escalate overal", report, quoted=REPORT))
    assert "overal" in bad


def test_112_after_escalation_updates_every_copy() -> None:
    world = World(capabilities={Platform.TELEGRAM: Capabilities(edit_messages=True)})
    _, report = escalate(world)
    world.flush()
    actions = world.reply("eva", "goor-centrum", "/112", report)
    edits = [a for a in actions if isinstance(a, EditText)]
    follow_ups = [
        a for a in actions if isinstance(a, SendText) and a.chat.platform is Platform.SIGNAL
    ]
    assert {e.chat for e in edits} == {world.group(g).chat for g in ("regie", "goor-oost")}
    assert all("gebeld door Eva Nijhuis" in e.text.plain for e in edits)
    assert {f.chat for f in follow_ups} == {world.group(g).chat for g in ("goor-west", "goor-zuid")}


def test_contactpersoon_forwards_down_to_own_buurtgroep(world: World) -> None:
    # Ria is contactpersoon and lid of Markelo Dorp; the escalation comes from Goor Centrum.
    _, _ = escalate(world)
    sent = world.flush()
    [copy_key] = [k for k in sent if k.startswith("esc:") and k.endswith(world.group("regie").id)]
    actions = world.reply("ria", "regie", "/doorsturen", sent[copy_key])
    reached = chats_of(actions) - {world.group("regie").chat}
    assert reached == {world.group("markelo-dorp").chat}
    [copy] = [
        a for a in actions if isinstance(a, SendText) and a.chat == world.group("markelo-dorp").chat
    ]
    assert "Doorgestuurd door Ria" in copy.text.plain


def test_only_the_hoofdcoordinator_forwards_to_a_whole_kern(world: World) -> None:
    escalate(world)
    sent = world.flush()
    [copy_key] = [k for k in sent if k.startswith("esc:") and k.endswith(world.group("regie").id)]
    [refusal] = texts(world.reply("ria", "regie", "/forward kern", sent[copy_key]))
    assert refusal.startswith("Alleen de hoofdcoördinator")
    actions = world.reply("hanneke", "regie", "/forward kern", sent[copy_key])
    reached = chats_of(actions) - {world.group("regie").chat}
    # Goor's other buurtgroepen already had it (adjacent); the source never gets it back.
    assert world.group("goor-centrum").chat not in reached


def test_forward_needs_an_escalated_copy(world: World) -> None:
    message = world.post("joost", "regie", "vergadering morgen")
    [reply] = texts(world.reply("joost", "regie", "/forward", message))
    assert reply.startswith("Antwoord met /forward op een doorgezet bericht")


def test_the_audit_log_records_escalation_without_the_message(world: World) -> None:
    escalate(world)
    [entry] = [e for e in world.store.state.audit if e.action.value == "escalated"]
    assert entry.detail["targets"] == "4"
    assert REPORT not in repr(entry)


def test_the_log_shows_where_an_escalation_got(world: World) -> None:
    escalate(world)
    world.flush()
    [log] = texts(world.says("hanneke", "regie", "/logboek"))
    assert "escaleerde een bericht uit Buurtpreventie Goor Centrum" in log
    assert "4 van 4 ontvangers bereikt" in log


def test_help_teaches_saar_briefly(world: World) -> None:
    [reply] = texts(world.says("daan", "goor-centrum", "/hulp"))
    assert "SAAR" in reply
    assert "0900-8844" in reply
