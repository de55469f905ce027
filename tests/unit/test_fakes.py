"""The in-memory storage fakes keep the transaction contract the service tests rely on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from buurtbot.core.actions import SendText
from buurtbot.core.domain.aanmelding import hash_token
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.dialogue import Dialogue
from buurtbot.core.domain.escalation import EscalationId, Target, TargetKind
from buurtbot.core.domain.melding import Called112
from buurtbot.core.domain.model import Gemeente, Group, GroupKind, Membership, Person
from buurtbot.core.domain.moderation import Block
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import (
    ChatRef,
    GemeenteId,
    GroupId,
    MessageRef,
    PersonId,
    Platform,
    PlatformIdentity,
)
from buurtbot.core.text import RichText
from tests.fakes import FakeConflict, FakeStore, FakeUnitOfWork, IdentityTaken, fake_uow_factory
from tests.integration import test_sql_bot_state as bot_state_contract
from tests.integration import test_sql_flows_storage as contract
from tests.integration import test_sql_police_followup as followup_contract
from tests.integration import test_sql_signup_storage as signup_contract

# The storage contracts (bot state, core flows, sign-ups), written against the ports and
# run on both databases in tests/integration, run here again on the fakes (``uow_factory``).
from tests.integration.test_sql_bot_state import (  # noqa: F401 - collected by pytest
    test_a_key_has_1_to_100_characters,
    test_a_rolled_back_put_leaves_the_old_value,
    test_a_value_is_stored_read_back_and_replaced,
    test_outbox_counts_every_state,
    test_values_keep_any_text_of_any_length,
)
from tests.integration.test_sql_flows_storage import (  # noqa: F401 - collected by pytest
    stored,
    test_a_block_is_in_force_until_lifted_and_one_at_a_time,
    test_a_delivered_item_remembers_its_message,
    test_a_delivery_is_recorded_once_per_target,
    test_a_dialogue_is_replaced_and_dropped,
    test_a_lifted_block_may_be_recorded_as_history,
    test_a_melding_reads_back_equal_and_is_found_by_its_message,
    test_a_message_in_another_chat_is_refused_and_changes_nothing,
    test_a_message_is_escalated_once_but_may_be_forwarded_many_times,
    test_a_nudge_once_a_day_per_kind,
    test_a_refused_delivery_spoils_nothing_of_its_batch,
    test_an_edit_of_a_sent_message_does_not_shadow_the_original,
    test_an_escalation_reads_back_and_is_found_by_its_source,
    test_delivered_without_a_message_and_dead_items,
    test_deliveries_in_one_batch_are_flagged_one_by_one,
    test_delivery_mistakes_are_refused,
    test_delivery_state_follows_the_outbox,
    test_escalation_references_must_be_known,
    test_one_melding_per_message_and_known_references,
    test_original_escalation_times_since_leave_out_forwards_and_older_ones,
    test_people_with_a_gemeente_role_are_found_in_one_go,
    test_policy_settings_are_stored_with_the_network,
    test_recent_escalations_are_the_gemeentes_newest_first,
    test_release_makes_an_item_due_again_without_counting_a_try,
    test_reporting_112_updates_the_melding,
    test_rolled_back_flow_writes_leave_nothing,
    test_the_audit_log_newest_first_with_ids,
    test_the_latest_melding_of_a_group,
    test_warning_mistakes_are_refused,
    test_warnings_of_a_person_newest_first_and_revoked,
)
from tests.integration.test_sql_police_followup import (  # noqa: F401 - collected by pytest
    test_a_follow_up_is_recorded_once_and_reads_back,
    test_a_follow_up_without_a_note_and_its_mistakes,
    test_a_reminder_is_recorded_once,
    test_an_escalation_added_with_its_follow_up_reads_back_whole,
    test_an_id_prefix_matches_literally_newest_first_in_every_gemeente,
    test_erasing_who_followed_up_keeps_the_follow_up_without_them,
    test_only_open_police_escalations_of_the_gemeente_are_due,
    test_the_reminder_job_sends_once,
)
from tests.integration.test_sql_signup_storage import (  # noqa: F401 - collected by pytest
    test_a_revoked_invite_cannot_be_used,
    test_a_rolled_back_use_leaves_the_invite_usable,
    test_aanmelding_references_must_be_known,
    test_aanmeldingen_in_state_and_for_group_oldest_first,
    test_an_aanmelding_reads_back_equal_and_is_updated,
    test_an_invite_reads_back_and_is_used_once,
    test_attempts_are_counted_per_account_and_kind_since_a_time,
    test_deleting_an_aanmelding_takes_its_invites,
    test_expired_unused_invites,
    test_invite_mistakes_are_refused,
    test_rolled_back_signup_writes_leave_nothing,
    test_signup_settings_are_stored_with_the_network,
    test_the_invites_of_an_aanmelding_oldest_first,
    test_waiting_per_buurt,
)

#: Contract tests that look at the database itself, so they do not run on the fakes.
SQL_ONLY = {
    "test_the_database_itself_allows_one_block_in_force",
    "test_erasing_a_person_keeps_what_they_did_and_forgets_what_was_theirs",
}
SIGNUP_SQL_ONLY = {
    "test_one_invite_redeemed_by_two_transactions_at_once_admits_one",
    "test_erasing_a_person_erases_their_aanmeldingen_and_invites",
    "test_a_policy_stored_before_the_signup_settings_reads_their_defaults",
}
BOT_STATE_SQL_ONLY = {
    "test_two_transactions_writing_one_key_both_commit_and_the_later_wins",
    "test_the_time_of_the_last_change_is_kept_in_utc",
    "test_downgrade_to_0003_drops_only_the_bot_state_and_upgrade_again",
}

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
GID = GemeenteId("g")
ANNA = Person(
    PersonId("g:anna"),
    GID,
    "Anna",
    identities=frozenset({PlatformIdentity(Platform.TELEGRAM, "1")}),
)
CHAT_A = ChatRef(Platform.TELEGRAM, "-100")
CHAT_B = ChatRef(Platform.SIGNAL, "group.b")


@pytest.fixture
def uow_factory() -> Callable[[], FakeUnitOfWork]:
    """What the imported contract tests run on: units of work of one fresh store."""
    return fake_uow_factory(FakeStore())


def test_every_flow_storage_contract_test_also_runs_on_the_fakes() -> None:
    tests = {name for name in vars(contract) if name.startswith("test_")}
    assert tests >= SQL_ONLY
    assert tests - SQL_ONLY <= set(globals())


FOLLOWUP_SQL_ONLY = {
    "test_the_reminder_query_reads_the_police_delivery_index",
    "test_downgrade_to_0004_drops_the_follow_up_and_keeps_the_escalations",
}


def test_every_police_followup_storage_contract_test_also_runs_on_the_fakes() -> None:
    tests = {name for name in vars(followup_contract) if name.startswith("test_")}
    assert tests >= FOLLOWUP_SQL_ONLY
    assert tests - FOLLOWUP_SQL_ONLY <= set(globals())


def test_every_signup_storage_contract_test_also_runs_on_the_fakes() -> None:
    tests = {name for name in vars(signup_contract) if name.startswith("test_")}
    assert tests >= SIGNUP_SQL_ONLY
    assert tests - SIGNUP_SQL_ONLY <= set(globals())


def test_every_bot_state_contract_test_also_runs_on_the_fakes() -> None:
    tests = {name for name in vars(bot_state_contract) if name.startswith("test_")}
    assert tests >= BOT_STATE_SQL_ONLY
    assert tests - BOT_STATE_SQL_ONLY <= set(globals())


def test_two_units_of_work_writing_one_bot_state_key_both_commit_and_the_later_wins() -> None:
    """As the SQL upsert: no conflict on the key; the later commit's value stays."""
    store = FakeStore()
    first, second = FakeUnitOfWork(store), FakeUnitOfWork(store)
    first.bot_state.put("k", "first", T0)
    second.bot_state.put("k", "second", T0)
    first.commit()
    second.commit()
    assert store.state.bot_state["k"] == ("second", T0)


def send(chat: ChatRef, text: str) -> SendText:
    return SendText(chat=chat, text=RichText.of(text))


def network(*groups: Group) -> Network:
    return Network(Gemeente(GID, "G"), (), (), groups)


def test_work_left_without_commit_changes_nothing() -> None:
    store = FakeStore()
    with fake_uow_factory(store)() as uow:
        uow.persons.save(ANNA)
        uow.events.claim("e1", T0)
        assert uow.persons.get(ANNA.id) == ANNA  # visible inside the unit of work
    assert store.state.persons == {}
    assert store.state.events == {}
    assert store.commits == 0


def test_commit_makes_work_visible_to_the_next_unit_of_work() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    with factory() as uow:
        uow.persons.save(ANNA)
        uow.commit()
        assert uow.committed == 1
    with factory() as uow:
        assert uow.persons.by_identity(PlatformIdentity(Platform.TELEGRAM, "1")) == ANNA
    assert store.commits == 1


def test_rollback_after_commit_keeps_the_commit_and_drops_later_work() -> None:
    store = FakeStore()
    uow = FakeUnitOfWork(store)
    uow.events.claim("e1", T0)
    uow.commit()
    uow.events.claim("e2", T0)
    uow.rollback()
    assert set(store.state.events) == {"e1"}
    assert uow.events.claim("e2", T0) is True  # gone with the rollback


def test_claiming_an_event_twice_is_refused_and_a_racing_claim_cannot_commit() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    first, second = factory(), factory()
    assert first.events.claim("e1", T0) is True
    assert first.events.claim("e1", T0) is False
    assert second.events.claim("e1", T0) is True  # has not seen the first's claim yet
    first.commit()
    with pytest.raises(FakeConflict):
        second.commit()
    assert store.commits == 1


def test_overlapping_units_of_work_with_unrelated_writes_both_commit() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    first, second = factory(), factory()
    first.events.claim("e1", T0)
    second.events.claim("e2", T0)
    first.commit()
    second.commit()
    assert set(store.state.events) == {"e1", "e2"}


def test_an_identity_belongs_to_one_person() -> None:
    uow = FakeUnitOfWork(FakeStore())
    uow.persons.save(ANNA)
    with pytest.raises(IdentityTaken):
        uow.persons.save(Person(PersonId("g:bert"), GID, "Bert", identities=ANNA.identities))


def test_saving_a_network_archives_dropped_groups_and_keeps_their_members() -> None:
    store = FakeStore()
    uow = FakeUnitOfWork(store)
    group = Group(GroupId("g:a"), GID, GroupKind.REGIE, CHAT_A, "A")
    uow.networks.save(network(group))
    uow.persons.save(ANNA)
    uow.memberships.replace_group(group.id, [Membership(group.id, ANNA.id)])
    uow.networks.save(network())
    uow.commit()
    assert store.state.archived_groups == {group.id: group}
    assert uow.networks.find_group(CHAT_A) is None
    assert uow.memberships.of_group(group.id) == [Membership(group.id, ANNA.id)]


def test_outbox_keys_are_idempotent_and_a_rolled_back_add_is_gone() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    with factory() as uow:
        assert uow.outbox.add(send(CHAT_A, "1"), key="k1", at=T0) is True
        assert uow.outbox.add(send(CHAT_A, "again"), key="k1", at=T0) is False
        uow.commit()
    with factory() as uow:
        uow.outbox.add(send(CHAT_A, "2"), key="k2", at=T0)
    assert [r.key for r in store.state.outbox.values()] == ["k1"]


def test_outbox_hands_out_one_item_per_chat_in_order_and_holds_later_ones_behind_a_retry() -> None:
    store = FakeStore(claim_seconds=30)
    uow = FakeUnitOfWork(store)
    uow.outbox.add(send(CHAT_A, "a1"), key="a1", at=T0)
    uow.outbox.add(send(CHAT_A, "a2"), key="a2", at=T0)
    uow.outbox.add(send(CHAT_B, "b1"), key="b1", at=T0)
    first = uow.outbox.due(T0, limit=10)
    assert [i.key for i in first] == ["a1", "b1"]
    assert uow.outbox.due(T0, limit=10) == []  # claimed, and a2 waits behind a1
    uow.outbox.retry(first[0].id, T0 + timedelta(minutes=5), "timeout")
    uow.outbox.delivered(first[1].id, T0)
    assert uow.outbox.due(T0 + timedelta(minutes=1), limit=10) == []  # a2 still behind a1
    again = uow.outbox.due(T0 + timedelta(minutes=5), limit=10)
    assert [(i.key, i.attempts) for i in again] == [("a1", 1)]


def test_an_outbox_claim_lapses_so_another_worker_can_take_the_item() -> None:
    uow = FakeUnitOfWork(FakeStore(claim_seconds=30))
    uow.outbox.add(send(CHAT_A, "a1"), key="a1", at=T0)
    assert len(uow.outbox.due(T0, limit=1)) == 1
    assert uow.outbox.due(T0 + timedelta(seconds=29), limit=1) == []
    assert [i.key for i in uow.outbox.due(T0 + timedelta(seconds=30), limit=1)] == ["a1"]


def test_dead_items_stay_for_inspection_and_do_not_block_their_chat() -> None:
    store = FakeStore()
    uow = FakeUnitOfWork(store)
    uow.outbox.add(send(CHAT_A, "a1"), key="a1", at=T0)
    uow.outbox.add(send(CHAT_A, "a2"), key="a2", at=T0)
    (item,) = uow.outbox.due(T0, limit=1)
    uow.outbox.dead(item.id, "chat gone")
    assert [i.key for i in uow.outbox.due(T0, limit=5)] == ["a2"]
    uow.commit()
    assert store.state.outbox[item.id].state == "dead"
    assert store.state.outbox[item.id].last_error == "chat gone"


# -- the flow stores ---------------------------------------------------------------------------
def test_two_units_of_work_nudging_one_person_cannot_both_commit() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    with factory() as uow:
        uow.persons.save(ANNA)
        uow.commit()
    first, second = factory(), factory()
    day = date(2024, 5, 1)
    assert first.nudges.first_today(ANNA.id, "chatter", day) is True
    assert second.nudges.first_today(ANNA.id, "chatter", day) is True  # not seen yet
    first.commit()
    with pytest.raises(FakeConflict):
        second.commit()
    assert store.state.nudges == {(ANNA.id, "chatter", day)}


def test_two_units_of_work_blocking_one_person_cannot_both_commit() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    with factory() as uow:
        uow.networks.save(network())
        uow.persons.save(ANNA)
        uow.commit()
    first, second = factory(), factory()
    first.blocks.add(Block(GID, ANNA.id, T0, "x"))
    second.blocks.add(Block(GID, ANNA.id, T0, "y"))
    first.commit()
    with pytest.raises(FakeConflict):
        second.commit()
    assert [b.reason for b in store.state.blocks] == ["x"]


def test_audit_ids_are_unique_across_units_of_work_and_rollbacks() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    with factory() as uow:
        uow.networks.save(network())
        uow.commit()
    with factory() as uow:
        uow.audit.add(AuditEntry(GID, T0, AuditAction.WARNED))  # rolled back
    first, second = factory(), factory()
    first.audit.add(AuditEntry(GID, T0, AuditAction.WARNED))
    second.audit.add(AuditEntry(GID, T0, AuditAction.REMOVED))
    first.commit()
    second.commit()
    assert [e.id for e in store.state.audit] == [2, 3]


def test_forget_person_does_what_the_databases_on_delete_rules_do() -> None:
    store = FakeStore()
    uow = FakeUnitOfWork(store)
    group = Group(GroupId("g:a"), GID, GroupKind.BUURT, CHAT_A, "A")
    bert = Person(PersonId("g:bert"), GID, "Bert")
    uow.networks.save(network(group))
    uow.persons.save(ANNA)
    uow.persons.save(bert)
    message = MessageRef(CHAT_A, "1")
    uow.meldingen.save(
        contract.melding(
            group_id=group.id,
            reporter=ANNA.id,
            message=message,
            called_112=Called112(ANNA.id, "Anna", T0),
        )
    )
    uow.escalations.add(
        contract.escalation(source_group=group.id, source_message=message, escalated_by=ANNA.id)
    )
    private = ChatRef(Platform.TELEGRAM, "1", private=True)
    uow.escalations.add_delivery(
        contract.delivery(Target(TargetKind.POLITIE, person_id=ANNA.id), private, "k")
    )
    uow.warnings.add(contract.warning("w1", T0, group_id=group.id, person_id=bert.id, by=ANNA.id))
    uow.blocks.add(Block(GID, ANNA.id, T0, "x"))
    uow.blocks.add(Block(GID, bert.id, T0, "y", by=ANNA.id))
    uow.audit.add(AuditEntry(GID, T0, AuditAction.BLOCKED, actor=ANNA.id, subject=bert.id))
    uow.dialogues.put(Dialogue(private, ANNA.id, "melding", "where", T0, T0))
    uow.nudges.first_today(ANNA.id, "chatter", date(2024, 5, 1))
    uow.commit()

    store.state.forget_person(ANNA.id)
    uow = FakeUnitOfWork(store)
    m = uow.meldingen.get("m1")
    assert m is not None
    assert (m.reporter, m.called_112) == (None, Called112(None, "Anna", T0))
    e = uow.escalations.get(EscalationId("e1"))
    assert e is not None
    assert e.escalated_by == ""
    assert uow.escalations.deliveries(EscalationId("e1")) == []
    assert [w.by for w in uow.warnings.of_person(GID, bert.id)] == [""]
    assert uow.blocks.in_force(GID, ANNA.id) is None
    block = uow.blocks.in_force(GID, bert.id)
    assert block is not None
    assert block.by is None
    assert [(a.actor, a.subject) for a in uow.audit.recent(GID, 5)] == [(None, bert.id)]
    assert uow.dialogues.get(private, ANNA.id) is None
    assert store.state.nudges == set()


# -- sign-ups ----------------------------------------------------------------------------------
def test_two_units_of_work_redeeming_one_invite_cannot_both_commit() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    with factory() as uow:
        uow.networks.save(contract.NETWORK_G)
        uow.aanmeldingen.save(signup_contract.aanmelding())
        uow.invites.add(signup_contract.invite())
        uow.commit()
    token = hash_token("t1")
    first, second = factory(), factory()
    assert first.invites.use(token, T0, signup_contract.CARLA) is True
    assert second.invites.use(token, T0, signup_contract.DIRK) is True  # not seen yet
    first.commit()
    with pytest.raises(FakeConflict):
        second.commit()
    assert store.state.invites[token].used_by == signup_contract.CARLA
    with factory() as uow:  # after the conflict, the loser sees the invite used
        assert uow.invites.use(token, T0, signup_contract.DIRK) is False


def test_forget_person_erases_their_aanmeldingen_and_invites_and_forgets_deciders() -> None:
    store = FakeStore()
    uow = FakeUnitOfWork(store)
    uow.networks.save(contract.NETWORK_G)
    anna, bert = Person(contract.ANNA, GID, "Anna"), Person(contract.BERT, GID, "Bert")
    uow.persons.save(anna)
    uow.persons.save(bert)
    mine = signup_contract.aanmelding("A1", person_id=anna.id)
    decided = signup_contract.aanmelding("A2", person_id=bert.id, decided_by=anna.id)
    uow.aanmeldingen.save(mine)
    uow.aanmeldingen.save(decided)
    uow.invites.add(signup_contract.invite("t1", "A1"))
    uow.invites.add(signup_contract.invite("t2", "A2"))
    uow.commit()

    store.state.forget_person(anna.id)
    uow = FakeUnitOfWork(store)
    assert uow.aanmeldingen.get("A1") is None
    assert uow.invites.for_aanmelding("A1") == []
    assert uow.aanmeldingen.get("A2") == signup_contract.aanmelding("A2", person_id=bert.id)
    assert uow.invites.for_aanmelding("A2") == [signup_contract.invite("t2", "A2")]
