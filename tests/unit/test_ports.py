"""The contracts of the ports: pinned, so that changing one is a deliberate act."""

from __future__ import annotations

import asyncio
import socket

import pytest

from buurtbot.core import ports
from buurtbot.core.actions import Action, DeliveryResult
from buurtbot.core.ids import ChatRef, Platform


def test_chat_port_abstract_methods_are_pinned() -> None:
    assert ports.ChatPort.__abstractmethods__ == frozenset(
        {"initialize", "start", "stop", "perform"}
    )


@pytest.mark.parametrize(
    ("port", "methods"),
    [
        (ports.NetworkRepository, {"all", "get", "find_group", "save"}),
        (
            ports.PersonRepository,
            {
                "get",
                "by_identity",
                "by_handle",
                "in_gemeente",
                "save",
                "gemeente_roles",
                "set_gemeente_roles",
                "delete",
            },
        ),
        (ports.MembershipRepository, {"of_group", "of_person", "replace_group"}),
        (ports.ProcessedEvents, {"claim"}),
        (ports.PendingChoices, {"put", "take"}),
        (
            ports.Outbox,
            {
                "add",
                "due",
                "delivered",
                "sent_message",
                "key_of_message",
                "state",
                "retry",
                "release",
                "dead",
                "counts",
                "delete_delivered_before",
            },
        ),
        (
            ports.MeldingRepository,
            {"save", "get", "by_message", "latest_in_group", "reported_by", "delete_before"},
        ),
        (
            ports.EscalationRepository,
            {
                "add",
                "get",
                "by_source",
                "for_melding",
                "add_delivery",
                "deliveries",
                "by_outbox_key",
                "recent",
                "original_times_since",
                "with_id_prefix",
                "record_follow_up",
                "police_unfollowed_before",
                "mark_police_reminded",
                "delete_before",
            },
        ),
        (ports.WarningRepository, {"add", "of_person", "revoke", "delete_lapsed_before"}),
        (ports.BlockRepository, {"in_force", "add", "lift"}),
        (ports.AuditLog, {"add", "recent", "delete_before"}),
        (ports.Dialogues, {"get", "put", "drop"}),
        (ports.Nudges, {"first_today"}),
        (
            ports.AanmeldingRepository,
            {"save", "get", "in_state", "for_group", "waiting_per_buurt", "delete"},
        ),
        (
            ports.InviteRepository,
            {"add", "by_hash", "for_aanmelding", "use", "revoke", "expired_unused"},
        ),
        (ports.Attempts, {"record", "count"}),
        (ports.BotStateRepository, {"get", "put"}),
        (
            ports.DashboardAccessRepository,
            {"add", "take_link", "session", "end", "of_person", "delete_expired"},
        ),
        (
            ports.OverviewQueries,
            {"counts_per_group", "counts_per_day", "escalations", "group_sizes"},
        ),
        (ports.UnitOfWork, {"commit", "rollback"}),
        (ports.Clock, {"now"}),
        (ports.ChartRenderer, {"weekly_counts_png"}),
    ],
)
def test_storage_port_abstract_methods_are_pinned(port: type, methods: set[str]) -> None:
    assert port.__abstractmethods__ == frozenset(methods)


def test_a_unit_of_work_names_every_repository() -> None:
    assert set(ports.UnitOfWork.__annotations__) == {
        "networks",
        "persons",
        "memberships",
        "events",
        "choices",
        "outbox",
        "meldingen",
        "escalations",
        "warnings",
        "blocks",
        "audit",
        "dialogues",
        "nudges",
        "aanmeldingen",
        "invites",
        "attempts",
        "bot_state",
        "dashboard",
        "overview",
    }


def test_a_chat_port_has_nothing_to_check_unless_it_says_so() -> None:
    """``check_health`` and ``bot_username`` are optional: a port without them still works."""

    class Minimal(ports.ChatPort):
        async def initialize(self) -> None: ...

        async def start(self, sink: ports.EventSink) -> None: ...

        async def stop(self) -> None: ...

        async def perform(self, action: Action) -> DeliveryResult:
            raise NotImplementedError

    port = Minimal()
    assert port.bot_username is None
    chats = [ChatRef(Platform.TELEGRAM, "-1001")]
    assert asyncio.run(port.check_health(chats)) is None


def test_health_problems_have_stable_values() -> None:
    """They are stored (as JSON in the bot state): renaming one loses what was stored."""
    assert {p.value for p in ports.HealthProblem} == {
        "not-member",
        "not-admin",
        "cannot-invite",
        "cannot-remove",
        "cannot-promote",
        "cannot-delete",
        "cannot-read",
    }


def test_capabilities_default_to_the_careful_choice() -> None:
    """A platform that declares nothing gets numbered replies and no membership actions."""
    caps = ports.Capabilities()
    assert not caps.buttons
    assert not caps.invite_links
    assert not caps.join_requests
    assert not caps.add_members
    assert not caps.remove_members
    assert not caps.send_images


def test_transient_errors_carry_retry_after() -> None:
    error = ports.TransientDeliveryError("slow down", retry_after=12.5)
    assert error.retry_after == 12.5
    assert isinstance(error, ports.DeliveryError)
    assert not isinstance(ports.PermanentDeliveryError("gone"), ports.TransientDeliveryError)


def test_tests_cannot_reach_beyond_loopback() -> None:
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="loopback"):
        sock.connect(("192.0.2.1", 443))
