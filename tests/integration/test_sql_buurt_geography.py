"""A buurt's optional geography (location, outline) survives storage exactly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import Engine, select, text

from buurtbot.adapters.sql import SqlUnitOfWork
from buurtbot.adapters.sql.orm import BuurtRow
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import GemeenteId

UowFactory = Callable[[], SqlUnitOfWork]
GEMEENTE = GemeenteId("hof-van-twente")  # the sample network's (conftest.py)
OUTLINE = (
    ((52.2301, 6.5702), (52.2302, 6.5901), (52.2403, 6.5904)),
    ((52.25, 6.6), (52.25, 6.61), (52.26, 6.61), (52.26, 6.6)),
)


def _save(uow_factory: UowFactory, network: Network) -> None:
    with uow_factory() as uow:
        uow.networks.save(network)
        uow.commit()


def _with_geography(network: Network) -> Network:
    first, second, *rest = network.buurten
    return replace(
        network,
        buurten=(
            replace(first, location=(52.2336, 6.5839), outline=OUTLINE),
            replace(second, location=(-33.8688, 151.2093)),
            *rest,
        ),
    )


def test_location_and_outline_read_back_equal(
    uow_factory: UowFactory, migrated_engine: Engine, network: Network
) -> None:
    located = _with_geography(network)
    _save(uow_factory, located)
    with uow_factory() as uow:
        back = uow.networks.get(GEMEENTE)
        assert back == located
        assert back is not None
        assert back.buurten[0].outline == OUTLINE
        assert back.buurten[1].location == (-33.8688, 151.2093)
        assert back.buurten[2].location is None
    with migrated_engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(BuurtRow.id, BuurtRow.location))}
        bare = set(conn.scalars(text("SELECT id FROM buurt WHERE location IS NULL")))
        no_outline = set(conn.scalars(text("SELECT id FROM buurt WHERE outline IS NULL")))
    assert rows[network.buurten[1].id].location == [-33.8688, 151.2093]
    # Without geography the columns are SQL NULL (not JSON null, not []).
    assert bare == {b.id for b in network.buurten[2:]}
    assert no_outline == {b.id for b in network.buurten[1:]}


def test_geography_can_change_and_go_again(uow_factory: UowFactory, network: Network) -> None:
    _save(uow_factory, _with_geography(network))
    moved = replace(
        network,
        buurten=(replace(network.buurten[0], outline=OUTLINE[:1]), *network.buurten[1:]),
    )
    _save(uow_factory, moved)
    with uow_factory() as uow:
        assert uow.networks.get(GEMEENTE) == moved
    _save(uow_factory, network)
    with uow_factory() as uow:
        assert uow.networks.get(GEMEENTE) == network
