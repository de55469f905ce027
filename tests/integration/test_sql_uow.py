"""SqlUnitOfWork: all repositories in one transaction, discarded unless committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from buurtbot.adapters.sql import SqlUnitOfWork
from buurtbot.core.actions import SendText
from buurtbot.core.domain.model import Person
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import ChatRef, GemeenteId, PersonId, Platform
from buurtbot.core.text import RichText

UowFactory = Callable[[], SqlUnitOfWork]
GEMEENTE = GemeenteId("hof-van-twente")  # the sample network's (conftest.py)

AT = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SEND = SendText(chat=ChatRef(Platform.TELEGRAM, "-1"), text=RichText.of("hoi"))


def _write_everything(uow_factory: UowFactory, network: Network, *, commit: bool) -> None:
    with uow_factory() as uow:
        uow.networks.save(network)
        uow.persons.save(Person(PersonId("p"), GEMEENTE, "P"))
        uow.events.claim("e", AT)
        uow.outbox.add(SEND, key="k", at=AT)
        if commit:
            uow.commit()


def _state(uow_factory: UowFactory) -> tuple[object, ...]:
    with uow_factory() as uow:
        return (
            uow.networks.all(),
            uow.persons.get(PersonId("p")),
            uow.outbox.due(AT, 10),
        )


def test_leaving_without_commit_discards_everything(
    uow_factory: UowFactory, network: Network
) -> None:
    _write_everything(uow_factory, network, commit=False)
    assert _state(uow_factory) == ([], None, [])


def test_an_exception_rolls_back(uow_factory: UowFactory, network: Network) -> None:
    def fail_halfway() -> None:
        with uow_factory() as uow:
            uow.networks.save(network)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_halfway()
    assert _state(uow_factory) == ([], None, [])


def test_commit_keeps_everything(uow_factory: UowFactory, network: Network) -> None:
    _write_everything(uow_factory, network, commit=True)
    networks, person, due = _state(uow_factory)
    assert networks == [network]
    assert person == Person(PersonId("p"), GEMEENTE, "P")
    assert [item.action for item in due] == [SEND]  # type: ignore[attr-defined]


def test_rollback_undoes_only_what_was_not_committed(
    uow_factory: UowFactory, network: Network
) -> None:
    with uow_factory() as uow:
        uow.networks.save(network)
        uow.commit()
        uow.persons.save(Person(PersonId("p"), GEMEENTE, "P"))
        uow.rollback()
        assert uow.persons.get(PersonId("p")) is None
        uow.rollback()  # harmless twice
    networks, person, _ = _state(uow_factory)
    assert networks == [network]
    assert person is None


def test_a_unit_of_work_can_be_entered_again_but_not_twice_at_once(
    uow_factory: UowFactory,
) -> None:

    uow = uow_factory()
    for n in range(2):
        with uow:
            assert uow.events.claim(f"e{n}", AT)
            uow.commit()
    with uow, pytest.raises(RuntimeError, match="already in use"), uow:
        pass
    with uow_factory() as check:
        assert not check.events.claim("e0", AT)
        assert not check.events.claim("e1", AT)


def test_values_stay_readable_after_commit(uow_factory: UowFactory, network: Network) -> None:
    with uow_factory() as uow:
        uow.networks.save(network)
        uow.commit()
        assert uow.networks.get(GEMEENTE) == network
