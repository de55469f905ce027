"""Storage of the core flows: meldingen, escalations and their deliveries, warnings, blocks,
the audit log, dialogues, nudges, the outbox's sent messages and the gemeente's policy.

The tests above the "SQL only" line use the ports alone, so they are the contract:
``tests/unit/test_fakes.py`` runs them again on the in-memory fakes (with its own
``uow_factory`` fixture). The tests below it look at the database itself: constraints,
the partial unique index, what deleting a person row does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from buurtbot.adapters.sql import FORGOTTEN_PERSON, SqlUnitOfWork
from buurtbot.adapters.sql.orm import BlockRow, PersonRow
from buurtbot.core.actions import EditText, SendText
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.dialogue import Dialogue
from buurtbot.core.domain.escalation import (
    DeliveryState,
    Escalation,
    EscalationDelivery,
    EscalationId,
    EscalationRule,
    Scope,
    Target,
    TargetKind,
)
from buurtbot.core.domain.melding import (
    Called112,
    Melding,
    PersonDescription,
    VehicleDescription,
)
from buurtbot.core.domain.model import (
    Buurt,
    Gemeente,
    GemeenteRole,
    GemeenteSettings,
    Group,
    GroupKind,
    Kern,
    Person,
)
from buurtbot.core.domain.moderation import Block, Warning, WarningId, WarningReason
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
)
from buurtbot.core.ports import OutboxItem, UnitOfWork
from buurtbot.core.text import RichText

UowFactory = Callable[[], UnitOfWork]
SqlUowFactory = Callable[[], SqlUnitOfWork]

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
G = GemeenteId("g")
H = GemeenteId("h")
REGIE = Group(GroupId("g:regie"), G, GroupKind.REGIE, ChatRef(Platform.TELEGRAM, "-1"), "Regie")
BG_A = Group(
    GroupId("g:bg-a"),
    G,
    GroupKind.BUURT,
    ChatRef(Platform.TELEGRAM, "-2"),
    "Buurt A",
    buurt_id=BuurtId("a"),
)
BG_B = Group(
    GroupId("g:bg-b"),
    G,
    GroupKind.BUURT,
    ChatRef(Platform.SIGNAL, "group.Yg=="),
    "Buurt B",
    buurt_id=BuurtId("b"),
)
H_REGIE = Group(GroupId("h:regie"), H, GroupKind.REGIE, ChatRef(Platform.TELEGRAM, "-9"), "H")
NETWORK_G = Network(
    Gemeente(G, "G"),
    (Kern(KernId("k"), G, "K"),),
    (
        Buurt(BuurtId("a"), G, KernId("k"), "A", adjacent=frozenset({BuurtId("b")})),
        Buurt(BuurtId("b"), G, KernId("k"), "B", adjacent=frozenset({BuurtId("a")})),
    ),
    (REGIE, BG_A, BG_B),
)
NETWORK_H = Network(Gemeente(H, "H"), (), (), (H_REGIE,))

ANNA = PersonId("g:anna")  # eigenaar of buurt A
BERT = PersonId("g:bert")  # a lid
PIET = PersonId("g:piet")  # the police liaison
PERSONS = (
    Person(ANNA, G, "Anna"),
    Person(BERT, G, "Bert"),
    Person(PIET, G, "Piet"),
    Person(PersonId("h:hans"), H, "Hans"),
)

MSG_A = MessageRef(BG_A.chat, "101")
MSG_B = MessageRef(BG_B.chat, "1700000000000")


@pytest.fixture
def stored(uow_factory: UowFactory) -> UowFactory:
    """``uow_factory`` on a store holding two gemeenten and a few persons."""
    return store_two_gemeenten(uow_factory)


def store_two_gemeenten(uow_factory: UowFactory) -> UowFactory:
    with uow_factory() as uow:
        uow.networks.save(NETWORK_G)
        uow.networks.save(NETWORK_H)
        for person in PERSONS:
            uow.persons.save(person)
        uow.commit()
    return uow_factory


def say(chat: ChatRef, text: str) -> SendText:
    return SendText(chat=chat, text=RichText.of(text))


def melding(mid: str = "m1", **changes: object) -> Melding:
    base = Melding(id=mid, gemeente_id=G, group_id=BG_A.id, created_at=T0)
    return replace(base, **changes)  # type: ignore[arg-type]


def escalation(eid: str = "e1", **changes: object) -> Escalation:
    base = Escalation(
        id=EscalationId(eid),
        gemeente_id=G,
        source_group=BG_A.id,
        source_message=MSG_A,
        text="Verdachte man bij de school, blauwe jas",
        escalated_by=ANNA,
        escalated_at=T0,
        scope=Scope.DEFAULT,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def delivery(target: Target, chat: ChatRef, key: str, eid: str = "e1") -> EscalationDelivery:
    return EscalationDelivery(EscalationId(eid), target, chat, key, T0)


def warning(wid: str, at: datetime, **changes: object) -> Warning:
    base = Warning(
        id=WarningId(wid),
        gemeente_id=G,
        person_id=BERT,
        group_id=BG_A.id,
        reason=WarningReason.OFF_TOPIC,
        note="alleen meldingen hier",
        by=ANNA,
        at=at,
        expires_at=at + timedelta(days=90),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def queue_and_claim(uow: UnitOfWork, key: str, chat: ChatRef, at: datetime = T0) -> OutboxItem:
    assert uow.outbox.add(say(chat, key), key=key, at=at)
    (item,) = [i for i in uow.outbox.due(at, 100) if i.key == key]
    return item


# -- the outbox's sent messages ---------------------------------------------------------------
def test_a_delivered_item_remembers_its_message(stored: UowFactory) -> None:
    sent = MessageRef(BG_A.chat, "555")
    with stored() as uow:
        item = queue_and_claim(uow, "esc:e1:group:g:bg-a", BG_A.chat)
        assert uow.outbox.state(item.key) == "pending"
        assert uow.outbox.sent_message(item.key) is None
        uow.outbox.delivered(item.id, T0, message=sent)
        uow.commit()
    with stored() as uow:
        assert uow.outbox.state("esc:e1:group:g:bg-a") == "delivered"
        assert uow.outbox.sent_message("esc:e1:group:g:bg-a") == sent
        assert uow.outbox.key_of_message(sent) == "esc:e1:group:g:bg-a"
        # The same number in another chat, or in the private chat of that id, is not it.
        assert uow.outbox.key_of_message(MessageRef(BG_B.chat, "555")) is None
        private = ChatRef(Platform.TELEGRAM, "-2", private=True)
        assert uow.outbox.key_of_message(MessageRef(private, "555")) is None
        assert uow.outbox.state("nope") is None
        assert uow.outbox.sent_message("nope") is None


def test_delivered_without_a_message_and_dead_items(stored: UowFactory) -> None:
    with stored() as uow:
        done = queue_and_claim(uow, "a", BG_A.chat)
        gone = queue_and_claim(uow, "b", BG_B.chat)
        uow.outbox.delivered(done.id, T0)
        uow.outbox.dead(gone.id, "bot removed")
        uow.commit()
    with stored() as uow:
        assert (uow.outbox.state("a"), uow.outbox.sent_message("a")) == ("delivered", None)
        assert (uow.outbox.state("b"), uow.outbox.sent_message("b")) == ("dead", None)


def test_an_edit_of_a_sent_message_does_not_shadow_the_original(stored: UowFactory) -> None:
    sent = MessageRef(REGIE.chat, "77")
    with stored() as uow:
        original = queue_and_claim(uow, "orig", REGIE.chat)
        uow.outbox.delivered(original.id, T0, message=sent)
        edit = EditText(chat=REGIE.chat, outbox_key="orig", text=RichText.of("112 gebeld"))
        assert uow.outbox.add(edit, key="orig:edit", at=T0)
        (item,) = uow.outbox.due(T0, 10)
        assert item.action == edit
        uow.outbox.delivered(item.id, T0, message=sent)
        uow.commit()
    with stored() as uow:
        assert uow.outbox.key_of_message(sent) == "orig"


def test_a_message_in_another_chat_is_refused_and_changes_nothing(stored: UowFactory) -> None:
    with stored() as uow:
        item = queue_and_claim(uow, "a", BG_A.chat)
        with pytest.raises(ValueError, match="not in the chat"):
            uow.outbox.delivered(item.id, T0, message=MessageRef(BG_B.chat, "1"))
        assert uow.outbox.state("a") == "pending"
        with pytest.raises(KeyError):
            uow.outbox.delivered(404, T0, message=MessageRef(BG_B.chat, "1"))


def test_release_makes_an_item_due_again_without_counting_a_try(stored: UowFactory) -> None:
    with stored() as uow:
        item = queue_and_claim(uow, "a", BG_A.chat)
        uow.outbox.release(item.id, T0 + timedelta(seconds=30))
        assert uow.outbox.due(T0 + timedelta(seconds=29), 10) == []
        (again,) = uow.outbox.due(T0 + timedelta(seconds=30), 10)
        assert (again.key, again.attempts) == ("a", 0)
        with pytest.raises(KeyError):
            uow.outbox.release(404, T0)


# -- meldingen ------------------------------------------------------------------------------
def test_a_melding_reads_back_equal_and_is_found_by_its_message(stored: UowFactory) -> None:
    full = melding(
        reporter=BERT,
        category="verdacht-voertuig",
        where="Grotestraat bij de bakker",
        when="zojuist",
        person=PersonDescription(gender="man", height="1.80", clothing="blauwe jas"),
        vehicle=VehicleDescription(
            colour="grijs", make="VW", type="bus", plate="AB-123-C", plate_as_typed="ab123c"
        ),
        message=MSG_A,
        structured=True,
    )
    bare = melding("m2", group_id=BG_B.id, created_at=T0 + timedelta(minutes=1))
    with stored() as uow:
        uow.meldingen.save(full)
        uow.meldingen.save(bare)
        uow.commit()
    with stored() as uow:
        assert uow.meldingen.get("m1") == full
        assert uow.meldingen.get("m2") == bare
        assert uow.meldingen.get("m3") is None
        assert uow.meldingen.by_message(MSG_A) == full
        assert uow.meldingen.by_message(MessageRef(BG_A.chat, "102")) is None


def test_reporting_112_updates_the_melding(stored: UowFactory) -> None:
    with stored() as uow:
        uow.meldingen.save(melding(message=MSG_A))
        uow.commit()
    called = Called112(by=ANNA, by_name="Anna", at=T0 + timedelta(minutes=2))
    with stored() as uow:
        found = uow.meldingen.by_message(MSG_A)
        assert found is not None
        uow.meldingen.save(replace(found, called_112=called))
        uow.commit()
    with stored() as uow:
        back = uow.meldingen.get("m1")
        assert back is not None
        assert back.called_112 == called
        assert back.called_within(T0 + timedelta(minutes=30), timedelta(hours=2)) == called
        # Someone outside the network (no person record) may say it too.
        outsider = Called112(by=None, by_name="een voorbijganger", at=T0)
        uow.meldingen.save(replace(back, called_112=outsider))
        assert uow.meldingen.get("m1") == replace(back, called_112=outsider)


def test_the_latest_melding_of_a_group(stored: UowFactory) -> None:
    with stored() as uow:
        for n, minutes in enumerate([0, 10, 5]):
            uow.meldingen.save(melding(f"m{n}", created_at=T0 + timedelta(minutes=minutes)))
        uow.meldingen.save(melding("other", group_id=BG_B.id, created_at=T0 + timedelta(hours=1)))
        uow.commit()
    with stored() as uow:
        latest = uow.meldingen.latest_in_group(BG_A.id, T0)
        assert latest is not None
        assert latest.id == "m1"
        since = uow.meldingen.latest_in_group(BG_A.id, T0 + timedelta(minutes=10))
        assert since is not None
        assert since.id == "m1"  # "at or after"
        assert uow.meldingen.latest_in_group(BG_A.id, T0 + timedelta(minutes=11)) is None
        assert uow.meldingen.latest_in_group(REGIE.id, T0) is None


def test_one_melding_per_message_and_known_references(stored: UowFactory) -> None:
    with stored() as uow:
        uow.meldingen.save(melding(message=MSG_A))
        with pytest.raises(ValueError, match="m1"):
            uow.meldingen.save(melding("m2", message=MSG_A))
        with pytest.raises(KeyError, match="g:nobody"):
            uow.meldingen.save(melding("m2", reporter=PersonId("g:nobody")))
        with pytest.raises(KeyError, match="g:nowhere"):
            uow.meldingen.save(melding("m2", group_id=GroupId("g:nowhere")))
        with pytest.raises(KeyError):
            uow.meldingen.save(melding("m2", gemeente_id=GemeenteId("x")))
        uow.commit()  # the refusals left the transaction usable
    with stored() as uow:
        assert uow.meldingen.get("m2") is None
        assert uow.meldingen.by_message(MSG_A) == melding(message=MSG_A)


# -- escalations ----------------------------------------------------------------------------
def test_an_escalation_reads_back_and_is_found_by_its_source(stored: UowFactory) -> None:
    with stored() as uow:
        uow.meldingen.save(melding(message=MSG_A))
        uow.commit()
    esc = escalation(category="inbraak", melding_id="m1", scope=Scope.KERN)
    with stored() as uow:
        uow.escalations.add(esc)
        uow.commit()
    with stored() as uow:
        assert uow.escalations.get(EscalationId("e1")) == esc
        assert uow.escalations.get(EscalationId("e2")) is None
        assert uow.escalations.by_source(MSG_A) == esc
        assert uow.escalations.by_source(MSG_B) is None
        assert uow.escalations.for_melding("m1") == [esc]
        assert uow.escalations.for_melding("m2") == []


def test_a_message_is_escalated_once_but_may_be_forwarded_many_times(
    stored: UowFactory,
) -> None:
    regie_copy = MessageRef(REGIE.chat, "900")
    with stored() as uow:
        uow.escalations.add(escalation())
        with pytest.raises(ValueError, match="escalated already"):
            uow.escalations.add(escalation("e2"))
        with pytest.raises(ValueError, match="exists already"):
            uow.escalations.add(escalation(source_message=MSG_B))
        # Contactpersonen forward the regiegroep's copy down, each to their own groups.
        for n in (1, 2):
            uow.escalations.add(
                escalation(
                    f"fwd{n}",
                    source_group=REGIE.id,
                    source_message=regie_copy,
                    forwarded_from=EscalationId("e1"),
                    escalated_by=PIET,
                    escalated_at=T0 + timedelta(minutes=n),
                )
            )
        uow.commit()
    with stored() as uow:
        assert uow.escalations.by_source(regie_copy) is None  # forwards are not sources
        fwd = uow.escalations.get(EscalationId("fwd2"))
        assert fwd is not None
        assert fwd.forwarded_from == "e1"


def test_escalation_references_must_be_known(stored: UowFactory) -> None:
    with stored() as uow:
        with pytest.raises(KeyError, match="g:nobody"):
            uow.escalations.add(escalation(escalated_by=PersonId("g:nobody")))
        with pytest.raises(KeyError, match="m9"):
            uow.escalations.add(escalation(melding_id="m9"))
        with pytest.raises(KeyError, match="e9"):
            uow.escalations.add(escalation(forwarded_from=EscalationId("e9")))
        with pytest.raises(KeyError, match="g:nowhere"):
            uow.escalations.add(escalation(source_group=GroupId("g:nowhere")))
        uow.escalations.add(escalation())  # still usable
        uow.commit()


def test_recent_escalations_are_the_gemeentes_newest_first(stored: UowFactory) -> None:
    with stored() as uow:
        for n, minutes in enumerate([5, 20, 10]):
            uow.escalations.add(
                escalation(
                    f"e{n}",
                    source_message=MessageRef(BG_A.chat, str(n)),
                    escalated_at=T0 + timedelta(minutes=minutes),
                )
            )
        uow.escalations.add(
            escalation(
                "h1",
                gemeente_id=H,
                source_group=H_REGIE.id,
                source_message=MessageRef(H_REGIE.chat, "1"),
                escalated_by=PersonId("h:hans"),
                escalated_at=T0 + timedelta(hours=1),
            )
        )
        uow.commit()
    with stored() as uow:
        assert [e.id for e in uow.escalations.recent(G, 10)] == ["e1", "e2", "e0"]
        assert [e.id for e in uow.escalations.recent(G, 2)] == ["e1", "e2"]
        assert [e.id for e in uow.escalations.recent(H, 10)] == ["h1"]
        assert uow.escalations.recent(G, 0) == []


def test_original_escalation_times_since_leave_out_forwards_and_older_ones(
    stored: UowFactory,
) -> None:
    with stored() as uow:
        for n, (group, minutes) in enumerate([(BG_A, 30), (BG_B, -1), (BG_B, 0), (BG_A, 10)]):
            uow.escalations.add(
                escalation(
                    f"e{n}",
                    source_group=group.id,
                    source_message=MessageRef(group.chat, str(n)),
                    escalated_at=T0 + timedelta(minutes=minutes),
                )
            )
        uow.escalations.add(  # a forward down from the regiegroep: not an escalation of its own
            escalation(
                "fwd",
                source_group=REGIE.id,
                source_message=MessageRef(REGIE.chat, "900"),
                forwarded_from=EscalationId("e0"),
                escalated_at=T0 + timedelta(minutes=40),
            )
        )
        uow.escalations.add(
            escalation(
                "h1",
                gemeente_id=H,
                source_group=H_REGIE.id,
                source_message=MessageRef(H_REGIE.chat, "1"),
                escalated_by=PersonId("h:hans"),
                escalated_at=T0 + timedelta(minutes=5),
            )
        )
        uow.commit()
    with stored() as uow:
        times = uow.escalations.original_times_since(G, T0)
        assert times == [
            (BG_B.id, T0),
            (BG_A.id, T0 + timedelta(minutes=10)),
            (BG_A.id, T0 + timedelta(minutes=30)),
        ]
        assert all(at.utcoffset() == timedelta(0) for _, at in times)  # aware, in UTC
        assert uow.escalations.original_times_since(H, T0) == [
            (H_REGIE.id, T0 + timedelta(minutes=5))
        ]
        assert uow.escalations.original_times_since(G, T0 + timedelta(hours=1)) == []


def test_a_delivery_is_recorded_once_per_target(stored: UowFactory) -> None:
    to_regie = delivery(Target(TargetKind.REGIE, group_id=REGIE.id), REGIE.chat, "k-regie")
    with stored() as uow:
        uow.escalations.add(escalation())
        assert uow.escalations.add_delivery(to_regie) is True
        assert uow.escalations.add_delivery(to_regie) is False
        again = replace(to_regie, outbox_key="k-other", queued_at=T0 + timedelta(minutes=1))
        assert uow.escalations.add_delivery(again) is False
        uow.commit()
    with stored() as uow:
        assert uow.escalations.add_delivery(to_regie) is False
        assert uow.escalations.deliveries(EscalationId("e1")) == [to_regie]
        assert uow.escalations.deliveries(EscalationId("e2")) == []


def test_delivery_mistakes_are_refused(stored: UowFactory) -> None:
    with stored() as uow:
        uow.escalations.add(escalation())
        uow.escalations.add(escalation("e2", source_message=MSG_B, source_group=BG_B.id))
        target = Target(TargetKind.ADJACENT, group_id=BG_B.id)
        uow.escalations.add_delivery(delivery(target, BG_B.chat, "k1"))
        with pytest.raises(ValueError, match="k1"):  # an outbox key is one delivery's
            uow.escalations.add_delivery(delivery(target, BG_B.chat, "k1", eid="e2"))
        with pytest.raises(KeyError, match="e9"):
            uow.escalations.add_delivery(delivery(target, BG_B.chat, "k2", eid="e9"))
        nowhere = Target(TargetKind.KERN, group_id=GroupId("g:nowhere"))
        with pytest.raises(KeyError, match="g:nowhere"):
            uow.escalations.add_delivery(delivery(nowhere, BG_B.chat, "k3"))
        with pytest.raises(ValueError, match="one group or one person"):
            uow.escalations.add_delivery(delivery(Target(TargetKind.KERN), BG_B.chat, "k4"))
        uow.commit()
    with stored() as uow:
        assert [d.outbox_key for d in uow.escalations.deliveries(EscalationId("e1"))] == ["k1"]


def test_delivery_state_follows_the_outbox(stored: UowFactory) -> None:
    e1 = EscalationId("e1")
    piet_chat = ChatRef(Platform.TELEGRAM, "3", private=True)
    targets = [
        (Target(TargetKind.REGIE, group_id=REGIE.id), REGIE.chat, "k-regie"),
        (Target(TargetKind.ADJACENT, group_id=BG_B.id), BG_B.chat, "k-b"),
        (Target(TargetKind.POLITIE, person_id=PIET), piet_chat, "k-piet"),
    ]
    with stored() as uow:
        uow.escalations.add(escalation())
        for target, chat, key in targets:
            assert uow.escalations.add_delivery(delivery(target, chat, key))
        uow.commit()

    def states() -> dict[str, DeliveryState]:
        with stored() as uow:
            return {d.outbox_key: d.state for d in uow.escalations.deliveries(e1)}

    # Not queued in the outbox (yet): counts as queued.
    assert set(states().values()) == {DeliveryState.QUEUED}
    with stored() as uow:
        items = {key: queue_and_claim(uow, key, chat) for _, chat, key in targets}
        uow.commit()
    assert set(states().values()) == {DeliveryState.QUEUED}
    with stored() as uow:
        uow.outbox.delivered(items["k-regie"].id, T0, message=MessageRef(REGIE.chat, "1"))
        uow.outbox.dead(items["k-piet"].id, "blocked the bot")
        uow.commit()
    assert states() == {
        "k-b": DeliveryState.QUEUED,
        "k-piet": DeliveryState.FAILED,
        "k-regie": DeliveryState.DELIVERED,
    }
    with stored() as uow:
        (police,) = [d for d in uow.escalations.deliveries(e1) if d.target.person_id]
        assert police == EscalationDelivery(
            e1, targets[2][0], piet_chat, "k-piet", T0, DeliveryState.FAILED
        )
        found = uow.escalations.by_outbox_key("k-piet")
        assert found is not None
        assert found.id == e1
        assert uow.escalations.by_outbox_key("k-none") is None


# -- warnings -------------------------------------------------------------------------------
def test_warnings_of_a_person_newest_first_and_revoked(stored: UowFactory) -> None:
    w1, w2 = warning("w1", T0), warning("w2", T0 + timedelta(days=1), reason=WarningReason.PHOTO)
    elsewhere = warning(
        "w3",
        T0,
        gemeente_id=H,
        group_id=H_REGIE.id,
        by=PersonId("h:hans"),
    )
    with stored() as uow:
        uow.warnings.add(w1)
        uow.warnings.add(w2)
        uow.warnings.add(elsewhere)
        uow.commit()
    with stored() as uow:
        assert uow.warnings.of_person(G, BERT) == [w2, w1]
        assert uow.warnings.of_person(H, BERT) == [elsewhere]
        assert uow.warnings.of_person(G, ANNA) == []
        uow.warnings.revoke(WarningId("w1"), T0 + timedelta(days=2))
        uow.warnings.revoke(WarningId("w1"), T0 + timedelta(days=3))  # the first one counts
        uow.commit()
    with stored() as uow:
        revoked = replace(w1, revoked_at=T0 + timedelta(days=2))
        assert uow.warnings.of_person(G, BERT) == [w2, revoked]
        assert not revoked.active(T0 + timedelta(days=2))


def test_warning_mistakes_are_refused(stored: UowFactory) -> None:
    with stored() as uow:
        uow.warnings.add(warning("w1", T0))
        with pytest.raises(ValueError, match="w1"):
            uow.warnings.add(warning("w1", T0))
        with pytest.raises(KeyError, match="g:nobody"):
            uow.warnings.add(warning("w2", T0, person_id=PersonId("g:nobody")))
        with pytest.raises(KeyError):
            uow.warnings.revoke(WarningId("w9"), T0)
        uow.commit()
    with stored() as uow:
        assert [w.id for w in uow.warnings.of_person(G, BERT)] == ["w1"]


# -- blocks ---------------------------------------------------------------------------------
def test_a_block_is_in_force_until_lifted_and_one_at_a_time(stored: UowFactory) -> None:
    block = Block(G, BERT, T0, "3 waarschuwingen", by=ANNA)
    with stored() as uow:
        assert uow.blocks.in_force(G, BERT) is None
        uow.blocks.add(block)
        with pytest.raises(ValueError, match="blocked"):
            uow.blocks.add(replace(block, at=T0 + timedelta(hours=1)))
        uow.blocks.add(Block(H, BERT, T0, "ook hier"))  # another gemeente's block
        uow.commit()
    with stored() as uow:
        assert uow.blocks.in_force(G, BERT) == block
        assert uow.blocks.lift(G, BERT, T0 + timedelta(days=1), PIET) is True
        assert uow.blocks.lift(G, BERT, T0 + timedelta(days=2), PIET) is False
        assert uow.blocks.lift(G, ANNA, T0, None) is False
        uow.commit()
    with stored() as uow:
        assert uow.blocks.in_force(G, BERT) is None
        assert uow.blocks.in_force(H, BERT) == Block(H, BERT, T0, "ook hier")
        again = Block(G, BERT, T0 + timedelta(days=5), "weer")
        uow.blocks.add(again)  # a new block after the lifted one
        uow.commit()
    with stored() as uow:
        assert uow.blocks.in_force(G, BERT) == again
        assert uow.blocks.lift(H, BERT, T0, None) is True
        uow.commit()
    with stored() as uow:
        assert uow.blocks.in_force(H, BERT) is None


def test_a_lifted_block_may_be_recorded_as_history(stored: UowFactory) -> None:
    lifted = Block(G, BERT, T0, "oud", lifted_at=T0 + timedelta(days=1), lifted_by=PIET)
    with stored() as uow:
        uow.blocks.add(lifted)
        uow.blocks.add(lifted)
        assert uow.blocks.in_force(G, BERT) is None
        with pytest.raises(KeyError, match="g:nobody"):
            uow.blocks.add(Block(G, PersonId("g:nobody"), T0, "x"))
        with pytest.raises(KeyError, match="g:nobody"):
            uow.blocks.lift(G, BERT, T0, PersonId("g:nobody"))


# -- audit ----------------------------------------------------------------------------------
def test_the_audit_log_newest_first_with_ids(stored: UowFactory) -> None:
    entries = [
        AuditEntry(G, T0, AuditAction.WARNED, actor=ANNA, subject=BERT, group_id=BG_A.id),
        AuditEntry(
            G,
            T0 + timedelta(minutes=5),
            AuditAction.ESCALATED,
            actor=ANNA,
            group_id=BG_A.id,
            reason="kern",
            detail={"targets": "3", "escalation": "e1"},
        ),
        AuditEntry(G, T0 + timedelta(minutes=5), AuditAction.DELIVERY_FAILED),
        AuditEntry(H, T0, AuditAction.BLOCKED, subject=PersonId("h:hans")),
    ]
    with stored() as uow:
        for entry in entries:
            uow.audit.add(entry)
        uow.commit()
    with stored() as uow:
        recent = uow.audit.recent(G, 10)
        assert [replace(e, id=None) for e in recent] == [entries[2], entries[1], entries[0]]
        ids = [e.id for e in recent]
        assert all(isinstance(i, int) for i in ids)
        assert ids == sorted(ids, key=lambda i: i or 0, reverse=True)  # added in this order
        assert uow.audit.recent(G, 1) == recent[:1]
        assert [e.action for e in uow.audit.recent(H, 10)] == [AuditAction.BLOCKED]
        with pytest.raises(KeyError, match="g:nobody"):
            uow.audit.add(AuditEntry(G, T0, AuditAction.REMOVED, subject=PersonId("g:nobody")))


# -- dialogues and nudges -------------------------------------------------------------------
def test_a_dialogue_is_replaced_and_dropped(stored: UowFactory) -> None:
    chat = ChatRef(Platform.TELEGRAM, "11", private=True)
    first = Dialogue(chat, BERT, "melding", "category", T0, T0 + timedelta(minutes=30))
    later = replace(first, step="where", data={"category": "inbraak", "where": "Markt 1"})
    in_group = replace(first, chat=BG_A.chat, flow="warn")
    with stored() as uow:
        assert uow.dialogues.get(chat, BERT) is None
        uow.dialogues.put(first)
        uow.dialogues.put(in_group)
        uow.commit()
    with stored() as uow:
        assert uow.dialogues.get(chat, BERT) == first
        uow.dialogues.put(later)
        uow.commit()
    with stored() as uow:
        assert uow.dialogues.get(chat, BERT) == later
        assert uow.dialogues.get(BG_A.chat, BERT) == in_group
        assert uow.dialogues.get(chat, ANNA) is None
        uow.dialogues.drop(chat, BERT)
        uow.dialogues.drop(chat, BERT)  # nothing left: no error
        uow.commit()
    with stored() as uow:
        assert uow.dialogues.get(chat, BERT) is None
        assert uow.dialogues.get(BG_A.chat, BERT) == in_group
        with pytest.raises(KeyError, match="g:nobody"):
            uow.dialogues.put(replace(first, person=PersonId("g:nobody")))


def test_a_nudge_once_a_day_per_kind(stored: UowFactory) -> None:
    day = date(2024, 6, 1)
    with stored() as uow:
        assert uow.nudges.first_today(BERT, "chatter", day) is True
        assert uow.nudges.first_today(BERT, "chatter", day) is False
        assert uow.nudges.first_today(BERT, "photo", day) is True
        assert uow.nudges.first_today(ANNA, "chatter", day) is True
        uow.commit()
    with stored() as uow:
        assert uow.nudges.first_today(BERT, "chatter", day) is False
        assert uow.nudges.first_today(BERT, "chatter", day + timedelta(days=1)) is True
        with pytest.raises(KeyError, match="g:nobody"):
            uow.nudges.first_today(PersonId("g:nobody"), "chatter", day)
    with stored() as uow:  # the rolled back one did not count
        assert uow.nudges.first_today(BERT, "chatter", day + timedelta(days=1)) is True


def test_rolled_back_flow_writes_leave_nothing(stored: UowFactory) -> None:
    with stored() as uow:
        uow.meldingen.save(melding())
        uow.escalations.add(escalation())
        uow.warnings.add(warning("w1", T0))
        uow.blocks.add(Block(G, BERT, T0, "x"))
        uow.audit.add(AuditEntry(G, T0, AuditAction.WARNED))
    with stored() as uow:
        assert uow.meldingen.get("m1") is None
        assert uow.escalations.get(EscalationId("e1")) is None
        assert uow.warnings.of_person(G, BERT) == []
        assert uow.blocks.in_force(G, BERT) is None
        assert uow.audit.recent(G, 10) == []


# -- the gemeente's policy ------------------------------------------------------------------
def test_policy_settings_are_stored_with_the_network(uow_factory: UowFactory) -> None:
    settings = GemeenteSettings(
        warning_threshold=2,
        called_112_window_minutes=45,
        pattern_window_hours=12,
        group_warning_notice=False,
        chatter_nudge=True,
        categories=("inbraak", "fietsendiefstal"),
        escalation_rules=(
            EscalationRule(Scope.DEFAULT, frozenset({TargetKind.REGIE, TargetKind.ADJACENT})),
            EscalationRule(
                Scope.DEFAULT,
                frozenset({TargetKind.REGIE, TargetKind.GEMEENTE}),
                category="inbraak",
            ),
            EscalationRule(Scope.REGIE, frozenset({TargetKind.REGIE})),
        ),
        extra_flagged_words=("sukkel", "Mafkees"),
    )
    network = replace(NETWORK_G, gemeente=replace(NETWORK_G.gemeente, settings=settings))
    with uow_factory() as uow:
        uow.networks.save(network)
        uow.commit()
    with uow_factory() as uow:  # a new unit of work: on SQL, read from the rows
        assert uow.networks.get(G) == network
    with uow_factory() as uow:
        uow.networks.save(NETWORK_G)  # back to the defaults
        uow.commit()
    with uow_factory() as uow:
        back = uow.networks.get(G)
        assert back is not None
        assert back.gemeente.settings == GemeenteSettings()


# ===========================================================================================
# SQL only
# ===========================================================================================
def test_the_database_itself_allows_one_block_in_force(stored: SqlUowFactory) -> None:
    """The partial unique index stops a second block in force even past the repository
    (two transactions adding one at the same time)."""
    with stored() as uow:
        uow.blocks.add(Block(G, BERT, T0, "x"))
        uow.commit()
    with stored() as uow:
        uow.session.add(BlockRow(gemeente_id=G, person_id=BERT, at=T0, reason="y"))
        with pytest.raises(IntegrityError):
            uow.session.flush()
    with stored() as uow:
        # Lifted ones do not count.
        lifted = {"gemeente_id": G, "person_id": BERT, "at": T0, "reason": "old"}
        uow.session.add(BlockRow(**lifted, lifted_at=T0))
        uow.session.add(BlockRow(**lifted, lifted_at=T0 + timedelta(days=1)))
        uow.session.flush()
        assert uow.session.scalar(select(func.count()).select_from(BlockRow)) == 3


def test_erasing_a_person_keeps_what_they_did_and_forgets_what_was_theirs(
    stored: SqlUowFactory,
) -> None:
    piet_chat = ChatRef(Platform.TELEGRAM, "3", private=True)
    called = Called112(by=PIET, by_name="Piet", at=T0)
    day = date(2024, 6, 1)
    with stored() as uow:
        uow.meldingen.save(melding(reporter=PIET, called_112=called, message=MSG_A))
        uow.escalations.add(escalation(escalated_by=PIET, melding_id="m1"))
        uow.escalations.add_delivery(
            delivery(Target(TargetKind.REGIE, group_id=REGIE.id), REGIE.chat, "k-regie")
        )
        uow.escalations.add_delivery(
            delivery(Target(TargetKind.POLITIE, person_id=PIET), piet_chat, "k-piet")
        )
        uow.warnings.add(warning("by-piet", T0, by=PIET))
        uow.warnings.add(warning("of-piet", T0, person_id=PIET))
        uow.blocks.add(Block(G, BERT, T0, "x", by=PIET))
        uow.blocks.lift(G, BERT, T0 + timedelta(days=1), PIET)
        uow.blocks.add(Block(G, PIET, T0, "y", by=ANNA))
        uow.audit.add(AuditEntry(G, T0, AuditAction.WARNED, actor=PIET, subject=BERT))
        uow.audit.add(AuditEntry(G, T0, AuditAction.BLOCKED, actor=ANNA, subject=PIET))
        uow.dialogues.put(Dialogue(piet_chat, PIET, "melding", "where", T0, T0))
        uow.nudges.first_today(PIET, "chatter", day)
        uow.commit()

    with stored() as uow:
        uow.session.execute(delete(PersonRow).where(PersonRow.id == PIET))
        uow.commit()

    with stored() as uow:
        m = uow.meldingen.get("m1")
        assert m is not None
        assert m.reporter is None
        assert m.called_112 == Called112(by=None, by_name="Piet", at=T0)
        e = uow.escalations.get(EscalationId("e1"))
        assert e is not None
        assert e.escalated_by == FORGOTTEN_PERSON
        assert [d.outbox_key for d in uow.escalations.deliveries(EscalationId("e1"))] == ["k-regie"]
        (by_piet,) = uow.warnings.of_person(G, BERT)
        assert by_piet.by == FORGOTTEN_PERSON
        assert uow.warnings.of_person(G, PIET) == []
        assert uow.blocks.in_force(G, PIET) is None
        lifted = uow.session.scalars(select(BlockRow).where(BlockRow.person_id == BERT)).one()
        assert (lifted.by_id, lifted.lifted_by_id) == (None, None)
        audit = uow.audit.recent(G, 10)
        assert {(a.action, a.actor, a.subject) for a in audit} == {
            (AuditAction.WARNED, None, BERT),
            (AuditAction.BLOCKED, ANNA, None),
        }
        assert uow.dialogues.get(piet_chat, PIET) is None
        uow.persons.save(Person(PIET, G, "Piet (nieuw)"))
        assert uow.nudges.first_today(PIET, "chatter", day) is True  # the old one went


def test_deliveries_in_one_batch_are_flagged_one_by_one(stored: UowFactory) -> None:
    regie = delivery(Target(TargetKind.REGIE, group_id=REGIE.id), REGIE.chat, "k-regie")
    buren = delivery(Target(TargetKind.ADJACENT, group_id=BG_B.id), BG_B.chat, "k-b")
    piet = delivery(
        Target(TargetKind.POLITIE, person_id=PIET), ChatRef(Platform.TELEGRAM, "3", True), "k-p"
    )
    with stored() as uow:
        uow.escalations.add(escalation())
        assert uow.escalations.add_deliveries([regie]) == [True]
        # Already there, new, new, and the same target twice within the batch.
        assert uow.escalations.add_deliveries([regie, buren, piet, buren]) == [
            False, True, True, False,
        ]  # fmt: skip
        assert uow.escalations.add_deliveries([]) == []
        uow.commit()
    with stored() as uow:
        assert {d.outbox_key for d in uow.escalations.deliveries(EscalationId("e1"))} == {
            "k-regie", "k-b", "k-p",
        }  # fmt: skip


def test_a_refused_delivery_spoils_nothing_of_its_batch(stored: UowFactory) -> None:
    good = delivery(Target(TargetKind.REGIE, group_id=REGIE.id), REGIE.chat, "k-regie")
    nowhere = delivery(
        Target(TargetKind.KERN, group_id=GroupId("g:nowhere")), BG_B.chat, "k-nowhere"
    )
    with stored() as uow:
        uow.escalations.add(escalation())
        with pytest.raises(KeyError, match="g:nowhere"):
            uow.escalations.add_deliveries([good, nowhere])
        assert uow.escalations.deliveries(EscalationId("e1")) == []
        assert uow.escalations.add_deliveries([good]) == [True]


def test_people_with_a_gemeente_role_are_found_in_one_go(stored: UowFactory) -> None:
    with stored() as uow:
        uow.persons.set_gemeente_roles(G, PIET, frozenset({GemeenteRole.POLITIE}))
        uow.commit()
    with stored() as uow:
        assert uow.persons.with_gemeente_role(G, GemeenteRole.POLITIE) == [PIET]
        assert uow.persons.with_gemeente_role(H, GemeenteRole.POLITIE) == []
