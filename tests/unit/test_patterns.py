"""Pattern alerts: an escalation resembling another buurt's recent one, told to the regiegroep.

The similarity rules are pure functions (tested first); the flows run on the in-memory fakes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from buurtbot.core.actions import SendText
from buurtbot.core.domain.escalation import Escalation, Scope
from buurtbot.core.domain.melding import Melding, PersonDescription, VehicleDescription
from buurtbot.core.domain.model import Locale
from buurtbot.core.domain.patterns import (
    MatchKind,
    Sighting,
    find_patterns,
    jaccard,
    pattern_key,
    person_words,
    plates_of,
    same_vehicle,
    similar_person,
)
from buurtbot.core.ids import BuurtId, ChatRef, GemeenteId, GroupId, MessageRef, PersonId, Platform
from tests.world import World

# -- the pure rules ---------------------------------------------------------------------------
T0 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
CHAT = ChatRef(Platform.TELEGRAM, "-100")
WEST, OOST = BuurtId("g:west"), BuurtId("g:oost")
DAY = timedelta(hours=24)


def sighting(
    eid: str,
    buurt: BuurtId | None,
    *,
    text: str = "",
    at: datetime = T0,
    vehicle: VehicleDescription | None = None,
    person: PersonDescription | None = None,
    forwarded_from: str | None = None,
) -> Sighting:
    melding = None
    if vehicle is not None or person is not None:
        melding = Melding(f"m-{eid}", GemeenteId("g"), GroupId("g:grp"), at, vehicle=vehicle,
                          person=person)  # fmt: skip
    escalation = Escalation(
        id=eid,
        gemeente_id=GemeenteId("g"),
        source_group=GroupId("g:grp"),
        source_message=MessageRef(CHAT, eid),
        text=text,
        escalated_by=PersonId("g:anna"),
        escalated_at=at,
        scope=Scope.DEFAULT,
        melding_id=melding.id if melding else None,
        forwarded_from=forwarded_from,
    )
    return Sighting(escalation, buurt, melding)


def vehicle(colour: str | None, make: str | None, kind: str | None) -> VehicleDescription:
    return VehicleDescription(colour=colour, make=make, type=kind)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (vehicle("grijs", "Volkswagen", "Golf"), vehicle("Grijs", "volkswagen", "golf"), True),
        (vehicle("grijze", "VW", "Golf"), vehicle("grijs", "Volkswagen", "Golf"), True),
        (
            vehicle("grey", "Mercedes-Benz", "A-klasse"),
            vehicle("grijs", "Mercedes", "A klasse"),
            True,
        ),
        (vehicle("grijs", "Volkswagen", "Golf"), vehicle("zwart", "Volkswagen", "Golf"), False),
        (vehicle("grijs", "Volkswagen", "Golf"), vehicle("grijs", "Volkswagen", "Polo"), False),
        (vehicle("grijs", "Volkswagen", None), vehicle("grijs", "Volkswagen", None), False),
        (vehicle("", "Volkswagen", "Golf"), vehicle("", "Volkswagen", "Golf"), False),
        (vehicle("grijs", "Volkswagen", "Golf"), None, False),
    ],
)
def test_a_vehicle_is_the_same_on_colour_make_and_type(
    a: VehicleDescription, b: VehicleDescription | None, same: bool
) -> None:
    assert same_vehicle(a, b) is same
    assert same_vehicle(b, a) is same


def test_person_words_are_normalised_without_filler() -> None:
    person = PersonDescription("Man", "1.80 m", "Zwarte jas met capuchon,", "en een rugzak")
    assert person_words(person) == {"man", "1.80", "m", "zwarte", "jas", "capuchon", "rugzak"}
    assert person_words(None) == frozenset()


def test_jaccard_is_shared_over_all() -> None:
    assert jaccard(frozenset("abc"), frozenset("abd")) == pytest.approx(0.5)
    assert jaccard(frozenset("abc"), frozenset("abc")) == 1.0
    assert jaccard(frozenset(), frozenset()) == 0.0


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        # 5 shared of 6 words: 0.83
        (PersonDescription("man", None, "zwarte jas, blauwe pet", None),
         PersonDescription("Man", None, "zwarte jas met blauwe pet en rugzak", None), True),
        # 3 shared of 5 words: exactly 0.6
        (PersonDescription("man", None, "rode jas", None),
         PersonDescription("man", None, "rode jas, pet, fiets", None), True),
        # 2 shared of 4 words: 0.5
        (PersonDescription("man", None, "rode jas", None),
         PersonDescription("man", None, "rode trui", None), False),
        # too few words to say anything
        (PersonDescription("man", None, "jas", None), PersonDescription("man", None, "jas", None),
         False),
        (PersonDescription("man", None, "rode jas", None), None, False),
    ],
)  # fmt: skip
def test_a_person_is_similar_from_three_words_and_sixty_percent_overlap(
    a: PersonDescription, b: PersonDescription | None, similar: bool
) -> None:
    assert similar_person(a, b) is similar
    assert similar_person(b, a) is similar


def test_plates_come_from_the_text_and_the_melding_normalised() -> None:
    s = sighting("e1", WEST, text="auto 12 gzb 8 en AE-12-IO ?",
                 vehicle=VehicleDescription(plate="xs-123-b"))  # fmt: skip
    assert plates_of(s) == {"12-GZB-8", "XS-123-B"}
    assert plates_of(sighting("e2", WEST, text="om 12.30 bij huisnummer 14")) == frozenset()


def test_find_patterns_keeps_other_buurten_within_the_window_oldest_first() -> None:
    new = sighting("new", WEST, text="weer die 12-GZB-8", at=T0 + DAY)
    earlier = [
        sighting("b", OOST, text="12GZB8 rijdt rond", at=T0 + timedelta(hours=3)),
        sighting("a", OOST, text="kenteken 12 gzb 8", at=T0 + timedelta(minutes=1)),
        sighting("late", OOST, text="12-GZB-8", at=T0 + DAY + timedelta(minutes=1)),
        sighting("old", OOST, text="12-GZB-8", at=T0 - timedelta(minutes=1)),
        sighting("same-buurt", WEST, text="12-GZB-8", at=T0 + timedelta(hours=1)),
        sighting("nowhere", None, text="12-GZB-8", at=T0 + timedelta(hours=1)),
        sighting("fwd", OOST, text="12-GZB-8", at=T0 + timedelta(hours=1), forwarded_from="a"),
        sighting("other", OOST, text="34-XYZ-5", at=T0 + timedelta(hours=1)),
        new,
    ]
    found = find_patterns(new, earlier, window=DAY)
    assert [m.earlier.escalation.id for m in found] == ["a", "b"]
    assert {(m.kind, m.what) for m in found} == {(MatchKind.PLATE, "12-GZB-8")}
    assert pattern_key(new.escalation, found) == "pattern:b:new"
    assert find_patterns(replace(new, buurt_id=None), earlier, window=DAY) == []


def test_signalementen_match_when_no_plate_does() -> None:
    golf = vehicle("grijs", "VW", "Golf")
    new = sighting("n", WEST, vehicle=golf, at=T0 + timedelta(hours=1))
    [m] = find_patterns(new, [sighting("o", OOST, vehicle=vehicle("Grijs", "Volkswagen", "golf"))],
                        window=DAY)  # fmt: skip
    assert (m.kind, m.what) == (MatchKind.VEHICLE, "grijs VW Golf")
    person = PersonDescription("man", None, "zwarte jas, blauwe pet", None)
    new = sighting("n", WEST, person=person, at=T0 + timedelta(hours=1))
    [m] = find_patterns(new, [sighting("o", OOST, person=person)], window=DAY)
    assert (m.kind, m.what, m.gender) == (MatchKind.PERSON, "zwarte jas, blauwe pet", "man")
    other = sighting("o", OOST, vehicle=vehicle("rood", "VW", "Golf"))
    assert find_patterns(sighting("n", WEST, vehicle=golf), [other], window=DAY) == []


# -- the flows --------------------------------------------------------------------------------
#: buurtgroep -> (a beheerder who escalates, a lid who reports)
PEOPLE = {
    "goor-centrum": ("anna", "daan"),
    "goor-oost": ("jan", "lars"),
    "delden-stad": ("tineke", "vera"),
}


@pytest.fixture
def world() -> World:
    return World()


def escalate(world: World, where: str, text: str) -> None:
    beheerder, lid = PEOPLE[where]
    report = world.post(lid, where, text)
    world.reply(beheerder, where, "/escalate", report, quoted=text, author=lid)


def guided_melding(world: World, where: str, answers: list[str]) -> None:
    """A guided melding in ``where``, then escalated by the group's beheerder."""
    beheerder, lid = PEOPLE[where]
    for answer in ["/melding", *answers]:
        world.says(lid, where, answer)
    sent = world.flush()
    [key] = [k for k in sent if k.startswith("melding:")]
    post = next(r for r in world.store.state.outbox.values() if r.key == key)
    assert isinstance(post.action, SendText)
    world.reply(beheerder, where, "/escalate", sent[key], quoted=post.action.text.plain)
    world.flush()  # the next melding's post is then the only new one


def vehicle_melding(world: World, where: str, colour: str, make: str, kind: str) -> None:
    guided_melding(world, where, ["3", "Kerkstraat", "1", colour, make, kind, "-", "2"])


def person_melding(world: World, where: str, clothing: str) -> None:
    guided_melding(world, where, ["2", "achterom", "-", "1", "-", clothing, "-", "2"])


def alerts(world: World) -> list[tuple[str, SendText]]:
    found = []
    for record in sorted(world.store.state.outbox.values(), key=lambda r: r.id):
        if record.key.startswith("pattern:"):
            assert isinstance(record.action, SendText)
            found.append((record.key, record.action))
    return found


def test_the_same_plate_in_two_buurten_alerts_the_regiegroep_once(world: World) -> None:
    escalate(world, "goor-centrum", "Grijze Golf 12-GZB-8 rijdt rondjes")
    world.clock.advance(hours=2)
    escalate(world, "delden-stad", "Auto met kenteken 12 gzb 8 bij de school")
    [(key, alert)] = alerts(world)
    assert alert.chat == world.group("regie").chat
    plain = alert.text.plain
    assert "Mogelijk patroon" in plain
    assert "Delden Stad" in plain
    assert "Goor Centrum" in plain
    assert "hetzelfde kenteken 12-GZB-8" in plain
    ids = sorted(world.store.state.escalations)
    assert key == f"pattern:{ids[0]}:{ids[1]}"
    assert all(f"#{i[:6]}" in plain for i in ids)


def test_odd_plate_formatting_still_matches(world: World) -> None:
    escalate(world, "goor-centrum", "kenteken 12 gzb 8")
    escalate(world, "goor-oost", "die 12GZB8 weer")
    [(_, alert)] = alerts(world)
    assert "12-GZB-8" in alert.text.plain


def test_outside_the_window_nothing_is_said(world: World) -> None:
    escalate(world, "goor-centrum", "kenteken 12-GZB-8")
    world.clock.advance(hours=24, minutes=1)
    escalate(world, "delden-stad", "kenteken 12-GZB-8")
    assert alerts(world) == []


def test_the_same_buurt_is_no_pattern(world: World) -> None:
    escalate(world, "goor-centrum", "kenteken 12-GZB-8")
    escalate(world, "goor-centrum", "alweer 12-GZB-8")
    assert len(world.store.state.escalations) == 2
    assert alerts(world) == []


def test_different_plates_and_normal_chatter_are_no_pattern(world: World) -> None:
    world.post("lars", "goor-oost", "Ik zag 12-GZB-8 ook, denk ik")  # never escalated
    escalate(world, "goor-centrum", "kenteken 12-GZB-8")
    escalate(world, "delden-stad", "kenteken 34-XYZ-5")
    assert alerts(world) == []


def test_a_third_escalation_gets_one_new_alert_listing_both_earlier(world: World) -> None:
    escalate(world, "goor-centrum", "kenteken 12-GZB-8")
    world.clock.advance(hours=1)
    escalate(world, "goor-oost", "kenteken 12-GZB-8")
    world.clock.advance(hours=1)
    escalate(world, "delden-stad", "kenteken 12-GZB-8")
    first, second = alerts(world)
    assert first[0] != second[0]
    plain = second[1].text.plain
    assert "lijkt op 2 eerdere escalaties" in plain
    assert "Goor Centrum" in plain
    assert "Goor Oost" in plain
    assert plain.count("hetzelfde kenteken 12-GZB-8") == 2


def test_escalating_the_same_message_again_does_not_alert_again(world: World) -> None:
    escalate(world, "goor-centrum", "kenteken 12-GZB-8")
    report = world.post("lars", "goor-oost", "kenteken 12-GZB-8")
    world.reply("jan", "goor-oost", "/escalate", report, quoted="kenteken 12-GZB-8")
    world.reply("jan", "goor-oost", "/escalate kern", report, quoted="kenteken 12-GZB-8")
    assert len(alerts(world)) == 1


def test_a_similar_vehicle_signalement_alerts(world: World) -> None:
    vehicle_melding(world, "goor-centrum", "grijs", "Volkswagen", "Golf")
    vehicle_melding(world, "delden-stad", "Grijs", "VW", "golf")
    [(_, alert)] = alerts(world)
    assert "vergelijkbaar voertuig: Grijs VW golf" in alert.text.plain


def test_a_different_vehicle_signalement_does_not(world: World) -> None:
    vehicle_melding(world, "goor-centrum", "grijs", "Volkswagen", "Golf")
    vehicle_melding(world, "delden-stad", "zwart", "Volkswagen", "Golf")
    assert alerts(world) == []


def test_a_similar_person_signalement_alerts(world: World) -> None:
    person_melding(world, "goor-centrum", "zwarte jas, blauwe pet")
    person_melding(world, "goor-oost", "zwarte jas met blauwe pet")
    [(_, alert)] = alerts(world)
    assert "vergelijkbare persoon: man, zwarte jas met blauwe pet" in alert.text.plain


def test_an_english_regiegroep_reads_english(world: World) -> None:
    world.regie_in(Locale.EN)
    escalate(world, "goor-centrum", "kenteken 12-GZB-8")
    escalate(world, "delden-stad", "kenteken 12-GZB-8")
    [(_, alert)] = alerts(world)
    plain = alert.text.plain
    assert "Possible pattern across buurten" in plain
    assert "resembles 1 earlier escalation from another buurt" in plain
    assert "same licence plate 12-GZB-8" in plain


def test_the_window_is_the_gemeentes_setting(world: World) -> None:
    with world.uow_factory() as uow:
        [network] = uow.networks.all()
        gemeente = network.gemeente
        settings = replace(gemeente.settings, pattern_window_hours=48)
        uow.networks.save(replace(network, gemeente=replace(gemeente, settings=settings)))
        uow.commit()
    escalate(world, "goor-centrum", "kenteken 12-GZB-8")
    world.clock.advance(hours=30)
    escalate(world, "delden-stad", "kenteken 12-GZB-8")
    assert len(alerts(world)) == 1
