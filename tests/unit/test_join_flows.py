"""Join requests and joins the bot did not arrange, on the fakes, in Dutch and English.

Texts are compared with what the text functions render in the reader's language (so a test
says which message it expects), and some in literal Dutch and English.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from buurtbot.core.actions import (
    Action,
    ApproveJoin,
    CreateInvite,
    DeclineJoin,
    RemoveMember,
    SendText,
)
from buurtbot.core.domain.audit import AuditAction
from buurtbot.core.domain.model import GroupKind, Locale
from buurtbot.core.events import JoinRequested, MemberJoined, Sender
from buurtbot.core.ids import ChatRef, PersonId, Platform, PlatformIdentity
from buurtbot.core.ports import Capabilities
from buurtbot.core.services.handlers.moderation import NOT_ADMITTED, UNKNOWN_JOIN
from buurtbot.core.texts import joins as texts
from tests.world import TRANSLATORS, World

NL = TRANSLATORS.get(Locale.NL)
EN = TRANSLATORS.get(Locale.EN)
RESIDENT = PlatformIdentity(Platform.TELEGRAM, "800000001")
OTHER = PlatformIdentity(Platform.TELEGRAM, "800000002")
STRANGER = PlatformIdentity(Platform.TELEGRAM, "800000003")
CAPS = {
    Platform.TELEGRAM: Capabilities(
        buttons=True, invite_links=True, join_requests=True, remove_members=True
    ),
    # Signal: no buttons (numbered replies), join links that need approval.
    Platform.SIGNAL: Capabilities(invite_links=True, join_requests=True, remove_members=True),
}
GOOR_CENTRUM = "Buurtpreventie Goor Centrum"


@pytest.fixture
def world() -> World:
    return World(capabilities=CAPS)


# -- helpers --------------------------------------------------------------------------------
def say(world: World, who: PlatformIdentity, text: str) -> list[Action]:
    return world.deliver(world.event(text, sender=who, chat=ChatRef.private_with(who)))


def private(world: World, handle: str, platform: Platform = Platform.TELEGRAM) -> ChatRef:
    return ChatRef.private_with(world.identity(handle, platform))


def messages_to(actions: list[Action], chat: ChatRef) -> list[SendText]:
    return [a for a in actions if isinstance(a, SendText) and a.chat == chat]


def said_to(actions: list[Action], chat: ChatRef) -> list[str]:
    return [a.text.plain for a in messages_to(actions, chat)]


def request(
    world: World,
    who: PlatformIdentity,
    group: str,
    *,
    name: str = "",
    invite_name: str | None = None,
    language: str | None = None,
) -> list[Action]:
    return world.deliver(
        JoinRequested(
            event_id=f"request:{len(world.store.state.outbox)}:{who}:{group}",
            chat=world.group(group).chat,
            sender=Sender(identity=who, display_name=name, language=language),
            at=world.clock.now(),
            invite_name=invite_name,
        )
    )


def joins(world: World, who: PlatformIdentity, group: str, name: str = "") -> list[Action]:
    return world.deliver(
        MemberJoined(
            event_id=f"joined:{len(world.store.state.outbox)}:{who}:{group}",
            chat=world.group(group).chat,
            sender=Sender(identity=who, display_name=name),
            at=world.clock.now(),
        )
    )


def members(world: World, group: str) -> set[PersonId]:
    with world.uow_factory() as uow:
        return {m.person_id for m in uow.memberships.of_group(world.group(group).id)}


def person_with(world: World, identity: PlatformIdentity) -> PersonId | None:
    with world.uow_factory() as uow:
        found = uow.persons.by_identity(identity)
        return found.id if found else None


def audit(world: World) -> list[tuple[AuditAction, str | None, str | None, str]]:
    """The log, oldest first, as (action, actor handle, subject handle, reason)."""
    with world.uow_factory() as uow:
        entries = uow.audit.recent(world.spec.gemeente_id, 100)

    def handle(pid: PersonId | None) -> str | None:
        return pid.split(":")[-1] if pid else None

    return [(e.action, handle(e.actor), handle(e.subject), e.reason) for e in reversed(entries)]


def redeemed_invite(world: World, who: PlatformIdentity = RESIDENT) -> CreateInvite:
    """The whole sign-up of a new resident of Goor Centrum: signed up, admitted by Anna,
    invite redeemed; the join link the bot asked Telegram for. (Answered by number.)"""
    caps = world.bot.capabilities
    world.bot.capabilities = caps | {
        Platform.TELEGRAM: replace(CAPS[Platform.TELEGRAM], buttons=False)
    }
    for answer in ["/signup", "Zoë de Vries", "7471 AB 12", "1", "1", "1"]:
        say(world, who, answer)
    [aanmelding] = world.store.state.aanmeldingen.values()
    admitted = world.says("anna", None, f"/admit {aanmelding.id}")
    token = next(
        word
        for text in (a.text.plain for a in admitted if isinstance(a, SendText))
        for word in text.replace("=", " ").split()
        if len(word) >= 16 and word.isascii() and word.replace("-", "").replace("_", "").isalnum()
    )
    actions = say(world, who, f"/start {token}") + say(world, who, "1") + say(world, who, "1")
    world.bot.capabilities = caps
    [invite] = [a for a in actions if isinstance(a, CreateInvite)]
    return invite


def three_warnings(world: World, member: str = "eva") -> None:
    for beheerder, reason in (("anna", "taal"), ("bert", "chat"), ("carla", "foto")):
        message = world.post(member, "goor-centrum", "Wat een stelletje sukkels hier")
        world.reply(beheerder, "goor-centrum", f"/waarschuw {reason}", message, author=member)


def choices(actions: list[Action], chat: ChatRef) -> list[tuple[str, str]]:
    """The buttons under the one message to ``chat``, as (label, data)."""
    [message] = messages_to(actions, chat)
    return [(b.label, b.data) for row in message.buttons for b in row]


def press(world: World, handle: str, data: str, platform: Platform = Platform.TELEGRAM) -> str:
    """``handle`` presses a button in their private chat; the one answer they get."""
    identity = world.identity(handle, platform)
    chat = ChatRef.private_with(identity)
    [answer] = said_to(world.press(identity, chat, data), chat)
    return answer


# -- join requests -------------------------------------------------------------------------
def test_the_redeemer_is_approved_and_nobody_else_with_the_same_link(world: World) -> None:
    invite = redeemed_invite(world)
    chat = world.group("goor-centrum").chat
    assert invite.chat == chat

    approved = request(world, RESIDENT, "goor-centrum", name="Zoë", invite_name=invite.name)
    assert approved == [ApproveJoin(chat=chat, user=RESIDENT)]

    name = "<b>Mallory</b> & co"
    declined = request(world, OTHER, "goor-centrum", name=name, invite_name=invite.name)
    assert DeclineJoin(chat=chat, user=OTHER) in declined
    assert not [a for a in declined if isinstance(a, ApproveJoin)]
    expected = texts.request_declined(
        NL, name=name, group=GOOR_CENTRUM, kind=GroupKind.BUURT, foreign_link=True
    )
    for beheerder in ("anna", "bert", "carla"):
        [report] = messages_to(declined, private(world, beheerder))
        assert report.text == expected
        assert not any(span.bold or span.code for span in report.text.spans)  # plain text
    assert expected.plain.startswith(
        "<b>Mallory</b> & co vroeg toegang tot Buurtpreventie Goor Centrum, maar is daar geen "
        "lid van; ik heb het verzoek geweigerd. Daarbij is een persoonlijke uitnodigingslink "
        "gebruikt die voor iemand anders bedoeld was.\nWoont of werkt diegene in de buurt, dan "
        "kan die zich aanmelden: in een privégesprek met mij met /aanmelden, of met het "
        "aanmeldformulier van de gemeente."
    )
    assert said_to(declined, ChatRef.private_with(OTHER)) == []  # the bot does not know them

    again = request(world, OTHER, "goor-centrum", name=name, invite_name=invite.name)
    assert again == [DeclineJoin(chat=chat, user=OTHER)]
    assert audit(world) == [(AuditAction.JOIN_REFUSED, None, None, NOT_ADMITTED)]


def test_a_requester_the_bot_knows_gets_a_hint_in_their_language(world: World) -> None:
    world.set_language("eva", Locale.EN)
    eva = world.identity("eva", Platform.TELEGRAM)
    asked = request(world, eva, "goor-oost", name="Eva N.")

    assert DeclineJoin(chat=world.group("goor-oost").chat, user=eva) in asked
    [hint] = said_to(asked, private(world, "eva"))
    assert hint == (
        "You asked to join Buurtpreventie Goor Oost. Only residents who signed up and were "
        "admitted by the eigenaar can join, so I could not let you in yet.\n"
        "To sign up, send /signup here, or use the sign-up form of your gemeente. Once the "
        "eigenaar admits you, you get a link of your own to the group."
    )
    for beheerder in ("jan", "karin"):  # a known person is named by their own name
        [report] = said_to(asked, private(world, beheerder))
        assert report.startswith("Eva Nijhuis vroeg toegang tot Buurtpreventie Goor Oost")
    assert request(world, eva, "goor-oost") == [
        DeclineJoin(chat=world.group("goor-oost").chat, user=eva)
    ]
    assert audit(world) == [(AuditAction.JOIN_REFUSED, None, "eva", NOT_ADMITTED)]


def test_the_coordinator_link_admits_a_new_beheerder_and_not_a_lid(world: World) -> None:
    daan = world.give_signal("daan", "+31620005555")
    made = world.says("anna", "goor-centrum", "/coadmin add daan")
    [invite] = [a for a in made if isinstance(a, CreateInvite)]
    coordinatoren = world.group("coordinatoren").chat
    assert (invite.chat, invite.name) == (coordinatoren, f"coordinator:{world.person('daan').id}")

    assert request(world, daan, "coordinatoren", invite_name=invite.name) == [
        ApproveJoin(chat=coordinatoren, user=daan)
    ]

    eva = world.give_signal("eva", "+31620006666")
    declined = request(world, eva, "coordinatoren", name="Eva", invite_name=invite.name)
    assert DeclineJoin(chat=coordinatoren, user=eva) in declined
    [report] = said_to(declined, world.group("regie").chat)
    assert report == (
        texts.request_declined(
            NL, name="Eva Nijhuis", group="Coördinatoren Hof van Twente",
            kind=GroupKind.COORDINATOREN, foreign_link=True,
        ).plain
    )  # fmt: skip
    assert report.startswith(
        "Eva Nijhuis vroeg toegang tot Coördinatoren Hof van Twente, maar is geen beheerder of "
        "coördinator van de gemeente"
    )
    [hint] = said_to(declined, ChatRef.private_with(eva))
    assert hint.startswith("Je vroeg toegang tot Coördinatoren Hof van Twente. Die groep is")
    assert request(world, eva, "coordinatoren") == [DeclineJoin(chat=coordinatoren, user=eva)]


def test_a_blocked_requester_is_refused_and_reported_once(world: World) -> None:
    three_warnings(world)
    eva = world.identity("eva", Platform.TELEGRAM)
    chat = world.group("goor-oost").chat

    asked = request(world, eva, "goor-oost", name="Eva")
    assert [a for a in asked if not isinstance(a, SendText)] == [DeclineJoin(chat=chat, user=eva)]
    for beheerder in ("jan", "karin"):
        [report] = said_to(asked, private(world, beheerder))
        assert "is geblokkeerd in deze gemeente" in report  # moderation's report, only that
    assert said_to(asked, private(world, "eva")) == []  # no sign-up hint for a blocked person
    assert request(world, eva, "goor-oost") == [DeclineJoin(chat=chat, user=eva)]
    refusals = [a for a in audit(world) if a[0] is AuditAction.JOIN_REFUSED]
    assert [r[3] for r in refusals] == ["", ""]  # the blocked kind, twice; never NOT_ADMITTED


def test_requests_and_joins_in_unknown_chats_and_of_members_change_nothing(world: World) -> None:
    unknown = ChatRef(Platform.TELEGRAM, "-100999")
    for kind in (JoinRequested, MemberJoined):
        event = kind(
            event_id=f"unknown:{kind.__name__}",
            chat=unknown,
            sender=Sender(identity=STRANGER, display_name="Sjors"),
            at=world.clock.now(),
        )
        assert world.deliver(event) == []
    assert joins(world, world.identity("daan", Platform.TELEGRAM), "goor-centrum") == []
    assert joins(world, world.identity("hanneke", Platform.TELEGRAM), "regie") == []
    assert joins(world, world.identity("anna", Platform.SIGNAL), "coordinatoren") == []


# -- joins the bot did not arrange -----------------------------------------------------------
def test_an_unknown_join_is_kept_and_the_beheerders_asked_once(world: World) -> None:
    asked = joins(world, STRANGER, "goor-centrum", name="Sjors\nStranger")

    assert not [a for a in asked if isinstance(a, RemoveMember)]
    for beheerder in ("anna", "bert", "carla"):
        [question] = said_to(asked, private(world, beheerder))
        assert question == (
            "Sjors Stranger is in Buurtpreventie Goor Centrum gekomen, maar staat niet op de "
            "ledenlijst (misschien met de hand toegevoegd). Ik heb diegene in de groep gelaten. "
            "Toelaten als lid, of verwijderen?"
        )
        offered = choices(asked, private(world, beheerder))
        assert [label for label, _data in offered] == [
            "Toelaten als lid",
            "Uit de groep verwijderen",
        ]
        assert all(len(data.encode()) <= 64 for _label, data in offered)  # Telegram's limit
    assert said_to(asked, world.group("goor-centrum").chat) == []
    assert person_with(world, STRANGER) is None  # nothing about them is a person yet

    assert joins(world, STRANGER, "goor-centrum", name="Sjors Stranger") == []


def test_the_question_in_english(world: World) -> None:
    world.set_language("anna", Locale.EN)
    asked = joins(world, STRANGER, "goor-centrum", name="Sjors")
    [question] = said_to(asked, private(world, "anna"))
    assert question == (
        "Sjors joined Buurtpreventie Goor Centrum but is not on its member list (perhaps someone "
        "added them by hand). I have left them in the group. Admit them as a member, or remove "
        "them?"
    )
    assert [label for label, _ in choices(asked, private(world, "anna"))] == [
        "Admit as member",
        "Remove from the group",
    ]
    [admit, _remove] = [data for _, data in choices(asked, private(world, "anna"))]
    assert press(world, "anna", admit) == "Sjors is now a member of Buurtpreventie Goor Centrum."


def test_a_beheerder_admits_the_joiner_and_later_presses_hear_who_did(world: World) -> None:
    asked = joins(world, STRANGER, "goor-centrum", name="Sjors Stranger")
    [admit, remove] = [data for _, data in choices(asked, private(world, "bert"))]

    assert (
        press(world, "bert", admit)
        == texts.admitted(NL, name="Sjors Stranger", group=GOOR_CENTRUM).plain
    )
    joiner = person_with(world, STRANGER)
    assert joiner is not None
    assert joiner in members(world, "goor-centrum")
    person = world.store.state.persons[joiner]
    assert (person.display_name, person.gemeente_id) == ("Sjors Stranger", world.spec.gemeente_id)

    [carla_remove] = [d for label, d in choices(asked, private(world, "carla")) if "verw" in label]
    assert carla_remove == remove
    before = len(world.store.state.outbox)
    answer = press(world, "carla", remove)
    assert answer == "Dit is al afgehandeld door Bert Oude Luttikhuis: toegelaten als lid."
    assert not [a for a in world.store.state.pending_actions() if isinstance(a, RemoveMember)]
    assert len(world.store.state.outbox) == before + 2  # the answer and the button's answer
    assert press(world, "bert", admit).startswith("Dit is al afgehandeld door Bert")
    assert joins(world, STRANGER, "goor-centrum", name="Sjors Stranger") == []  # a member now


def test_removing_queues_the_removal_keeps_no_name_and_is_logged(world: World) -> None:
    asked = joins(world, STRANGER, "goor-centrum", name="Sjors Stranger")
    [_admit, remove] = [data for _, data in choices(asked, private(world, "anna"))]

    chat = private(world, "anna")
    pressed = world.press(world.identity("anna", Platform.TELEGRAM), chat, remove)
    assert RemoveMember(chat=world.group("goor-centrum").chat, user=STRANGER) in pressed
    assert said_to(pressed, chat) == [
        "Ik verwijder Sjors Stranger uit Buurtpreventie Goor Centrum."
    ]
    assert person_with(world, STRANGER) is None
    kept = repr(world.store.state.choices)
    assert "Sjors" not in kept  # only the decision stays
    assert STRANGER.user_ref not in kept

    assert press(world, "anna", remove) == (
        "Dit is al afgehandeld door Anna Huisman: uit de groep verwijderd."
    )
    assert audit(world) == [(AuditAction.REMOVED, "anna", None, UNKNOWN_JOIN)]
    world.set_language("mirjam", Locale.EN)
    [log] = said_to(world.says("mirjam", None, "/log"), private(world, "mirjam"))
    assert log.endswith(
        "Anna Huisman removed someone unknown from Buurtpreventie Goor Centrum (joined without "
        "being admitted)"
    )


def test_where_the_platform_cannot_remove_the_beheerder_does_it_by_hand() -> None:
    world = World(capabilities={Platform.TELEGRAM: Capabilities(buttons=True)})
    asked = joins(world, STRANGER, "goor-centrum", name="Sjors")
    [_admit, remove] = [data for _, data in choices(asked, private(world, "anna"))]
    chat = private(world, "anna")
    pressed = world.press(world.identity("anna", Platform.TELEGRAM), chat, remove)
    assert not [a for a in pressed if isinstance(a, RemoveMember)]
    assert said_to(pressed, chat) == [
        "Ik kan zelf geen leden uit Buurtpreventie Goor Centrum verwijderen; haal Sjors er "
        "alsjeblieft met de hand uit."
    ]


def test_only_beheerders_of_the_group_and_regie_staff_decide(world: World) -> None:
    asked = joins(world, STRANGER, "goor-centrum", name="Sjors")
    [admit, _remove] = [data for _, data in choices(asked, private(world, "anna"))]
    refused = texts.not_yours_to_decide(NL, group=GOOR_CENTRUM, kind=GroupKind.BUURT).plain
    assert refused == (
        "Alleen de beheerders van Buurtpreventie Goor Centrum en de regiegroep kunnen hierover "
        "beslissen."
    )
    assert press(world, "daan", admit) == refused  # a lid of the group
    assert press(world, "jan", admit) == refused  # the eigenaar of another group
    assert person_with(world, STRANGER) is None
    # Still open: the regie staff may decide too.
    assert press(world, "hanneke", admit) == "Sjors is nu lid van Buurtpreventie Goor Centrum."


def test_a_blocked_person_is_not_admitted(world: World) -> None:
    eva = world.identity("eva", Platform.TELEGRAM)
    asked = joins(world, eva, "goor-oost", name="Eva")
    [question] = said_to(asked, private(world, "jan"))
    assert question.startswith("Eva Nijhuis is in Buurtpreventie Goor Oost gekomen")
    [admit, remove] = [data for _, data in choices(asked, private(world, "jan"))]

    three_warnings(world)
    assert press(world, "jan", admit) == (
        "Eva Nijhuis is geblokkeerd in deze gemeente, dus ik kan diegene niet toelaten. Alleen "
        "de regiegroep kan de blokkade opheffen; verwijderen kan wel."
    )
    assert world.person("eva").id not in members(world, "goor-oost")
    assert press(world, "karin", remove) == "Ik verwijder Eva Nijhuis uit Buurtpreventie Goor Oost."


def test_numbered_replies_where_the_platform_has_no_buttons(world: World) -> None:
    stranger = PlatformIdentity(Platform.SIGNAL, "+31620007777")
    asked = joins(world, stranger, "goor-west", name="Sjors")
    frank = world.identity("frank", Platform.SIGNAL)
    [question] = said_to(asked, ChatRef.private_with(frank))
    assert question.endswith(
        "Toelaten als lid, of verwijderen?\n1. Toelaten als lid\n2. Uit de groep verwijderen\n"
        "Antwoord met het nummer van je keuze."
    )

    answered = say(world, frank, "2")
    assert RemoveMember(chat=world.group("goor-west").chat, user=stranger) in answered
    assert said_to(answered, ChatRef.private_with(frank)) == [
        "Ik verwijder Sjors uit Buurtpreventie Goor West."
    ]
    gerda = world.identity("gerda", Platform.SIGNAL)
    assert said_to(say(world, gerda, "1"), ChatRef.private_with(gerda)) == [
        "Dit is al afgehandeld door Frank Lammers: uit de groep verwijderd."
    ]


def test_a_join_of_the_coordinatorengroep_without_a_role_goes_to_the_regiegroep(
    world: World,
) -> None:
    eva = world.give_signal("eva", "+31620006666")
    asked = joins(world, eva, "coordinatoren", name="Eva")
    regie = world.group("regie").chat
    [question] = said_to(asked, regie)
    assert question.startswith("Eva Nijhuis is in Coördinatoren Hof van Twente gekomen")
    [_admit, remove] = [data for _, data in choices(asked, regie)]
    assert said_to(asked, private(world, "anna")) == []

    only_regie = texts.not_yours_to_decide(NL, group="x", kind=GroupKind.COORDINATOREN).plain
    assert only_regie == "Alleen de regiegroep kan hierover beslissen."
    assert press(world, "anna", remove) == only_regie  # a beheerder, but this is the regie's

    hanneke = world.identity("hanneke", Platform.TELEGRAM)
    pressed = world.press(hanneke, regie, remove)  # pressed under the regiegroep's message
    assert RemoveMember(chat=world.group("coordinatoren").chat, user=eva) in pressed
    assert said_to(pressed, regie) == ["Ik verwijder Eva Nijhuis uit Coördinatoren Hof van Twente."]
