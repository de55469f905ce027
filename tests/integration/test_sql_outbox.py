"""SqlOutbox: idempotent queuing, claiming with a lease, order per chat, retry and give-up."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from buurtbot.adapters.sql import SqlUnitOfWork
from buurtbot.adapters.sql.orm import OutboxRow
from buurtbot.core.actions import Action, RemoveMember, SendText
from buurtbot.core.ids import ChatRef, Platform, PlatformIdentity
from buurtbot.core.ports import OutboxItem
from buurtbot.core.text import RichText

UowFactory = Callable[[], SqlUnitOfWork]

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
A = ChatRef(Platform.TELEGRAM, "-100")
B = ChatRef(Platform.SIGNAL, "group.b")
A_PRIVATE = ChatRef(Platform.TELEGRAM, "-100", private=True)  # another chat than A


def say(chat: ChatRef, text: str) -> SendText:
    return SendText(chat=chat, text=RichText.of(text))


def fill(uow_factory: UowFactory, *actions: Action, at: datetime = T0) -> list[int]:
    """Queue ``actions`` one second apart under keys k0, k1, ...; returns their ids."""
    with uow_factory() as uow:
        for n, action in enumerate(actions):
            assert uow.outbox.add(action, key=f"k{n}", at=at + timedelta(seconds=n))
        uow.commit()
        return [r.id for r in uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id))]


def claim(uow_factory: UowFactory, now: datetime, limit: int = 100) -> list[OutboxItem]:
    with uow_factory() as uow:
        items = uow.outbox.due(now, limit)
        uow.commit()
        return items


def texts(items: list[OutboxItem]) -> list[str]:
    return [i.action.text.plain if isinstance(i.action, SendText) else "?" for i in items]


def row(uow_factory: UowFactory, item_id: int) -> OutboxRow:
    with uow_factory() as uow:
        found = uow.session.get(OutboxRow, item_id)
        assert found is not None
        uow.session.expunge(found)  # keep its loaded values after the session ends
        return found


def test_add_is_idempotent_per_key(uow_factory: UowFactory) -> None:
    kick = RemoveMember(chat=A, user=PlatformIdentity(Platform.TELEGRAM, "7"))
    kick_b = RemoveMember(chat=B, user=PlatformIdentity(Platform.SIGNAL, "+31600000007"))
    with uow_factory() as uow:
        assert uow.outbox.add(kick, key="warn:3:remove", at=T0) is True
        assert uow.outbox.add(say(A, "other"), key="warn:3:remove", at=T0) is False
        uow.commit()
    with uow_factory() as uow:
        assert uow.outbox.add(kick, key="warn:3:remove", at=T0 + timedelta(hours=1)) is False
        assert uow.outbox.add(kick_b, key="warn:4:remove", at=T0) is True
        uow.commit()
    items = claim(uow_factory, T0)
    assert [(i.key, i.action, i.attempts) for i in items] == [
        ("warn:3:remove", kick, 0),
        ("warn:4:remove", kick_b, 0),
    ]


def test_due_gives_oldest_first_and_only_what_is_due(uow_factory: UowFactory) -> None:
    fill(uow_factory, say(A, "a1"), say(B, "b1"), say(A_PRIVATE, "p1"), say(B, "b2"))
    assert claim(uow_factory, T0 - timedelta(seconds=1)) == []
    assert texts(claim(uow_factory, T0 + timedelta(seconds=2))) == ["a1", "b1", "p1"]
    assert texts(claim(uow_factory, T0 + timedelta(seconds=10))) == []  # b2 waits for b1


def test_a_claim_holds_until_its_lease_lapses(uow_factory: UowFactory) -> None:
    fill(uow_factory, say(A, "a1"), say(B, "b1"))
    assert texts(claim(uow_factory, T0, limit=1)) == ["a1"]
    assert texts(claim(uow_factory, T0 + timedelta(seconds=29))) == ["b1"]
    # Both workers died: after the 30 s lease both items are handed out again.
    again = claim(uow_factory, T0 + timedelta(seconds=31))
    assert texts(again) == ["a1"]
    assert texts(claim(uow_factory, T0 + timedelta(seconds=60))) == ["b1"]
    assert row(uow_factory, again[0].id).claimed_until == T0 + timedelta(seconds=61)


def test_only_the_oldest_pending_item_of_a_chat_is_handed_out(uow_factory: UowFactory) -> None:
    ids = fill(uow_factory, say(A, "a1"), say(A, "a2"), say(A, "a3"), say(B, "b1"), say(B, "b2"))
    now = T0 + timedelta(minutes=1)
    first = claim(uow_factory, now, limit=10)
    assert texts(first) == ["a1", "b1"]
    # a2 must not overtake a1, which is still out with the first worker.
    assert claim(uow_factory, now) == []
    with uow_factory() as uow:
        uow.outbox.delivered(ids[0], now)
        uow.commit()
    assert texts(claim(uow_factory, now)) == ["a2"]
    with uow_factory() as uow:
        uow.outbox.delivered(ids[1], now)
        uow.outbox.delivered(ids[3], now)
        uow.commit()
    assert texts(claim(uow_factory, now, limit=1)) == ["a3"]
    assert texts(claim(uow_factory, now, limit=1)) == ["b2"]


def test_retry_postpones_the_item_and_its_chat(uow_factory: UowFactory) -> None:
    fill(uow_factory, say(A, "a1"), say(A, "a2"), say(B, "b1"))
    now = T0 + timedelta(seconds=5)
    a1 = claim(uow_factory, now, limit=1)[0]
    with uow_factory() as uow:
        uow.outbox.retry(a1.id, now + timedelta(seconds=30), "429 Too Many Requests")
        uow.commit()
    stored = row(uow_factory, a1.id)
    assert (stored.attempts, stored.claimed_until, stored.last_error, stored.state) == (
        1,
        None,
        "429 Too Many Requests",
        "pending",
    )
    assert stored.due_at == now + timedelta(seconds=30)
    # a2 may not go before a1 does; the other chat is not held up.
    assert texts(claim(uow_factory, now + timedelta(seconds=29))) == ["b1"]
    retried = claim(uow_factory, now + timedelta(seconds=30))
    assert texts(retried) == ["a1"]
    assert retried[0].attempts == 1


def test_dead_items_stay_but_no_longer_block(uow_factory: UowFactory) -> None:
    ids = fill(uow_factory, say(A, "a1"), say(A, "a2"))
    with uow_factory() as uow:
        uow.outbox.retry(ids[0], T0 + timedelta(hours=1), "timeout")
        uow.commit()
    assert claim(uow_factory, T0 + timedelta(minutes=1)) == []
    with uow_factory() as uow:
        uow.outbox.dead(ids[0], "403 Forbidden: bot was kicked")
        uow.commit()
    assert texts(claim(uow_factory, T0 + timedelta(minutes=1))) == ["a2"]
    with uow_factory() as uow:
        uow.outbox.delivered(ids[1], T0 + timedelta(minutes=1))
        uow.commit()
    stored = row(uow_factory, ids[0])
    assert (stored.state, stored.attempts, stored.last_error) == (
        "dead",
        1,  # retries counted; giving up is not one
        "403 Forbidden: bot was kicked",
    )
    assert texts(claim(uow_factory, T0 + timedelta(days=1))) == []  # dead is never retried


def test_delivered_items_are_done(uow_factory: UowFactory) -> None:
    ids = fill(uow_factory, say(A, "a1"))
    item = claim(uow_factory, T0)[0]
    with uow_factory() as uow:
        uow.outbox.delivered(item.id, T0 + timedelta(seconds=1))
        uow.commit()
    stored = row(uow_factory, ids[0])
    assert (stored.state, stored.delivered_at, stored.claimed_until) == (
        "delivered",
        T0 + timedelta(seconds=1),
        None,
    )
    assert claim(uow_factory, T0 + timedelta(days=1)) == []


def test_unknown_items_are_an_error(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        with pytest.raises(KeyError):
            uow.outbox.delivered(404, T0)
        with pytest.raises(KeyError):
            uow.outbox.retry(404, T0, "x")
        with pytest.raises(KeyError):
            uow.outbox.dead(404, "x")


def test_a_rolled_back_claim_is_released(uow_factory: UowFactory) -> None:
    fill(uow_factory, say(A, "a1"))
    with uow_factory() as uow:
        assert texts(uow.outbox.due(T0, 10)) == ["a1"]
    assert texts(claim(uow_factory, T0)) == ["a1"]


# -- PostgreSQL: several workers at once ------------------------------------------------------
@pytest.mark.postgres
def test_a_locked_older_item_blocks_its_chat(pg_uow_factory: UowFactory) -> None:
    """Rows another worker has locked (not yet committed) are skipped, and so is
    everything queued after them in the same chat."""
    fill(pg_uow_factory, say(A, "a1"), say(A, "a2"), say(B, "b1"))
    with pg_uow_factory() as first:
        assert texts(first.outbox.due(T0 + timedelta(seconds=5), 1)) == ["a1"]
        # Not committed: a1 is locked, and its claim is not visible to others yet.
        assert texts(claim(pg_uow_factory, T0 + timedelta(seconds=5))) == ["b1"]
        first.commit()
    assert claim(pg_uow_factory, T0 + timedelta(seconds=5)) == []


@pytest.mark.postgres
def test_concurrent_workers_never_claim_the_same_item(pg_uow_factory: UowFactory) -> None:
    chats = [ChatRef(Platform.TELEGRAM, f"-{n}") for n in range(20)]
    with pg_uow_factory() as uow:
        for n in range(200):
            uow.outbox.add(say(chats[n % 20], str(n)), key=f"k{n}", at=T0)
        uow.commit()
        all_ids = sorted(uow.session.scalars(select(OutboxRow.id)))
    now = T0 + timedelta(seconds=1)
    claimed: list[int] = []
    delivered_per_chat: dict[str, list[int]] = defaultdict(list)
    lock = threading.Lock()
    errors: list[BaseException] = []
    deadline = time.monotonic() + 30

    def worker() -> None:
        try:
            while time.monotonic() < deadline:
                with pg_uow_factory() as uow:
                    items = uow.outbox.due(now, 7)
                    uow.commit()
                with lock:
                    claimed.extend(i.id for i in items)
                    done = len(claimed) >= len(all_ids)
                for item in items:
                    with pg_uow_factory() as uow:
                        uow.outbox.delivered(item.id, now)
                        with lock:  # record before commit: the next one waits for it
                            delivered_per_chat[item.action.chat.chat_id].append(item.id)
                        uow.commit()
                if done:
                    return
                if not items:
                    time.sleep(0.005)
                    with lock:
                        if len(claimed) >= len(all_ids):
                            return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(claimed) == all_ids  # every item claimed, none twice
    assert sum(len(v) for v in delivered_per_chat.values()) == 200
    for ids in delivered_per_chat.values():
        assert ids == sorted(ids)


def test_add_all_queues_many_and_flags_each(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.outbox.add(say(A, "first"), key="x1", at=T0)
        flags = uow.outbox.add_all(
            [(say(A, "again"), "x1"), (say(B, "b"), "x2"), (say(A, "a"), "x3"),
             (say(B, "twice"), "x2")],
            at=T0,
        )  # fmt: skip
        assert flags == [False, True, True, False]
        assert uow.outbox.add_all([], at=T0) == []
        uow.commit()
    assert texts(claim(uow_factory, T0)) == ["first", "b"]  # one per chat, in queue order
    # Many more than fit one statement.
    with uow_factory() as uow:
        many = [(say(ChatRef(Platform.TELEGRAM, f"-9{n}"), f"m{n}"), f"m{n}") for n in range(450)]
        assert uow.outbox.add_all(many, at=T0) == [True] * 450
        uow.commit()
    # The new chats' items; "first" and "b" are still claimed, and "a" waits behind "first".
    assert len(claim(uow_factory, T0, limit=1000)) == 450
