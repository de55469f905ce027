"""SqlProcessedEvents (a replayed event changes state once) and SqlPendingChoices."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from buurtbot.adapters.sql import SqlUnitOfWork
from buurtbot.core.ids import ChatRef, PersonId, Platform
from buurtbot.core.ports import PendingChoice

UowFactory = Callable[[], SqlUnitOfWork]

AT = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def test_an_event_is_claimed_once(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.events.claim("tg:update:1", AT) is True
        assert uow.events.claim("tg:update:1", AT) is False
        assert uow.events.claim("tg:update:2", AT) is True
        uow.commit()
    with uow_factory() as uow:
        assert uow.events.claim("tg:update:1", AT + timedelta(days=1)) is False
        assert uow.events.claim("signal:msg:1", AT) is True


def test_a_rolled_back_claim_is_forgotten(uow_factory: UowFactory) -> None:
    """The claim commits with the state change it guards, or not at all."""
    with uow_factory() as uow:
        assert uow.events.claim("e", AT) is True
    with uow_factory() as uow:
        assert uow.events.claim("e", AT) is True
        uow.commit()


def test_a_concurrent_duplicate_waits_and_is_refused(uow_factory: UowFactory) -> None:
    """Two workers got the same event: the second waits for the first one's commit."""
    results: list[bool | BaseException] = []

    def second_worker() -> None:
        try:
            with uow_factory() as uow:
                results.append(uow.events.claim("dup", AT))
                uow.commit()
        except BaseException as exc:  # reported below
            results.append(exc)

    with uow_factory() as first:
        assert first.events.claim("dup", AT) is True
        thread = threading.Thread(target=second_worker)
        thread.start()
        time.sleep(0.3)
        assert results == []  # still waiting on the first transaction
        first.commit()
    thread.join(timeout=20)
    assert results == [False]


# -- pending choices -------------------------------------------------------------------------
CHAT = ChatRef(Platform.TELEGRAM, "-1002")
ANNA = PersonId("p-anna")


def test_put_and_take_a_choice(uow_factory: UowFactory) -> None:
    created = datetime(2024, 6, 1, 14, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    choice = PendingChoice(CHAT, ANNA, ("Goor-Centrum", "Goor-Noord", "geen van beide"), created)
    with uow_factory() as uow:
        uow.choices.put(choice)
        uow.commit()
    with uow_factory() as uow:
        taken = uow.choices.take(CHAT, ANNA)
        assert taken == choice
        assert taken is not None
        assert taken.created_at.tzinfo is UTC
        assert uow.choices.take(CHAT, ANNA) is None
        uow.commit()
    with uow_factory() as uow:
        assert uow.choices.take(CHAT, ANNA) is None


def test_a_new_choice_replaces_the_waiting_one(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.choices.put(PendingChoice(CHAT, ANNA, ("a", "b"), AT))
        uow.choices.put(PendingChoice(CHAT, ANNA, ("c",), AT + timedelta(minutes=1)))
        uow.commit()
    with uow_factory() as uow:
        assert uow.choices.take(CHAT, ANNA) == PendingChoice(
            CHAT, ANNA, ("c",), AT + timedelta(minutes=1)
        )


def test_choices_are_per_person_and_per_chat(uow_factory: UowFactory) -> None:
    private = ChatRef(Platform.TELEGRAM, "-1002", private=True)
    other_platform = ChatRef(Platform.SIGNAL, "-1002")
    bert = PersonId("p-bert")
    choices = [
        PendingChoice(CHAT, ANNA, ("1",), AT),
        PendingChoice(CHAT, bert, ("2",), AT),
        PendingChoice(private, ANNA, ("3",), AT),
        PendingChoice(other_platform, ANNA, ("4",), AT),
    ]
    with uow_factory() as uow:
        for c in choices:
            uow.choices.put(c)
        uow.commit()
    with uow_factory() as uow:
        assert [uow.choices.take(c.chat, c.person) for c in reversed(choices)] == list(
            reversed(choices)
        )
