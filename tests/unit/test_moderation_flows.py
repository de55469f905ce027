"""Warnings, removal, blocks and the audit log on the in-memory fakes, in Dutch and English."""

from __future__ import annotations

from dataclasses import replace

import pytest

from buurtbot.core.actions import Action, DeclineJoin, RemoveMember, SendText
from buurtbot.core.domain.audit import AuditAction
from buurtbot.core.domain.model import Locale, Person
from buurtbot.core.events import JoinRequested, MemberJoined, Sender
from buurtbot.core.ids import ChatRef, MessageRef, PersonId, Platform, PlatformIdentity
from buurtbot.core.ports import Capabilities
from buurtbot.core.services.handlers.moderation import (
    MAX_NOTE,
    about_key,
    person_in_key,
    private_chat,
)
from tests.world import World, texts

CAN_REMOVE = {
    Platform.TELEGRAM: Capabilities(remove_members=True, join_requests=True),
    Platform.SIGNAL: Capabilities(remove_members=True, add_members=True),
}


@pytest.fixture
def world() -> World:
    return World(capabilities=CAN_REMOVE)


# -- helpers --------------------------------------------------------------------------------
def private(world: World, handle: str, platform: Platform = Platform.TELEGRAM) -> ChatRef:
    return ChatRef.private_with(world.identity(handle, platform))


def said_to(actions: list[Action], chat: ChatRef) -> list[str]:
    return [a.text.plain for a in actions if isinstance(a, SendText) and a.chat == chat]


def reply_to_member(
    world: World, who: str, member: str, command: str, where: str = "goor-centrum"
) -> list[Action]:
    """``member`` posts something in ``where``; ``who`` replies ``command`` to it."""
    message = world.post(member, where, "Wat een stelletje sukkels hier")
    return world.reply(who, where, command, message, quoted="…", author=member)


def set_settings(world: World, **changes: object) -> None:
    with world.uow_factory() as uow:
        [network] = uow.networks.all()
        settings = replace(network.gemeente.settings, **changes)  # type: ignore[arg-type]
        gemeente = replace(network.gemeente, settings=settings)
        uow.networks.save(replace(network, gemeente=gemeente))
        uow.commit()


def members(world: World, group: str) -> set[str]:
    with world.uow_factory() as uow:
        return {m.person_id.split(":")[-1] for m in uow.memberships.of_group(world.group(group).id)}


def blocked(world: World, handle: str) -> bool:
    with world.uow_factory() as uow:
        return uow.blocks.in_force(world.spec.gemeente_id, world.spec.person_id(handle)) is not None


def audit(world: World) -> list[tuple[AuditAction, str | None, str | None]]:
    """The log, oldest first, as (action, actor handle, subject handle)."""
    with world.uow_factory() as uow:
        entries = uow.audit.recent(world.spec.gemeente_id, 100)

    def handle(pid: PersonId | None) -> str | None:
        return pid.split(":")[-1] if pid else None

    return [(e.action, handle(e.actor), handle(e.subject)) for e in reversed(entries)]


def join(world: World, kind: type, identity: PlatformIdentity, group: str) -> list[Action]:
    event = kind(
        event_id=f"join:{identity}:{group}:{len(world.store.state.outbox)}",
        chat=world.group(group).chat,
        sender=Sender(identity=identity),
        at=world.clock.now(),
    )
    return world.deliver(event)


def three_warnings(world: World, member: str = "eva") -> list[Action]:
    reply_to_member(world, "anna", member, "/waarschuw taal")
    reply_to_member(world, "bert", member, "/waarschuw chat")
    return reply_to_member(world, "carla", member, "/waarschuw foto wéér een foto")


def bot_message(world: World, key_part: str = "", chat: ChatRef | None = None) -> MessageRef:
    """Pretend the queued messages were sent; the one whose outbox key has ``key_part``
    (and that went to ``chat``)."""
    sent = world.flush()
    [ref] = [
        ref
        for key, ref in sent.items()
        if key_part in key and "#" not in key and (chat is None or ref.chat == chat)
    ]
    return ref


# -- warning ---------------------------------------------------------------------------------
def test_warned_member_hears_privately_in_their_language_group_sees_notice(world: World) -> None:
    world.set_language("eva", Locale.EN)
    actions = reply_to_member(world, "anna", "eva", "/waarschuw taal Let op je woorden, Eva")

    [to_eva] = said_to(actions, private(world, "eva"))
    assert to_eva.startswith("You have received a warning in Buurtpreventie Goor Centrum.")
    assert "Mind your language: no cursing, insults or discrimination." in to_eva
    assert "The beheerder's note: Let op je woorden, Eva" in to_eva
    assert "You now have 1 active warning; at 3 you are removed from the group." in to_eva
    assert "February 27, 2027" in to_eva  # 90 days later, in Amsterdam

    group = world.group("goor-centrum").chat
    assert said_to(actions, group) == [
        "Eva Nijhuis heeft een waarschuwing gekregen: grof taalgebruik."
    ]
    [to_anna] = said_to(actions, private(world, "anna"))
    assert to_anna == (
        "Eva Nijhuis is gewaarschuwd voor grof taalgebruik en heeft dat privé te horen gekregen. "
        "Actieve waarschuwingen: 1 van 3."
    )
    assert audit(world) == [(AuditAction.WARNED, "anna", "eva")]


def test_the_beheerder_hears_english_when_they_chose_it(world: World) -> None:
    world.set_language("anna", Locale.EN)
    actions = reply_to_member(world, "anna", "eva", "/warn off-topic")
    [to_anna] = said_to(actions, private(world, "anna"))
    assert to_anna.startswith("Eva Nijhuis has been warned for chatting off-topic")
    assert to_anna.endswith("Active warnings: 1 of 3.")
    [to_eva] = said_to(actions, private(world, "eva"))
    assert to_eva.startswith("Je hebt een waarschuwing gekregen in Buurtpreventie Goor Centrum.")
    assert "Gebruik de groep alleen waarvoor hij bedoeld is" in to_eva


def test_no_group_notice_when_the_gemeente_turned_it_off(world: World) -> None:
    set_settings(world, group_warning_notice=False)
    actions = reply_to_member(world, "anna", "eva", "/waarschuw taal")
    assert said_to(actions, world.group("goor-centrum").chat) == []
    assert said_to(actions, private(world, "eva"))


def test_the_third_warning_removes_blocks_and_tells_beheerders_and_regiegroep(
    world: World,
) -> None:
    actions = three_warnings(world)

    assert (
        RemoveMember(
            chat=world.group("goor-centrum").chat, user=world.identity("eva", Platform.TELEGRAM)
        )
        in actions
    )
    assert "eva" not in members(world, "goor-centrum")
    assert blocked(world, "eva")

    [to_eva] = said_to(actions, private(world, "eva"))
    assert "Je hebt nu 3 actieve waarschuwingen" in to_eva
    assert "Je bent verwijderd uit Buurtpreventie Goor Centrum." in to_eva
    assert "Reden: 3 actieve waarschuwingen voor het overtreden van de spelregels" in to_eva
    assert "Tot de regiegroep deze blokkade opheft" in to_eva

    for beheerder in ("anna", "bert"):
        [told] = said_to(actions, private(world, beheerder))
        assert told == (
            "Eva Nijhuis is door Carla Brinkman verwijderd uit Buurtpreventie Goor Centrum.\n"
            "Reden: 3 actieve waarschuwingen voor het overtreden van de spelregels\n"
            "Eva Nijhuis kan bij geen enkele groep van de gemeente meer terecht, totdat de "
            "regiegroep de blokkade opheft."
        )
    [to_carla] = said_to(actions, private(world, "carla"))  # one message: warned and removed
    first, second = to_carla.split("\n\n")
    assert first.endswith("Actieve waarschuwingen: 3 van 3.")
    assert second.startswith("Eva Nijhuis is door Carla Brinkman verwijderd")

    [regie] = said_to(actions, world.group("regie").chat)
    assert "Eva Nijhuis is door Carla Brinkman verwijderd uit Buurtpreventie Goor Centrum." in regie
    assert "antwoord met /vrijgeven op dit bericht, of gebruik /vrijgeven eva" in regie

    assert audit(world)[-3:] == [
        (AuditAction.WARNED, "carla", "eva"),
        (AuditAction.REMOVED, "carla", "eva"),
        (AuditAction.BLOCKED, "carla", "eva"),
    ]


def test_expired_warnings_do_not_count(world: World) -> None:
    reply_to_member(world, "anna", "eva", "/waarschuw taal")
    reply_to_member(world, "anna", "eva", "/waarschuw chat")
    world.clock.advance(days=91)
    actions = reply_to_member(world, "anna", "eva", "/waarschuw foto")
    [to_anna] = said_to(actions, private(world, "anna"))
    assert to_anna.endswith("Actieve waarschuwingen: 1 van 3.")
    assert not any(isinstance(a, RemoveMember) for a in actions)
    assert "eva" in members(world, "goor-centrum")


def test_unwarn_withdraws_the_latest_and_tells_the_member(world: World) -> None:
    reply_to_member(world, "anna", "eva", "/waarschuw taal")
    world.clock.advance(minutes=5)
    reply_to_member(world, "anna", "eva", "/waarschuw foto")
    actions = reply_to_member(world, "bert", "eva", "/intrekken")
    [to_bert] = said_to(actions, private(world, "bert"))
    assert to_bert == (
        "De laatste waarschuwing van Eva Nijhuis (een foto waar een beschrijving volstond) is "
        "ingetrokken. Actieve waarschuwingen: 1 van 3."
    )
    [to_eva] = said_to(actions, private(world, "eva"))
    assert to_eva == (
        "Je waarschuwing voor een foto waar een beschrijving volstond is ingetrokken."
    )
    reply_to_member(world, "bert", "eva", "/intrekken")
    [nothing] = texts(reply_to_member(world, "bert", "eva", "/intrekken"))
    assert (
        nothing
        == "Er is geen actieve waarschuwing van Eva Nijhuis uit deze groep om in te trekken."
    )
    assert [a for a, _, _ in audit(world)].count(AuditAction.UNWARNED) == 2


def test_the_regiegroep_withdraws_any_warning_a_beheerder_only_their_groups(
    world: World,
) -> None:
    world.says("hanneke", "regie", "/waarschuw eva taal")
    [reply] = texts(reply_to_member(world, "anna", "eva", "/intrekken"))
    assert reply == (
        "Er is geen actieve waarschuwing van Eva Nijhuis uit deze groep om in te trekken."
    )
    world.set_language("ria", Locale.EN)
    actions = world.says("ria", "regie", "/unwarn eva")
    [done] = said_to(actions, world.group("regie").chat)
    assert done == (
        "The latest warning of Eva Nijhuis (bad language) has been withdrawn. "
        "Active warnings: 0 of 3."
    )
    assert said_to(actions, private(world, "eva")) == [
        "Je waarschuwing voor grof taalgebruik is ingetrokken."
    ]


def test_warns_shows_your_own_privately_and_a_beheerder_the_members(world: World) -> None:
    reply_to_member(world, "anna", "eva", "/waarschuw taal")
    own = world.says("eva", "goor-centrum", "/waarschuwingen")
    assert said_to(own, world.group("goor-centrum").chat) == []
    [listing] = said_to(own, private(world, "eva"))
    assert listing.startswith("Je hebt 1 actieve waarschuwing (bij 3 word je verwijderd):")
    assert "29 november 2026: grof taalgebruik in Buurtpreventie Goor Centrum" in listing
    assert "vervalt op 27 februari 2027" in listing

    by_beheerder = reply_to_member(world, "bert", "eva", "/waarschuwingen")
    [for_bert] = said_to(by_beheerder, private(world, "bert"))
    assert for_bert.startswith("Eva Nijhuis heeft 1 actieve waarschuwing (verwijdering bij 3):")

    # A lid replying to someone else's message still only sees their own.
    by_lid = reply_to_member(world, "daan", "eva", "/waarschuwingen")
    assert said_to(by_lid, private(world, "daan")) == ["Je hebt geen actieve waarschuwingen."]

    world.set_language("daan", Locale.EN)
    [english] = texts(world.says("daan", None, "/warns"))
    assert english == "You have no active warnings."


# -- who may be warned -----------------------------------------------------------------------
def test_a_peer_beheerder_cannot_be_warned_or_removed(world: World) -> None:
    [reply] = texts(reply_to_member(world, "anna", "bert", "/waarschuw taal"))
    assert reply == (
        "Bert Oude Luttikhuis is beheerder. Alleen de regiegroep kan beheerders waarschuwen of "
        "verwijderen."
    )
    world.set_language("bert", Locale.EN)
    [reply] = texts(reply_to_member(world, "bert", "anna", "/remove ruzie"))
    assert reply == (
        "Anna Huisman is a beheerder. Only the regiegroep handles warnings and removals of "
        "beheerders."
    )
    assert audit(world) == []


def test_regiegroep_staff_warn_a_beheerder_by_handle(world: World) -> None:
    actions = world.says("hanneke", "regie", "/waarschuw bert taal schelden in de groep")
    [to_bert] = said_to(actions, private(world, "bert"))
    assert to_bert.startswith("De regiegroep van Hof van Twente heeft je een waarschuwing gegeven.")
    assert "Toelichting van de beheerder: schelden in de groep" in to_bert
    [confirmation] = said_to(actions, world.group("regie").chat)
    assert confirmation.startswith("Bert Oude Luttikhuis is gewaarschuwd voor grof taalgebruik")
    assert said_to(actions, world.group("goor-centrum").chat) == []  # no group notice from regie


def test_regiegroep_warnings_reach_the_threshold_in_one_regie_message(world: World) -> None:
    world.says("hanneke", "regie", "/waarschuw daan taal")
    world.says("hanneke", "regie", "/waarschuw daan chat")
    actions = world.says("hanneke", "regie", "/waarschuw daan overig")
    assert "daan" not in members(world, "goor-centrum")
    assert blocked(world, "daan")
    [regie] = said_to(actions, world.group("regie").chat)
    confirmation, notice = regie.split("\n\n")
    assert confirmation.endswith("Actieve waarschuwingen: 3 van 3.")
    assert notice.startswith("Daan Wolters is door Hanneke Pierik verwijderd uit Buurtpreventie")
    assert "/vrijgeven daan" in notice
    # The group's beheerders hear it privately; the regiegroep member who acted does not.
    assert {a.chat for a in actions if isinstance(a, SendText) and a.chat.private} == {
        private(world, h) for h in ("daan", "anna", "bert", "carla")
    }


def test_warns_by_replying_to_a_notice_in_the_regiegroep(world: World) -> None:
    three_warnings(world)
    notice = bot_message(world, ":removed:about:")
    [listing] = texts(world.reply("mirjam", "regie", "/waarschuwingen", notice))
    assert listing.startswith("Eva Nijhuis heeft 3 actieve waarschuwingen (verwijdering bij 3):")
    world.says("hanneke", "regie", "/logboek")
    [log] = [ref for key, ref in world.flush().items() if ":about:" not in key]
    [refused] = texts(world.reply("hanneke", "regie", "/waarschuw taal", log))
    assert refused == "Dat is een bericht van mij. Antwoord op een bericht van het lid."


def test_the_eigenaar_is_not_warned_out_before_a_transfer(world: World) -> None:
    world.says("hanneke", "regie", "/waarschuw anna taal")
    world.says("joost", "regie", "/waarschuw @anna chat")
    actions = world.says("hanneke", "regie", "/waarschuw anna foto")
    assert texts(actions) == [
        "Anna Huisman is eigenaar van Buurtpreventie Goor Centrum en kan pas worden verwijderd "
        "als de groep een nieuwe eigenaar heeft (/overdragen). Er is niets veranderd."
    ]
    assert "anna" in members(world, "goor-centrum")
    assert not blocked(world, "anna")
    [listing] = texts(world.says("hanneke", "regie", "/waarschuwingen anna"))
    assert listing.startswith("Anna Huisman heeft 2 actieve waarschuwingen")


def test_the_politie_may_read_but_not_warn(world: World) -> None:
    [reply] = texts(world.says("mirjam", "regie", "/waarschuw eva taal"))
    assert reply == "Je rol staat /waarschuw niet toe."


def test_a_lid_may_not_warn(world: World) -> None:
    [reply] = texts(reply_to_member(world, "daan", "eva", "/waarschuw taal"))
    assert reply == "Alleen de beheerders van deze groep kunnen /waarschuw gebruiken."
    world.set_language("daan", Locale.EN)
    [reply] = texts(reply_to_member(world, "daan", "eva", "/warn language"))
    assert reply == "Only the beheerders of this group can use /warn."


# -- bad input -------------------------------------------------------------------------------
def test_warn_without_a_reply_explains_how_with_the_reasons(world: World) -> None:
    [reply] = texts(world.says("anna", "goor-centrum", "/waarschuw taal"))
    assert reply == (
        "Antwoord op het bericht van het lid met /waarschuw <reden> [toelichting].\n"
        "Redenen: taal, chat, eigen-rechter, foto, prive, overig."
    )
    world.set_language("anna", Locale.EN)
    [reply] = texts(world.says("anna", "goor-centrum", "/warn language"))
    assert reply == (
        "Reply to the member's message with /warn <reason> [note].\n"
        "Reasons: language, off-topic, own-hands, photo, private, other."
    )


def test_a_bad_or_missing_reason_lists_the_reasons(world: World) -> None:
    [reply] = texts(reply_to_member(world, "anna", "eva", "/waarschuw lelijk"))
    assert reply == (
        "De reden lelijk ken ik niet. Kies uit: taal, chat, eigen-rechter, foto, prive, overig."
    )
    [reply] = texts(reply_to_member(world, "anna", "eva", "/waarschuw"))
    assert reply.startswith("Antwoord op het bericht van het lid met /waarschuw <reden>")


def test_replying_to_the_bot_or_to_yourself_is_refused(world: World) -> None:
    reply_to_member(world, "anna", "eva", "/waarschuw taal")
    notice = bot_message(world, chat=world.group("goor-centrum").chat)  # the group notice
    [reply] = texts(world.reply("bert", "goor-centrum", "/waarschuw taal", notice))
    assert reply == "Dat is een bericht van mij. Antwoord op een bericht van het lid."
    [reply] = texts(reply_to_member(world, "anna", "anna", "/waarschuw taal"))
    assert reply == "Dat kun je niet bij jezelf doen."


def test_unknown_authors_and_outsiders_get_a_clear_answer(world: World) -> None:
    stranger = PlatformIdentity(Platform.TELEGRAM, "999000444")
    chat = world.group("goor-centrum").chat
    message = MessageRef(chat, "4242")
    event = world.event(
        "/waarschuw taal",
        sender=world.identity("anna", Platform.TELEGRAM),
        chat=chat,
        reply_to=message,
        reply_sender=stranger,
    )
    [reply] = texts(world.deliver(event))
    assert reply.startswith(
        "Ik weet niet wie dat bericht heeft geschreven. Antwoord op een bericht van een lid"
    )
    assert "Redenen: taal" in reply

    elsewhere = PlatformIdentity(Platform.TELEGRAM, "999000555")
    with world.uow_factory() as uow:
        uow.persons.save(
            Person(
                id=PersonId("elders:kim"),
                gemeente_id=None,
                display_name="Kim <script>",
                identities=frozenset({elsewhere}),
            )
        )
        uow.commit()
    event = world.event(
        "/waarschuw taal",
        sender=world.identity("anna", Platform.TELEGRAM),
        chat=chat,
        reply_to=message,
        reply_sender=elsewhere,
    )
    [reply] = texts(world.deliver(event))
    assert reply == "Kim <script> doet niet mee aan het netwerk van deze gemeente."


def test_a_huge_note_is_cut_and_markup_stays_text(world: World) -> None:
    note = "<b>vet</b> " + "x" * 1000
    actions = reply_to_member(world, "anna", "eva", f"/waarschuw overig {note}")
    [to_eva] = [a for a in actions if isinstance(a, SendText) and a.chat == private(world, "eva")]
    [line] = [ln for ln in to_eva.text.plain.splitlines() if ln.startswith("Toelichting")]
    kept = line.removeprefix("Toelichting van de beheerder: ")
    assert len(kept) == MAX_NOTE
    assert kept.startswith("<b>vet</b> xxx")
    assert not any(s.bold and "<b>" in s.text for s in to_eva.text.spans)
    [to_anna] = said_to(actions, private(world, "anna"))
    assert to_anna.endswith("(Je toelichting is ingekort tot 300 tekens.)")


def test_a_replayed_warning_counts_once(world: World) -> None:
    message = world.post("eva", "goor-centrum", "hoi")
    event = world.event(
        "/waarschuw taal",
        sender=world.identity("anna", Platform.TELEGRAM),
        chat=world.group("goor-centrum").chat,
        reply_to=message,
        reply_sender=world.identity("eva", Platform.TELEGRAM),
        event_id="telegram:update:7",
    )
    first = world.deliver(event)
    assert world.deliver(event) == []
    assert len(first) == 3
    assert audit(world) == [(AuditAction.WARNED, "anna", "eva")]


# -- removal ---------------------------------------------------------------------------------
def test_remove_takes_the_member_out_without_a_block(world: World) -> None:
    [reply] = texts(reply_to_member(world, "anna", "daan", "/verwijder"))
    assert reply.startswith("Geef een reden op: /verwijder <reden>.")
    actions = reply_to_member(world, "anna", "daan", "/verwijder reclame voor zijn bedrijf")
    assert "daan" not in members(world, "goor-centrum")
    assert not blocked(world, "daan")
    [to_daan] = said_to(actions, private(world, "daan"))
    assert to_daan == (
        "Je bent verwijderd uit Buurtpreventie Goor Centrum.\nReden: reclame voor zijn bedrijf"
    )
    [regie] = said_to(actions, world.group("regie").chat)
    assert regie == (
        "Daan Wolters is door Anna Huisman verwijderd uit Buurtpreventie Goor Centrum.\n"
        "Reden: reclame voor zijn bedrijf"
    )
    assert said_to(actions, private(world, "bert"))
    assert audit(world) == [(AuditAction.REMOVED, "anna", "daan")]


def test_regiegroep_removes_a_mede_beheerder_also_from_the_coordinatorengroep(
    world: World,
) -> None:
    actions = world.says("joost", "regie", "/verwijder bert ruzie met buren")
    assert "bert" not in members(world, "goor-centrum")
    assert "bert" not in members(world, "coordinatoren")
    assert (
        RemoveMember(
            chat=world.group("coordinatoren").chat, user=world.identity("bert", Platform.SIGNAL)
        )
        in actions
    )
    [regie] = said_to(actions, world.group("regie").chat)
    assert regie.startswith("Bert Oude Luttikhuis is door Joost Olthof verwijderd uit")
    [to_anna] = said_to(actions, private(world, "anna"))
    assert "Reden: ruzie met buren" in to_anna
    [refused] = texts(world.says("joost", "regie", "/verwijder anna ruzie"))
    assert refused.startswith("Anna Huisman is eigenaar van Buurtpreventie Goor Centrum")


def test_beheerders_remove_by_hand_where_the_platform_cannot() -> None:
    world = World()  # no platform declares it can remove members
    actions = three_warnings(world)
    assert not any(isinstance(a, RemoveMember) for a in actions)
    [to_anna] = said_to(actions, private(world, "anna"))
    assert "haal Eva Nijhuis er met de hand uit: Buurtpreventie Goor Centrum." in to_anna


# -- blocks ----------------------------------------------------------------------------------
def test_a_blocked_person_is_kept_out_of_other_groups_on_every_platform(world: World) -> None:
    on_signal = world.give_signal("eva", "+31620009999")
    three_warnings(world)

    asked = join(world, JoinRequested, on_signal, "goor-west")
    assert DeclineJoin(chat=world.group("goor-west").chat, user=on_signal) in asked
    for beheerder in ("frank", "gerda"):
        [told] = said_to(asked, private(world, beheerder, Platform.SIGNAL))
        assert told == (
            "Eva Nijhuis is geblokkeerd in deze gemeente en vroeg toegang tot Buurtpreventie "
            "Goor West; ik heb dat geweigerd. Alleen de regiegroep kan de blokkade opheffen."
        )
    again = join(world, JoinRequested, on_signal, "goor-west")
    assert [type(a) for a in again] == [DeclineJoin]  # the beheerders were told already

    telegram = world.identity("eva", Platform.TELEGRAM)
    joined = join(world, MemberJoined, telegram, "goor-oost")
    assert RemoveMember(chat=world.group("goor-oost").chat, user=telegram) in joined
    [told] = said_to(joined, private(world, "jan"))
    assert told.startswith("Eva Nijhuis is geblokkeerd in deze gemeente, maar kwam toch in")
    assert audit(world)[-3:] == [
        (AuditAction.JOIN_REFUSED, None, "eva"),
        (AuditAction.JOIN_REFUSED, None, "eva"),
        (AuditAction.JOIN_REFUSED, None, "eva"),
    ]


def test_unblock_by_replying_to_the_removal_notice(world: World) -> None:
    three_warnings(world)
    notice = bot_message(world, ":removed:about:")
    actions = world.reply("hanneke", "regie", "/vrijgeven", notice)
    [done] = said_to(actions, world.group("regie").chat)
    assert done.startswith("De blokkade van Eva Nijhuis is opgeheven.")
    [to_eva] = said_to(actions, private(world, "eva"))
    assert to_eva.startswith("De regiegroep heeft je blokkade opgeheven")
    assert not blocked(world, "eva")
    assert audit(world)[-1] == (AuditAction.UNBLOCKED, "hanneke", "eva")
    # The block no longer keeps her out; she is not a member either, so the join rule
    # (handlers/joins.py) declines and tells her how to sign up again.
    asked = join(world, JoinRequested, world.identity("eva", Platform.TELEGRAM), "goor-oost")
    assert not any("geblokkeerd" in text for text in texts(asked))
    assert said_to(asked, private(world, "eva"))[0].startswith("Je vroeg toegang tot")


def test_unblock_by_handle_and_when_nobody_is_blocked(world: World) -> None:
    three_warnings(world)
    world.set_language("ria", Locale.EN)
    [done] = texts(world.says("ria", "regie", "/unblock eva")[:1])
    assert done.startswith("The block of Eva Nijhuis has been lifted.")
    [again] = texts(world.says("ria", "regie", "/unblock eva"))
    assert again == "Eva Nijhuis is not blocked."
    [unknown] = texts(world.says("ria", "regie", "/unblock nobody"))
    assert unknown.startswith("I know nobody called nobody in this gemeente.")
    [how] = texts(world.says("ria", "regie", "/unblock"))
    assert how == "Use /unblock <handle>, or reply with /unblock to a message about the person."


def test_unblock_is_for_the_regiegroep_only(world: World) -> None:
    [reply] = texts(world.says("anna", "goor-centrum", "/vrijgeven eva"))
    assert reply == "/vrijgeven werkt hier niet. Het werkt in: de regiegroep."


# -- the log ---------------------------------------------------------------------------------
def test_the_log_lists_recent_entries_with_names_and_local_times(world: World) -> None:
    three_warnings(world)
    world.clock.advance(hours=2)
    world.says("hanneke", "regie", "/vrijgeven eva")
    [log] = texts(world.says("hanneke", "regie", "/logboek"))
    lines = log.splitlines()
    assert lines[0] == "De laatste 6 regels van het logboek:"
    assert lines[1] == "29 november 2026 06:00 – Hanneke Pierik hief de blokkade van Eva Nijhuis op"
    assert (
        "29 november 2026 04:00 – Anna Huisman waarschuwde Eva Nijhuis in Buurtpreventie Goor "
        "Centrum (grof taalgebruik)"
    ) in lines
    assert any(
        "Carla Brinkman blokkeerde Eva Nijhuis in de gemeente (3 actieve" in ln for ln in lines
    )

    world.set_language("mirjam", Locale.EN)
    [english] = texts(world.says("mirjam", None, "/log"))
    assert english.splitlines()[0] == "The latest 6 entries of the log:"
    assert "November 29, 2026 04:00 – Bert Oude Luttikhuis warned Eva Nijhuis" in english


def test_the_log_is_for_the_regie_only(world: World) -> None:
    [reply] = texts(world.says("anna", None, "/logboek"))
    assert reply == "Je rol staat /logboek niet toe."
    [empty] = texts(world.says("hanneke", "regie", "/logboek"))
    assert empty == "Het logboek is nog leeg."


def test_notice_keys_name_the_person() -> None:
    key = about_key("telegram:update:9:removed", PersonId("hof-van-twente:eva"))
    assert person_in_key(key) == "hof-van-twente:eva"
    assert person_in_key(key + "#2") == "hof-van-twente:eva"
    assert person_in_key("test:1:2") is None
    assert person_in_key(None) is None


def test_on_the_console_everybody_is_reached_by_their_person_id() -> None:
    person = Person(id=PersonId("hof-van-twente:eva"), gemeente_id=None, display_name="Eva")
    assert private_chat(person, Platform.CONSOLE) == ChatRef(
        Platform.CONSOLE, "hof-van-twente:eva", private=True
    )
    assert private_chat(person, Platform.TELEGRAM) is None
