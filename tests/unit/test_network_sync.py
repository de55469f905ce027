"""Applying network files to storage: idempotent, and nothing the bot did gets lost."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from buurtbot.config.network_file import load_network_file
from buurtbot.core.domain.model import (
    GemeenteRole,
    Group,
    GroupKind,
    GroupRole,
    Locale,
    Membership,
    Person,
    RoleSource,
)
from buurtbot.core.domain.networkspec import NetworkSpec
from buurtbot.core.ids import (
    ChatRef,
    GemeenteId,
    GroupId,
    PersonId,
    Platform,
    PlatformIdentity,
)
from buurtbot.core.services.network_sync import (
    NetworkSyncError,
    SyncReport,
    apply_network,
    merge_roles,
)
from tests.fakes import FakeStore, FakeUnitOfWork, fake_uow_factory

L, M, E = GroupRole.LID, GroupRole.MEDE_BEHEERDER, GroupRole.EIGENAAR
FILE, BOT = RoleSource.NETWORK_FILE, RoleSource.BOT
G = GemeenteId("g")
GA, GB, COORD = GroupId("g:ga"), GroupId("g:gb"), GroupId("g:coord")

NETWORK = """
[gemeente]
id = "g"
name = "Gemeente G"

[[kern]]
id = "k"
name = "Kern K"

[[buurt]]
id = "a"
kern = "k"
name = "Buurt A"
postcodes = ["7471"]

[[buurt]]
id = "b"
kern = "k"
name = "Buurt B"
postcodes = ["7472"]
adjacent = ["a"]

[[group]]
id = "ga"
kind = "buurt"
buurt = "a"
platform = "telegram"
chat_id = "-1001"
name = "Group A"
eigenaar = "anna"
mede_beheerders = ["bert", "carla"]
leden = ["daan"]

[[group]]
id = "gb"
kind = "buurt"
buurt = "b"
platform = "signal"
chat_id = "group.Yg=="
name = "Group B"
eigenaar = "eva"

[[group]]
id = "coord"
kind = "coordinatoren"
platform = "console"
chat_id = "coord"
name = "Coordinatoren"
leden = ["anna", "bert", "carla", "eva"]

[[person]]
handle = "anna"
name = "Anna"
telegram = "11"

[[person]]
handle = "bert"
name = "Bert"

[[person]]
handle = "carla"
name = "Carla"

[[person]]
handle = "daan"
name = "Daan"

[[person]]
handle = "eva"
name = "Eva"
signal = "+31655555555"
roles = ["hoofdcoordinator"]
"""


def pid(handle: str) -> PersonId:
    return PersonId(f"g:{handle}")


def without(text: str, *starts: str) -> str:
    """``text`` without the ``[[...]]`` tables that begin with one of ``starts``."""
    blocks = text.split("\n\n")
    return "\n\n".join(b for b in blocks if not b.strip().startswith(starts))


def spec_of(tmp_path: Path, text: str = NETWORK) -> NetworkSpec:
    path = tmp_path / "net.toml"
    path.write_text(text, encoding="utf-8")
    return load_network_file(path)


def apply(store: FakeStore, spec: NetworkSpec) -> SyncReport:
    with fake_uow_factory(store)() as uow:
        report = apply_network(uow, spec)
        uow.commit()
    return report


def roles_in(store: FakeStore, group: GroupId) -> dict[str, tuple[GroupRole, RoleSource]]:
    return {
        m.person_id.split(":")[1]: (m.role, m.source)
        for m in store.state.memberships.get(group, {}).values()
    }


def add_by_bot(store: FakeStore, group: GroupId, *memberships: Membership) -> None:
    """What the bot does between two loads: admit or appoint people."""
    with fake_uow_factory(store)() as uow:
        for m in memberships:
            if uow.persons.get(m.person_id) is None:
                uow.persons.save(Person(m.person_id, G, m.person_id.title()))
        current = {x.person_id: x for x in uow.memberships.of_group(group)}
        current.update({m.person_id: m for m in memberships})
        uow.memberships.replace_group(group, list(current.values()))
        uow.commit()


@pytest.fixture
def store(tmp_path: Path) -> FakeStore:
    loaded = FakeStore()
    apply(loaded, spec_of(tmp_path))
    return loaded


# -- first load and reload -------------------------------------------------------------------
def test_a_first_load_stores_everything_and_reports_it(tmp_path: Path) -> None:
    store = FakeStore()
    report = apply(store, spec_of(tmp_path))
    assert (report.count("added", "buurt"), report.count("added", "person")) == (2, 5)
    assert report.count("added", "membership") == 9
    assert report.added["role"] == ["Eva: hoofdcoordinator"]
    assert "added 2 buurten: Buurt A, Buurt B" in str(report)
    assert roles_in(store, GA) == {
        "anna": (E, FILE),
        "bert": (M, FILE),
        "carla": (M, FILE),
        "daan": (L, FILE),
    }
    assert store.state.gemeente_roles == {(G, pid("eva")): {GemeenteRole.HOOFDCOORDINATOR}}
    assert store.state.persons[pid("anna")].identities == {
        PlatformIdentity(Platform.TELEGRAM, "11")
    }


def test_loading_the_same_file_twice_changes_nothing_the_second_time(
    tmp_path: Path, store: FakeStore
) -> None:
    before = store.snapshot()
    report = apply(store, spec_of(tmp_path))
    assert not report.changed
    assert str(report) == "Gemeente G (g): no changes"
    assert store.state == before


def test_the_network_is_only_saved_when_it_changed(tmp_path: Path, store: FakeStore) -> None:
    uow = FakeUnitOfWork(store)
    apply_network(uow, spec_of(tmp_path))
    assert uow.writes == []  # not a single write


# -- a changed file --------------------------------------------------------------------------
def test_a_renamed_buurt_is_updated(tmp_path: Path, store: FakeStore) -> None:
    report = apply(store, spec_of(tmp_path, NETWORK.replace('"Buurt A"', '"Buurt Aa"')))
    assert report.updated == {"buurt": ["Buurt Aa"]}
    assert [b.name for b in store.state.networks[G].buurten] == ["Buurt Aa", "Buurt B"]


def test_a_new_eigenaar_takes_over_and_the_old_one_stays_as_lid(
    tmp_path: Path, store: FakeStore
) -> None:
    text = NETWORK.replace('eigenaar = "anna"', 'eigenaar = "daan"').replace(
        'leden = ["daan"]', "leden = []"
    )
    report = apply(store, spec_of(tmp_path, text))
    assert roles_in(store, GA) == {
        "anna": (L, FILE),
        "bert": (M, FILE),
        "carla": (M, FILE),
        "daan": (E, FILE),
    }
    assert "Anna in Group A: eigenaar → lid" in report.updated["membership"]
    assert "Daan in Group A: lid → eigenaar" in report.updated["membership"]


def test_a_new_eigenaar_from_the_mede_beheerders_swaps_roles_when_the_file_says_so(
    tmp_path: Path, store: FakeStore
) -> None:
    text = NETWORK.replace('eigenaar = "anna"', 'eigenaar = "bert"').replace(
        'mede_beheerders = ["bert", "carla"]', 'mede_beheerders = ["anna", "carla"]'
    )
    apply(store, spec_of(tmp_path, text))
    assert roles_in(store, GA)["anna"] == (M, FILE)
    assert roles_in(store, GA)["bert"] == (E, FILE)


def test_a_removed_mede_beheerder_stays_in_the_group_as_lid(
    tmp_path: Path, store: FakeStore
) -> None:
    text = NETWORK.replace('mede_beheerders = ["bert", "carla"]', 'mede_beheerders = ["bert"]')
    text = text.replace(
        'leden = ["anna", "bert", "carla", "eva"]', 'leden = ["anna", "bert", "eva"]'
    )
    report = apply(store, spec_of(tmp_path, text))
    assert roles_in(store, GA)["carla"] == (L, FILE)
    assert "carla" in roles_in(store, COORD)  # still a member there too, as the file is silent
    assert report.updated["membership"] == ["Carla in Group A: mede-beheerder → lid"]


def test_a_removed_buurt_and_its_group_are_archived_with_their_members(
    tmp_path: Path, store: FakeStore
) -> None:
    text = without(NETWORK, '[[group]]\nid = "gb"', '[[buurt]]\nid = "b"')
    report = apply(store, spec_of(tmp_path, text))
    assert report.archived == {"buurt": ["Buurt B"], "group": ["Group B"]}
    assert [g.id for g in store.state.networks[G].groups] == [GA, COORD]
    assert GB in store.state.archived_groups
    assert roles_in(store, GB) == {"eva": (E, FILE)}  # history survives


def test_members_the_bot_added_survive_a_reload(tmp_path: Path, store: FakeStore) -> None:
    add_by_bot(store, GA, Membership(GA, PersonId("bot:frank"), L, BOT))
    text = NETWORK.replace('leden = ["daan"]', "leden = []")  # daan dropped from the file
    apply(store, spec_of(tmp_path, text))
    assert roles_in(store, GA)["frank"] == (L, BOT)
    assert roles_in(store, GA)["daan"] == (L, FILE)


def test_a_mede_beheerder_the_bot_appointed_stays_while_the_file_is_silent(
    tmp_path: Path, store: FakeStore
) -> None:
    add_by_bot(store, GB, Membership(GB, PersonId("bot:gijs"), M, BOT))
    report = apply(store, spec_of(tmp_path))
    assert roles_in(store, GB)["gijs"] == (M, BOT)
    assert not report.changed


def test_the_file_wins_a_seat_from_a_bot_appointed_mede_beheerder_when_full() -> None:
    group = Group(GA, G, GroupKind.BUURT, ChatRef(Platform.CONSOLE, "a"), "A", buurt_id=None)
    stored = [
        Membership(GA, pid("anna"), E, FILE),
        Membership(GA, PersonId("bot:gijs"), M, BOT),
        Membership(GA, pid("bert"), L, BOT),
    ]
    stated = {pid("anna"): E, pid("bert"): M}
    merged = merge_roles(group, stored, stated, max_mede_beheerders=1)
    assert {(m.person_id, m.role, m.source) for m in merged} == {
        (pid("anna"), E, FILE),
        (pid("bert"), M, FILE),
        (PersonId("bot:gijs"), L, BOT),
    }


def test_a_role_the_file_states_becomes_the_files_so_a_later_file_can_undo_it(
    tmp_path: Path, store: FakeStore
) -> None:
    add_by_bot(store, GB, Membership(GB, pid("daan"), M, BOT))
    with_daan = NETWORK.replace('eigenaar = "eva"', 'eigenaar = "eva"\nmede_beheerders = ["daan"]')
    apply(store, spec_of(tmp_path, with_daan))
    assert roles_in(store, GB)["daan"] == (M, FILE)
    apply(store, spec_of(tmp_path))
    assert roles_in(store, GB)["daan"] == (L, FILE)


# -- persons ---------------------------------------------------------------------------------
def test_a_language_chosen_in_the_bot_survives_a_reload(tmp_path: Path, store: FakeStore) -> None:
    with fake_uow_factory(store)() as uow:
        anna = uow.persons.get(pid("anna"))
        assert anna is not None
        uow.persons.save(replace(anna, locale=Locale.EN))
        uow.commit()
    report = apply(store, spec_of(tmp_path))
    assert store.state.persons[pid("anna")].locale is Locale.EN
    assert not report.changed


def test_a_language_the_file_gives_is_applied(tmp_path: Path, store: FakeStore) -> None:
    text = NETWORK.replace('name = "Anna"', 'name = "Anna"\nlocale = "en"')
    report = apply(store, spec_of(tmp_path, text))
    assert store.state.persons[pid("anna")].locale is Locale.EN
    assert report.updated["person"] == ["Anna (language)"]


def test_an_account_linked_in_the_bot_on_another_platform_is_kept(
    tmp_path: Path, store: FakeStore
) -> None:
    signal = PlatformIdentity(Platform.SIGNAL, "+31611111111")
    with fake_uow_factory(store)() as uow:
        anna = uow.persons.get(pid("anna"))
        assert anna is not None
        uow.persons.save(replace(anna, identities=anna.identities | {signal}))
        uow.commit()
    apply(store, spec_of(tmp_path, NETWORK.replace('telegram = "11"', 'telegram = "12"')))
    assert store.state.persons[pid("anna")].identities == {
        PlatformIdentity(Platform.TELEGRAM, "12"),
        signal,
    }


def test_a_person_dropped_from_the_file_is_kept_but_loses_the_files_gemeente_roles(
    tmp_path: Path, store: FakeStore
) -> None:
    text = NETWORK.replace('eigenaar = "eva"', 'eigenaar = "daan"').replace(
        '"carla", "eva"]', '"carla", "daan"]'
    )
    text = without(text, '[[person]]\nhandle = "eva"')
    report = apply(store, spec_of(tmp_path, text))
    assert pid("eva") in store.state.persons
    assert (G, pid("eva")) not in store.state.gemeente_roles
    assert roles_in(store, GB)["eva"] == (L, FILE)
    assert "Eva: hoofdcoordinator → none (no longer in the file)" in report.updated["role"]


def test_an_account_of_a_person_of_another_gemeente_is_refused_before_any_change(
    tmp_path: Path,
) -> None:
    store = FakeStore()
    other = Person(
        PersonId("h:anne"),
        GemeenteId("h"),
        "Anne",
        handle="anne",
        identities=frozenset({PlatformIdentity(Platform.TELEGRAM, "11")}),
    )
    with fake_uow_factory(store)() as uow:
        uow.persons.save(other)
        uow.commit()
    uow = FakeUnitOfWork(store)
    with pytest.raises(NetworkSyncError) as info:
        apply_network(uow, spec_of(tmp_path))
    assert info.value.problems == [
        'person "anna": the telegram account 11 already belongs to Anne (h:anne, gemeente h)'
    ]
    assert uow.writes == []  # nothing written, not even in the unit of work


def test_a_renamed_handle_is_explained(tmp_path: Path, store: FakeStore) -> None:
    text = NETWORK.replace('handle = "anna"', 'handle = "anna2"').replace('"anna"', '"anna2"')
    with pytest.raises(NetworkSyncError, match='handle "anna" is no longer in the file'):
        apply(store, spec_of(tmp_path, text))


def test_an_account_of_someone_only_met_in_a_private_chat_moves_to_the_file_person(
    tmp_path: Path,
) -> None:
    store = FakeStore()
    stranger = Person(
        PersonId("tg-11"),
        None,
        "anna_t",
        locale=Locale.EN,
        identities=frozenset({PlatformIdentity(Platform.TELEGRAM, "11")}),
    )
    with fake_uow_factory(store)() as uow:
        uow.persons.save(stranger)
        uow.commit()
    report = apply(store, spec_of(tmp_path))
    anna = store.state.persons[pid("anna")]
    assert PlatformIdentity(Platform.TELEGRAM, "11") in anna.identities
    assert anna.locale is Locale.EN  # their choice came along
    assert store.state.persons[stranger.id].identities == frozenset()
    assert "moved from tg-11" in str(report)
