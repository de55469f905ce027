"""/mydata and /forgetme on the fakes."""

from __future__ import annotations

import json

import pytest

from buurtbot.core.actions import Action, AnswerButton, RemoveMember, SendFile, SendText
from buurtbot.core.domain.model import Locale
from buurtbot.core.ids import ChatRef, Platform
from buurtbot.core.ports import Capabilities
from tests.world import World

CAPS = {
    Platform.TELEGRAM: Capabilities(remove_members=True),
    Platform.SIGNAL: Capabilities(remove_members=True, add_members=True),
}


@pytest.fixture
def world() -> World:
    w = World(capabilities=CAPS)
    for handle in ("anna", "bert", "carla", "eva"):
        w.set_language(handle, Locale.EN)
    return w


def private(world: World, handle: str) -> ChatRef:
    return ChatRef.private_with(world.identity(handle, Platform.TELEGRAM))


def said(actions: list[Action]) -> list[str]:
    return [a.text.plain for a in actions if isinstance(a, SendText)]


def erase(world: World, handle: str, answer: str = "1") -> list[Action]:
    """``handle`` answers the question; what was queued. (Erasure deletes outbox items, so
    the world's count of seen items cannot be used.)"""
    before = max(world.store.state.outbox, default=0)
    world.says(handle, None, answer)
    records = world.store.state.outbox
    world._seen_outbox = len(records)
    return [records[i].action for i in sorted(records) if i > before]


def warn_eva(world: World) -> None:
    message = world.post("eva", "goor-centrum", "Wat een sukkels")
    world.reply("anna", "goor-centrum", "/waarschuw taal", message, author="eva")


# -- /mydata ---------------------------------------------------------------------------------
def test_mydata_shows_everything_in_full(world: World) -> None:
    warn_eva(world)
    [text] = said(world.says("eva", None, "/mijngegevens"))

    assert text.startswith("Everything buurtbot stores about you")
    assert "Name: Eva Nijhuis" in text
    assert "Short name: eva" in text
    assert "Gemeente: Hof van Twente" in text
    assert "Language: en" in text
    assert "telegram: 700131776" in text
    assert "Buurtpreventie Goor Centrum: member" in text
    assert "Buurtpreventie Goor Centrum: bad language (active)" in text
    assert "warned (about you)" in text
    assert "/forgetme" in text


def test_mydata_of_a_beheerder_shows_roles_and_the_phone_number_unmasked(world: World) -> None:
    [text] = said(world.says("anna", None, "/mydata"))
    assert "signal: +31620000000" in text
    assert "Buurtpreventie Goor Centrum: eigenaar" in text
    assert "Roles in the gemeente: coordinator" in text


def test_mydata_sends_the_same_data_as_a_json_file_where_the_platform_can(
    world: World,
) -> None:
    world.bot.capabilities = dict(CAPS) | {
        Platform.TELEGRAM: Capabilities(remove_members=True, send_files=True)
    }
    warn_eva(world)
    actions = world.says("eva", None, "/mydata")
    [file] = [a for a in actions if isinstance(a, SendFile)]
    assert file.chat == private(world, "eva")
    assert file.filename == "mijn-gegevens.json"
    assert file.caption is not None
    assert file.caption.plain.startswith("The same data as a file (JSON)")
    text = file.content.decode("utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    data = json.loads(text)
    eva = world.person("eva")
    assert data["person"]["id"] == eva.id
    assert data["person"]["name"] == "Eva Nijhuis"
    assert {"platform": "telegram", "user_ref": "700131776"} in data["identities"]
    assert data["locale"] == "en"
    assert {
        "group_id": world.group("goor-centrum").id,
        "group": "Buurtpreventie Goor Centrum",
        "role": "lid",
    } in data["memberships"]
    [warning] = data["warnings"]
    assert warning["state"] == "active"
    assert warning["at"].startswith(world.clock.now().date().isoformat())
    assert [e["action"] for e in data["audit"]] == ["warned"]
    assert not data["audit"][0]["by_you"]


def test_no_file_where_the_platform_cannot_send_files(world: World) -> None:
    actions = world.says("eva", None, "/mydata")
    assert not [a for a in actions if isinstance(a, SendFile)]
    assert len(said(actions)) == 1


def test_mydata_only_privately(world: World) -> None:
    [text] = said(world.says("eva", "goor-centrum", "/mydata"))
    assert "Everything buurtbot stores" not in text


# -- /forgetme -------------------------------------------------------------------------------
def test_forgetme_asks_then_erases_and_removes_from_every_group(world: World) -> None:
    warn_eva(world)
    [question] = said(world.says("eva", None, "/vergeetmij"))
    assert question.startswith("Do you want buurtbot to forget you?")
    assert "1. Yes, forget me" in question

    eva_id = world.spec.person_id("eva")
    eva_tg = world.identity("eva", Platform.TELEGRAM)
    actions = erase(world, "eva")

    state = world.store.state
    assert eva_id not in state.persons
    assert all(m.person_id != eva_id for m in state.all_memberships())
    assert all(w.person_id != eva_id for w in state.warnings.values())
    assert all(eva_id not in (a.actor, a.subject) for a in state.audit)
    assert RemoveMember(chat=world.group("goor-centrum").chat, user=eva_tg) in actions
    [done] = said(actions)
    assert done.startswith("Done: buurtbot has forgotten you.")
    # Nothing queued still names her, except what must reach her now.
    for record in state.outbox.values():
        if "700131776" in repr(record.action) or "Eva Nijhuis" in repr(record.action):
            assert record.action in actions
            assert "Eva Nijhuis" not in repr(record.action)


def test_forgetme_with_buttons(world: World) -> None:
    world.bot.capabilities = dict(CAPS) | {
        Platform.TELEGRAM: Capabilities(remove_members=True, buttons=True)
    }
    [ask] = [a for a in world.says("eva", None, "/forgetme") if isinstance(a, SendText)]
    assert [b.data for row in ask.buttons for b in row] == ["forget:yes", "forget:no"]
    before = max(world.store.state.outbox, default=0)
    world.press(world.identity("eva", Platform.TELEGRAM), private(world, "eva"), "forget:yes")
    records = world.store.state.outbox
    actions = [records[i].action for i in sorted(records) if i > before]
    assert world.spec.person_id("eva") not in world.store.state.persons
    assert any(isinstance(a, AnswerButton) for a in actions)


def test_forgetme_cancelled_keeps_everything(world: World) -> None:
    world.says("eva", None, "/forgetme")
    actions = world.says("eva", None, "2")
    assert said(actions) == ["Nothing was erased. You stay a member as before."]
    assert world.spec.person_id("eva") in world.store.state.persons


def test_an_eigenaar_must_hand_over_first(world: World) -> None:
    [refused] = said(world.says("anna", None, "/forgetme"))
    assert refused == (
        "You are the eigenaar of Buurtpreventie Goor Centrum. Hand the group over to another "
        "member first (/transfer), then ask again. Nothing was erased."
    )
    assert world.spec.person_id("anna") in world.store.state.persons


def test_a_beheerder_forgotten_leaves_the_coordinatorengroep_and_continuity_is_flagged(
    world: World,
) -> None:
    world.says("bert", None, "/forgetme")
    erase(world, "bert")
    world.says("carla", None, "/forgetme")
    actions = erase(world, "carla")

    removed = {a.chat for a in actions if isinstance(a, RemoveMember)}
    assert world.group("coordinatoren").chat in removed
    assert world.group("goor-centrum").chat in removed
    [flag] = [
        a.text.plain
        for a in actions
        if isinstance(a, SendText) and a.chat == world.group("regie").chat
    ]
    assert "Buurtpreventie Goor Centrum" in flag
    assert "Carla" not in flag


def test_where_the_platform_cannot_remove_the_person_is_asked_to_leave(world: World) -> None:
    world.bot.capabilities = {Platform.TELEGRAM: Capabilities()}
    world.says("eva", None, "/forgetme")
    [done] = said(erase(world, "eva"))
    assert done.endswith("please leave them: Buurtpreventie Goor Centrum.")
