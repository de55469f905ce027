"""Sign-up to membership (flow 1), on the in-memory fakes and the example network.

Texts are compared with what the text functions render in the reader's language, so the
tests hold whether or not a msgid has its Dutch translation yet.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from buurtbot.core.actions import Action, AddMember, CreateInvite, SendText
from buurtbot.core.commands import Command
from buurtbot.core.domain.aanmelding import Aanmelding, AanmeldingState, Channel
from buurtbot.core.domain.model import GroupRole, Locale
from buurtbot.core.domain.moderation import Block
from buurtbot.core.ids import ChatRef, GemeenteId, Platform, PlatformIdentity
from buurtbot.core.ports import Capabilities
from buurtbot.core.services import signup as service
from buurtbot.core.texts import signup as texts
from tests.world import TRANSLATORS, World
from tests.world import texts as plain

NL = TRANSLATORS.get(Locale.NL)
BAD = texts.bad_token(NL).plain
TOO_MANY = texts.too_many_attempts(NL).plain
RESIDENT = PlatformIdentity(Platform.TELEGRAM, "800000001")
OTHER = PlatformIdentity(Platform.TELEGRAM, "800000002")


@pytest.fixture
def world() -> World:
    return World()


# -- helpers ------------------------------------------------------------------------------------
def say(world: World, who: PlatformIdentity, text: str) -> list[Action]:
    return world.deliver(world.event(text, sender=who, chat=ChatRef.private_with(who)))


def sent_to(actions: list[Action], chat: ChatRef) -> list[str]:
    return [a.text.plain for a in actions if isinstance(a, SendText) and a.chat == chat]


def private(world: World, handle: str, platform: Platform = Platform.TELEGRAM) -> ChatRef:
    return ChatRef.private_with(world.identity(handle, platform))


def sign_up(
    world: World,
    who: PlatformIdentity = RESIDENT,
    address: str = "7471 AB 12",
    street: str | None = None,
    name: str = "Zoë de Vries",
) -> list[Action]:
    """The whole /signup dialogue with numbered replies (1 = yes)."""
    actions: list[Action] = []
    answers = ["/signup", name, address, *([street] if street else []), "1", "1", "1"]
    for answer in answers:
        actions += say(world, who, answer)
    return actions


def all_aanmeldingen(world: World) -> list[Aanmelding]:
    with world.uow_factory() as uow:
        return uow.aanmeldingen.in_state(world.spec.network.gemeente.id, frozenset(AanmeldingState))


def only_aanmelding(world: World) -> Aanmelding:
    [aanmelding] = all_aanmeldingen(world)
    return aanmelding


def token_in(actions: list[Action]) -> str:
    for text in plain(actions):
        found = re.search(r"(?:/start|START|start=)\s?([A-Za-z0-9_-]{16,})", text)
        if found:
            return found.group(1)
    raise AssertionError(plain(actions))


def form(**changes: object) -> service.SignupForm:
    base = service.SignupForm(
        name="Piet Pieters",
        postcode="7471 AB",
        house_number="12",
        street=None,
        phone="06 1234 5678",
        contact_platform=None,
        identity=None,
        locale=Locale.NL,
        adult=True,
        lives_here=True,
        rules_accepted=True,
        channel=Channel.WEB,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def submit(world: World, f: service.SignupForm) -> tuple[service.SignupResult, list[Action]]:
    with world.uow_factory() as uow:
        network = uow.networks.get(world.spec.network.gemeente.id)
        assert network is not None
        result = service.submit_aanmelding(
            uow, network, f, now=world.clock.now(), translators=TRANSLATORS, capabilities={}
        )
        uow.commit()
    return result, world.new_actions()


def admitted_token(world: World, eigenaar: str = "anna") -> str:
    aanmelding = only_aanmelding(world)
    return token_in(world.says(eigenaar, None, f"/admit {aanmelding.id}"))


def redeem(world: World, who: PlatformIdentity, token: str, start: str = "/start") -> list[Action]:
    actions = say(world, who, f"{start} {token}")
    actions += say(world, who, "1")  # accepts the rules
    actions += say(world, who, "1")  # 18 or older
    return actions


# -- phone numbers and addresses ----------------------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    ["0612345678", "06-12345678", "06 1234 5678", "+31612345678", "+31 6 12 34 56 78",
     "0031612345678", "0031 6 12345678", "+31 (0)6 1234 5678", "06.12.34.56.78", "06/12345678"],
)  # fmt: skip
def test_dutch_phone_numbers_become_e164(typed: str) -> None:
    assert service.normalise_phone(typed) == "+31612345678"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("074-1234567", "+31741234567"),  # a landline in Hengelo
     ("+32 470 12 34 56", "+32470123456"),  # a Belgian mobile
     ("0032 470 123456", "+32470123456"),
     ("+49 151 1234 5678", "+4915112345678")],  # a German mobile, across the border
)  # fmt: skip
def test_landlines_and_foreign_mobiles_are_accepted(typed: str, e164: str) -> None:
    assert service.normalise_phone(typed) == e164


@pytest.mark.parametrize("typed", ["", "   ", "garbage", "12345", "061234567", "06123456789",
                                   "0012345678", "06-1234-567x", "+31012345678",
                                   "06 1234 5678 ext. 12", "0" * 200])  # fmt: skip
def test_other_numbers_are_refused(typed: str) -> None:
    assert service.normalise_phone(typed) is None


def test_addresses_are_read_in_one_line() -> None:
    assert service.parse_address("7471 ab 12") == ("7471AB", "12")
    assert service.parse_address("7471AB, 12a") == ("7471AB", "12A")
    assert service.parse_address("7471 AB 12-3") == ("7471AB", "12-3")
    assert service.parse_address("7471 AB") is None
    assert service.parse_address("Kerkstraat 12") is None
    assert service.parse_address("0471 AB 12") is None


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"name": "  "}, service.Problem.MISSING_NAME),
        ({"postcode": "747 AB"}, service.Problem.BAD_POSTCODE),
        ({"postcode": "7471 SS"}, service.Problem.BAD_POSTCODE),
        ({"house_number": ""}, service.Problem.BAD_HOUSE_NUMBER),
        ({"postcode": "7472 AB"}, service.Problem.STREET_REQUIRED),
        ({"adult": False}, service.Problem.NOT_ADULT),
        ({"lives_here": False}, service.Problem.NOT_LOCAL),
        ({"rules_accepted": False}, service.Problem.RULES_NOT_ACCEPTED),
        ({"phone": None}, service.Problem.NO_CONTACT),
        ({"phone": "06 1234"}, service.Problem.BAD_PHONE),
    ],
)
def test_every_validation_reason(world: World, changes: dict[str, object], problem: str) -> None:
    result, actions = submit(world, form(**changes))
    assert not result.ok
    assert result.problems == (problem,)
    assert texts.problem(NL, problem) != problem  # each reason has words
    assert actions == []
    assert all_aanmeldingen(world) == []


def test_a_platform_instead_of_a_phone_number_is_enough(world: World) -> None:
    result, _ = submit(world, form(phone=None, contact_platform=Platform.TELEGRAM))
    assert result.ok


# -- routing ------------------------------------------------------------------------------------
def test_a_web_sign_up_goes_to_the_eigenaar_and_briefly_to_the_regiegroep(world: World) -> None:
    result, actions = submit(world, form(house_number="99"))
    assert result.aanmelding is not None
    aanmelding = result.aanmelding
    assert aanmelding.state is AanmeldingState.ROUTED
    assert aanmelding.group_id == world.group("goor-centrum").id
    assert aanmelding.phone == "+31612345678"
    [to_anna] = sent_to(actions, private(world, "anna"))
    assert "Piet Pieters" in to_anna
    assert "+31612345678" in to_anna
    assert "99" in to_anna
    assert aanmelding.id in to_anna
    [notice] = sent_to(actions, world.group("regie").chat)
    assert "Piet Pieters" in notice
    assert aanmelding.id in notice
    assert "Goor Centrum" in notice
    for secret in ("99", "+31612345678", "0612345678", "1234", "7471"):
        assert secret not in notice.replace(aanmelding.id, "")


def test_the_bot_dialogue_signs_up_and_routes(world: World) -> None:
    actions = sign_up(world)
    aanmelding = only_aanmelding(world)
    assert aanmelding.state is AanmeldingState.ROUTED
    assert aanmelding.name == "Zoë de Vries"
    assert (aanmelding.postcode, aanmelding.house_number) == ("7471AB", "12")
    assert aanmelding.identity == RESIDENT
    assert aanmelding.locale is Locale.NL
    assert aanmelding.channel is Channel.BOT
    assert (aanmelding.adult_confirmed, aanmelding.lives_or_works_here) == (True, True)
    confirmation = sent_to(actions, ChatRef.private_with(RESIDENT))[-1]
    assert confirmation == texts.submitted(NL, aanmelding, "Goor Centrum").plain
    assert len(sent_to(actions, private(world, "anna"))) == 1


def test_the_dialogue_shows_the_house_rules_before_asking(world: World) -> None:
    said: list[str] = []
    for answer in ["/aanmelden", "Zoë", "7471 AB 12", "1", "1"]:
        said = plain(say(world, RESIDENT, answer))
    assert "0900-8844" in said[-1]  # the rules, with SAAR


def test_an_unreadable_address_is_asked_again(world: World) -> None:
    say(world, RESIDENT, "/signup")
    say(world, RESIDENT, "Zoë")
    [again] = plain(say(world, RESIDENT, "Kerkstraat 12"))
    assert again == texts.address_not_understood(NL).plain


def test_a_shared_postcode_asks_the_street(world: World) -> None:
    say(world, RESIDENT, "/signup")
    say(world, RESIDENT, "Zoë")
    [question] = plain(say(world, RESIDENT, "7472 AB 5"))
    assert question == texts.ask_street(NL).plain
    for answer in ["molenstraat", "1", "1", "1"]:
        actions = say(world, RESIDENT, answer)
    aanmelding = only_aanmelding(world)
    assert aanmelding.buurt_id == "goor-zuid"
    assert sent_to(actions, private(world, "niels", Platform.SIGNAL))  # Goor Zuid is on Signal


def test_a_buurt_without_group_puts_the_sign_up_on_its_waiting_list(world: World) -> None:
    actions = sign_up(world, address="7476 AA 3")
    aanmelding = only_aanmelding(world)
    assert aanmelding.state is AanmeldingState.WAITING
    assert aanmelding.buurt_id == "markelo-buitengebied"
    [notice] = sent_to(actions, world.group("regie").chat)
    assert "Markelo Buitengebied" in notice


def test_an_address_outside_every_buurt_is_unroutable(world: World) -> None:
    actions = sign_up(world, address="7400 AB 3")
    aanmelding = only_aanmelding(world)
    assert aanmelding.state is AanmeldingState.UNROUTABLE
    [notice] = sent_to(actions, world.group("regie").chat)
    assert notice == texts.regie_notice(NL, aanmelding, None).plain


def test_manual_routing_keeps_the_sign_up_for_the_hoofdcoordinator(world: World) -> None:
    with world.uow_factory() as uow:
        network = uow.networks.get(world.spec.network.gemeente.id)
        assert network is not None
        settings = replace(network.gemeente.settings, auto_route=False)
        network = replace(network, gemeente=replace(network.gemeente, settings=settings))
        result = service.submit_aanmelding(
            uow, network, form(), now=world.clock.now(), translators=TRANSLATORS
        )
        uow.commit()
    assert result.aanmelding is not None
    assert result.aanmelding.state is AanmeldingState.RECEIVED
    assert sent_to(world.new_actions(), private(world, "anna")) == []


def test_saying_no_stops_the_sign_up_and_stores_nothing(world: World) -> None:
    for answer in ["/signup", "Zoë", "7471 AB 12"]:
        say(world, RESIDENT, answer)
    [stopped] = plain(say(world, RESIDENT, "2"))
    assert stopped == texts.signup_stopped(NL, "not-adult").plain
    assert all_aanmeldingen(world) == []


def test_stop_cancels_the_sign_up(world: World) -> None:
    say(world, RESIDENT, "/signup")
    say(world, RESIDENT, "/stop")
    assert plain(say(world, RESIDENT, "Zoë")) != []  # no longer taken as a name
    assert all_aanmeldingen(world) == []


def test_signup_is_private_only(world: World) -> None:
    [refusal] = plain(world.says("daan", "goor-centrum", "/signup"))
    assert all_aanmeldingen(world) == []
    assert refusal


# -- /pending, /admit, /decline, /route ---------------------------------------------------------
def test_pending_for_the_eigenaar_and_the_hoofdcoordinator(world: World) -> None:
    sign_up(world)
    sign_up(world, who=OTHER, address="7476 AA 3", name="Olaf")
    submit(world, form(postcode="7400 AB", name="Ursula"))
    [for_anna] = plain(world.says("anna", None, "/pending"))
    assert "Zoë de Vries" in for_anna
    assert "Olaf" not in for_anna
    assert "Ursula" not in for_anna
    [for_jan] = plain(world.says("jan", None, "/aanmeldingen"))
    assert for_jan == texts.pending(NL, [], [], []).plain
    [for_hanneke] = plain(world.says("hanneke", None, "/pending"))
    assert "Ursula" in for_hanneke
    assert "Markelo Buitengebied: 1" in for_hanneke
    [refused] = plain(world.says("daan", None, "/pending"))
    assert "Zoë" not in refused


def test_only_the_eigenaar_of_the_group_admits(world: World) -> None:
    sign_up(world)
    aanmelding = only_aanmelding(world)
    [refused] = plain(world.says("jan", None, f"/admit {aanmelding.id}"))
    assert refused == texts.not_yours(NL, aanmelding.id).plain
    assert only_aanmelding(world).state is AanmeldingState.ROUTED
    [unknown] = plain(world.says("anna", None, "/toelaten XXXXXX"))
    assert unknown == texts.unknown_aanmelding(NL, "XXXXXX").plain


def test_admission_sends_the_invite_and_forgets_the_address(world: World) -> None:
    sign_up(world)
    aanmelding = only_aanmelding(world)
    actions = world.says("anna", None, f"/admit {aanmelding.id.lower()}")
    [to_resident] = sent_to(actions, ChatRef.private_with(RESIDENT))
    token = token_in(actions)
    assert f"/start {token}" in to_resident
    assert sent_to(actions, private(world, "anna"))
    after = only_aanmelding(world)
    assert after.state is AanmeldingState.ADMITTED
    assert (after.postcode, after.house_number, after.street) == (None, None, None)
    assert after.buurt_id == "goor-centrum"
    with world.uow_factory() as uow:
        [invite] = uow.invites.for_aanmelding(after.id)
    assert invite.token_hash != token
    assert len(invite.token_hash) == 64
    assert invite.expires_at - invite.created_at == timedelta(days=7)


def test_a_web_sign_up_gets_its_invite_through_the_eigenaar(world: World) -> None:
    result, _ = submit(world, form())
    assert result.aanmelding is not None
    actions = world.says("hanneke", None, f"/admit {result.aanmelding.id}")
    [to_hanneke] = plain(actions)
    assert "/start " in to_hanneke


def test_a_blocked_person_is_not_admitted_and_the_eigenaar_hears_why(world: World) -> None:
    sign_up(world)
    aanmelding = only_aanmelding(world)
    with world.uow_factory() as uow:
        person = uow.persons.by_identity(RESIDENT)
        assert person is not None
        uow.blocks.add(Block(aanmelding.gemeente_id, person.id, world.clock.now(), "warnings"))
        uow.commit()
    [refused] = plain(world.says("anna", None, f"/admit {aanmelding.id}"))
    assert refused == texts.admit_blocked(NL, aanmelding.id, "warnings").plain
    assert only_aanmelding(world).state is AanmeldingState.ROUTED


def test_a_blocked_phone_number_is_matched(world: World) -> None:
    henk = world.person("henk")  # on Signal with his number
    with world.uow_factory() as uow:
        uow.blocks.add(Block(GemeenteId("hof-van-twente"), henk.id, world.clock.now(), "threats"))
        uow.commit()
    phone = world.identity("henk", Platform.SIGNAL).user_ref
    result, _ = submit(world, form(phone=phone))
    assert result.aanmelding is not None
    [refused] = plain(world.says("anna", None, f"/admit {result.aanmelding.id}"))
    assert "threats" in refused


def test_decline_tells_the_resident_the_reason(world: World) -> None:
    sign_up(world)
    aanmelding = only_aanmelding(world)
    actions = world.says("anna", None, f"/afwijzen {aanmelding.id} woont buiten de wijk")
    [to_resident] = sent_to(actions, ChatRef.private_with(RESIDENT))
    assert to_resident == texts.declined(NL, "woont buiten de wijk").plain
    after = only_aanmelding(world)
    assert after.state is AanmeldingState.DECLINED
    assert after.decline_reason == "woont buiten de wijk"
    assert after.postcode is None
    [usage] = plain(world.says("anna", None, f"/decline {aanmelding.id}"))
    assert usage == texts.usage(NL, Command.DECLINE).plain


def test_the_hoofdcoordinator_routes_to_another_buurt(world: World) -> None:
    sign_up(world, address="7400 AB 3")
    aanmelding = only_aanmelding(world)
    [refused] = plain(world.says("anna", None, f"/route {aanmelding.id} goor-oost"))
    assert "Goor Oost" not in refused
    actions = world.says("hanneke", "regie", f"/routeer {aanmelding.id} Goor Oost")
    [to_jan] = sent_to(actions, private(world, "jan"))
    assert aanmelding.id in to_jan
    assert only_aanmelding(world).state is AanmeldingState.ROUTED
    assert only_aanmelding(world).group_id == world.group("goor-oost").id
    actions = world.says("hanneke", None, f"/route {aanmelding.id} bentelo-dorp")
    assert only_aanmelding(world).state is AanmeldingState.WAITING
    [unknown] = plain(world.says("hanneke", None, f"/route {aanmelding.id} Atlantis"))
    assert unknown == texts.unknown_buurt(NL, "Atlantis").plain


# -- redemption ---------------------------------------------------------------------------------
def test_redeeming_links_the_account_and_joins_the_group(world: World) -> None:
    sign_up(world)
    token = admitted_token(world)
    [rules] = plain(say(world, RESIDENT, f"/start {token}"))
    assert "0900-8844" in rules
    say(world, RESIDENT, "1")
    actions = say(world, RESIDENT, "1")
    with world.uow_factory() as uow:
        person = uow.persons.by_identity(RESIDENT)
        assert person is not None
        members = uow.memberships.of_group(world.group("goor-centrum").id)
    assert person.display_name == "Zoë de Vries"
    assert person.gemeente_id == "hof-van-twente"
    assert [m.role for m in members if m.person_id == person.id] == [GroupRole.LID]
    after = only_aanmelding(world)
    assert after.state is AanmeldingState.JOINED
    assert after.person_id == person.id
    [to_anna] = sent_to(actions, private(world, "anna"))
    assert "Zoë de Vries" in to_anna
    # no platform capability registered: the eigenaar adds the resident by hand
    assert (
        to_anna
        == texts.eigenaar_joined(
            NL, "Zoë de Vries", "Buurtpreventie Goor Centrum", by_hand=True
        ).plain
    )


def test_telegram_with_join_requests_gets_a_join_link() -> None:
    world = World(capabilities={Platform.TELEGRAM: Capabilities(join_requests=True)})
    sign_up(world)
    actions = redeem(world, RESIDENT, admitted_token(world))
    aanmelding = only_aanmelding(world)
    [invite] = [a for a in actions if isinstance(a, CreateInvite)]
    assert invite.chat == world.group("goor-centrum").chat
    assert invite.name == aanmelding.id


def test_a_signal_group_adds_the_number_redeemed_with_a_start_message() -> None:
    world = World(capabilities={Platform.SIGNAL: Capabilities(add_members=True)})
    resident = PlatformIdentity(Platform.SIGNAL, "+31611111111")
    sign_up(world, who=resident, address="7471 LA 8")  # Goor West, on Signal
    aanmelding = only_aanmelding(world)
    assert aanmelding.group_id == world.group("goor-west").id
    actions = world.says("frank", None, f"/admit {aanmelding.id}")
    token = token_in(actions)
    assert f"START {token}" in sent_to(actions, ChatRef.private_with(resident))[0]
    actions = redeem(world, resident, token, start="START")
    [add] = [a for a in actions if isinstance(a, AddMember)]
    assert add.chat == world.group("goor-west").chat
    assert add.user == resident


def test_a_token_works_once(world: World) -> None:
    sign_up(world)
    token = admitted_token(world)
    redeem(world, RESIDENT, token)
    assert plain(say(world, OTHER, f"/start {token}")) == [BAD]
    assert plain(say(world, RESIDENT, f"/start {token}")) == [BAD]


def test_the_invite_cannot_be_used_twice_between_questions(world: World) -> None:
    """Two accounts open the same link; the one that answers first wins."""
    sign_up(world)
    token = admitted_token(world)
    say(world, RESIDENT, f"/start {token}")
    say(world, OTHER, f"/start {token}")
    say(world, RESIDENT, "1")
    say(world, OTHER, "1")
    say(world, RESIDENT, "1")
    assert plain(say(world, OTHER, "1")) == [BAD]
    with world.uow_factory() as uow:
        other = uow.persons.by_identity(OTHER)
        assert other is not None  # known by now (the questions are stored per person)
        assert uow.memberships.of_person(other.id) == []


def _admit_twice(world: World) -> str:
    sign_up(world)
    first = admitted_token(world)
    admitted_token(world)  # a new invite revokes the first
    return first


def _expired(world: World) -> str:
    sign_up(world)
    token = admitted_token(world)
    world.clock.advance(days=8)
    return token


def _blocked(world: World) -> str:
    sign_up(world)
    token = admitted_token(world)
    with world.uow_factory() as uow:
        person = uow.persons.by_identity(RESIDENT)
        assert person is not None
        uow.blocks.add(Block(GemeenteId("hof-van-twente"), person.id, world.clock.now(), "x"))
        uow.commit()
    return token


def _used(world: World) -> str:
    sign_up(world)
    token = admitted_token(world)
    redeem(world, RESIDENT, token)
    return token


@pytest.mark.parametrize(
    "make",
    [
        lambda w: "not a token!",
        lambda w: "a" * 65,
        lambda w: "A" * 32,
        _used,
        _expired,
        _admit_twice,
        _blocked,
    ],
    ids=["malformed", "oversized", "unknown", "used", "expired", "revoked", "blocked"],
)
def test_every_bad_token_gets_the_same_answer(world: World, make: object) -> None:
    token = make(world)  # type: ignore[operator]
    if token == "not a token!":
        said = plain(world.deliver(world.event("/start not a token!", sender=RESIDENT,
                                               chat=ChatRef.private_with(RESIDENT))))  # fmt: skip
    else:
        said = plain(say(world, RESIDENT, f"/start {token}"))
    assert said == [BAD]


def test_bad_attempts_are_rate_limited(world: World) -> None:
    sign_up(world)
    token = admitted_token(world)
    for n in range(service.MAX_BAD_ATTEMPTS):
        assert plain(say(world, RESIDENT, f"/start wrong{n}")) == [BAD]
    assert plain(say(world, RESIDENT, f"/start {token}")) == [TOO_MANY]
    assert plain(say(world, OTHER, "/start wrong")) == [BAD]  # counted per account
    world.clock.advance(hours=1, seconds=1)
    [rules] = plain(say(world, RESIDENT, f"/start {token}"))
    assert "0900-8844" in rules


def test_saying_no_at_redemption_keeps_the_invite(world: World) -> None:
    sign_up(world)
    token = admitted_token(world)
    say(world, RESIDENT, f"/start {token}")
    [refused] = plain(say(world, RESIDENT, "2"))
    assert refused == texts.redeem_refused(NL).plain
    assert only_aanmelding(world).state is AanmeldingState.ADMITTED
    redeem(world, RESIDENT, token)
    assert only_aanmelding(world).state is AanmeldingState.JOINED


def test_plain_start_without_token_still_welcomes(world: World) -> None:
    [welcome] = plain(say(world, RESIDENT, "/start"))
    assert welcome
    assert welcome != BAD


def test_invite_instructions_per_platform() -> None:
    tg = texts.invite_instructions(NL, Platform.TELEGRAM, "tok", "buurt_bot").plain
    assert "https://t.me/buurt_bot?start=tok" in tg
    assert "/start tok" in texts.invite_instructions(NL, Platform.TELEGRAM, "tok", None).plain
    assert "START tok" in texts.invite_instructions(NL, Platform.SIGNAL, "tok", None).plain
    assert "/start tok" in texts.invite_instructions(NL, Platform.CONSOLE, "tok", None).plain


def test_the_signal_instruction_names_the_bots_number_when_known() -> None:
    nl = texts.invite_instructions(NL, Platform.SIGNAL, "tok", None, "+31612345678").plain
    assert nl == "Stuur dit bericht via Signal naar het nummer van de bot, +31612345678:\nSTART tok"
    en_tr = TRANSLATORS.get(Locale.EN)
    en = texts.invite_instructions(en_tr, Platform.SIGNAL, "tok", None, "+316").plain
    assert en == "Send this message on Signal to the bot's number, +316:\nSTART tok"
    # Elsewhere the address changes nothing.
    tg = texts.invite_instructions(NL, Platform.TELEGRAM, "tok", "buurt_bot", "@buurt_bot").plain
    assert tg == texts.invite_instructions(NL, Platform.TELEGRAM, "tok", "buurt_bot").plain
