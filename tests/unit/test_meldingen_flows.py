"""The guided melding, 112 status, and the rule nudges, on the in-memory fakes."""

from __future__ import annotations

import pytest

from buurtbot.core.actions import SendText
from buurtbot.core.ids import Platform
from buurtbot.core.ports import Capabilities
from tests.world import World, texts


@pytest.fixture
def world() -> World:
    return World()


def guided_vehicle_melding(world: World, who: str = "daan", plate: str = "12 gzb 8") -> list[str]:
    """Daan reports a suspicious vehicle in Goor Centrum through numbered replies."""
    said: list[str] = []
    for answer in ["/melding", "3", "Kerkstraat bij de school", "1", "grijs", "Volkswagen",
                   "Golf", plate, "2"]:  # fmt: skip
        said += texts(world.says(who, "goor-centrum", answer))
    return said


def test_a_guided_vehicle_melding_is_posted_once_with_a_normalised_plate(world: World) -> None:
    said = guided_vehicle_melding(world)
    posts = [t for t in said if t.startswith("🚨")]
    assert len(posts) == 1
    post = posts[0]
    assert "Verdacht voertuig" in post
    assert "Kerkstraat bij de school" in post
    assert "12-GZB-8" in post
    assert "grijs; Volkswagen; Golf" in post
    assert "Daan Wolters" in post
    assert "nog niet gebeld" in post
    [melding] = [m for m in world.store.state.meldingen.values()]
    assert melding.vehicle is not None
    assert melding.vehicle.plate == "12-GZB-8"
    assert melding.called_112 is None


def test_the_dialogue_teaches_saar_and_112(world: World) -> None:
    [first] = texts(world.says("daan", "goor-centrum", "/melding"))
    assert "112" in first


def test_an_invalid_plate_is_pointed_out_not_refused(world: World) -> None:
    said = guided_vehicle_melding(world, plate="AE-12-IO")
    assert any("geen Nederlands kenteken" in t for t in said)
    [post] = [t for t in said if t.startswith("🚨")]
    assert "AE-12-IO (?)" in post


def test_skipped_questions_are_left_out(world: World) -> None:
    for answer in ["/melding", "2", "achterom", "-", "1", "-", "donkere jas", "-", "1"]:
        world.says("eva", "goor-centrum", answer)
    [melding] = list(world.store.state.meldingen.values())
    assert melding.where == "achterom"
    assert melding.when is None
    assert melding.person is not None
    assert melding.person.clothing == "donkere jas"
    assert melding.person.height is None
    assert melding.called_112 is not None  # answered "yes"


def test_stop_cancels_a_melding_and_nothing_is_posted(world: World) -> None:
    world.says("daan", "goor-centrum", "/melding")
    [reply] = texts(world.says("daan", "goor-centrum", "/stop"))
    assert reply == "De melding is geannuleerd; er is niets geplaatst."
    assert world.store.state.meldingen == {}
    assert world.says("daan", "goor-centrum", "3") == []  # no longer a dialogue answer


def test_a_half_finished_melding_expires(world: World) -> None:
    world.says("daan", "goor-centrum", "/melding")
    world.clock.advance(minutes=30)
    assert world.says("daan", "goor-centrum", "Kerkstraat") == []


def test_buttons_where_the_platform_has_them() -> None:
    world = World(capabilities={Platform.TELEGRAM: Capabilities(buttons=True)})
    [question] = world.says("daan", "goor-centrum", "/melding")
    assert isinstance(question, SendText)
    labels = [b.label for row in question.buttons for b in row]
    assert labels == [
        "Inbraak",
        "Verdachte persoon",
        "Verdacht voertuig",
        "Vandalisme",
        "Iets anders",
    ]


def test_112_is_announced_once_then_already_called(world: World) -> None:
    report = world.post("daan", "goor-centrum", "Man met koevoet bij nummer 12!")
    [announcement] = texts(world.reply("eva", "goor-centrum", "/112", report))
    assert announcement.startswith("☎ 112 is gebeld door Eva Nijhuis om 04:00")
    world.clock.advance(minutes=5)
    [again] = texts(world.reply("anna", "goor-centrum", "/112", report))
    assert again == "112 is al gebeld om 04:00 door Eva Nijhuis."
    world.clock.advance(hours=3)  # the window (2 h) has passed: a new call is news again
    [later] = texts(world.reply("anna", "goor-centrum", "/112", report))
    assert later.startswith("☎ 112 is gebeld door Anna Huisman")


def test_112_without_reply_marks_the_latest_melding(world: World) -> None:
    guided_vehicle_melding(world)
    [announcement] = texts(world.says("eva", "goor-centrum", "/112"))
    assert "112 is gebeld" in announcement
    [melding] = list(world.store.state.meldingen.values())
    assert melding.called_112 is not None
    assert melding.called_112.by_name == "Eva Nijhuis"


def test_112_as_reply_to_the_bots_post(world: World) -> None:
    guided_vehicle_melding(world)
    sent = world.flush()
    [post_key] = [k for k in sent if k.startswith("melding:")]
    world.reply("eva", "goor-centrum", "/112", sent[post_key])
    [melding] = list(world.store.state.meldingen.values())
    assert melding.called_112 is not None


def test_a_photo_gets_the_photo_rule_once_a_day(world: World) -> None:
    chat = world.group("goor-centrum").chat
    sender = world.identity("daan", Platform.TELEGRAM)
    first = texts(world.deliver(world.event("", sender=sender, chat=chat, has_photo=True)))
    again = texts(world.deliver(world.event("", sender=sender, chat=chat, has_photo=True)))
    assert len(first) == 1
    assert "foto" in first[0]
    assert again == []
    world.clock.advance(days=1)
    assert len(texts(world.deliver(world.event("", sender=sender, chat=chat, has_photo=True)))) == 1


def test_cursing_is_flagged_privately_to_the_beheerders(world: World) -> None:
    actions = world.says("daan", "goor-centrum", "Die kankerlijer reed weer door rood")
    chats = {a.chat for a in actions if isinstance(a, SendText)}
    beheerders = {world.identity(h, Platform.TELEGRAM).user_ref for h in ("anna", "bert", "carla")}
    assert {c.chat_id for c in chats} == beheerders
    assert all(c.private for c in chats)
    assert all("/waarschuw taal" in t for t in texts(actions))
    assert all("reed weer door rood" not in t for t in texts(actions))  # no message body


def test_chatter_nudge_is_off_by_default(world: World) -> None:
    assert world.says("daan", "goor-centrum", "bedankt allemaal! 👍") == []


def test_plain_reports_are_never_stored(world: World) -> None:
    world.says("daan", "goor-centrum", "Verdachte man bij de Albert Heijn")
    state = world.store.state
    assert state.meldingen == {}
    assert not any("Albert Heijn" in repr(v) for v in state.persons.values())
