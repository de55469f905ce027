"""The Signal adapter against the signal-cli-rest-api stand-in, over real HTTP and WebSocket:
start-up checks, receiving (and staying connected), every action, the error mapping and the
health check."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from signalbot import LOGGER_NAME

from buurtbot.adapters.signal.adapter import SignalAdapter, SignalConfig, SignalUnavailable
from buurtbot.core.actions import (
    AddMember,
    AnswerButton,
    ApproveJoin,
    CopyMessage,
    CreateInvite,
    DeclineJoin,
    EditText,
    RemoveMember,
    SendFile,
    SendImage,
    SendText,
    SetAdmin,
)
from buurtbot.core.events import (
    CommandReceived,
    InboundEvent,
    MemberJoined,
    MemberLeft,
    MessageReceived,
)
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import (
    ChatHealth,
    HealthProblem,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from buurtbot.core.text import RichText, bold
from tests.eventually import eventually
from tests.images import PNG_SIGNATURE, tiny_png
from tests.standins.signal_api import SignalStandIn

BOT = "+31612345678"
FRANK = "+31687654321"
GERDA = "+31611122233"
HENK = "+31644455566"
ILSE = "+31677788899"
HEARTBEAT = 0.5
TIMEOUT = 5.0


def signal(number: str) -> PlatformIdentity:
    return PlatformIdentity(Platform.SIGNAL, number)


def private(number: str) -> ChatRef:
    return ChatRef(Platform.SIGNAL, number, private=True)


class Sink:
    """Collects what the adapter hands to the core."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[InboundEvent] = asyncio.Queue()
        self.fail_on: set[str] = set()

    async def __call__(self, event: InboundEvent) -> None:
        self.queue.put_nowait(event)
        text = getattr(event, "text", None)
        if text in self.fail_on:
            raise RuntimeError("the core fell over")

    async def next(self, timeout: float = TIMEOUT) -> InboundEvent:
        return await asyncio.wait_for(self.queue.get(), timeout)


def config(standin: SignalStandIn, **extra: Any) -> SignalConfig:
    settings: dict[str, Any] = {
        "service": standin.service,
        "number": standin.number,
        "heartbeat": HEARTBEAT,
        "request_timeout": 2.0,
        "send_timeout": 2.0,
        "connect_timeout": 2.0,
        "startup_timeout": 0.3,
        "backoff_base": 0.05,
        "backoff_cap": 0.4,
        **extra,
    }
    return SignalConfig(**settings)


@pytest.fixture
async def standin() -> AsyncIterator[SignalStandIn]:
    server = SignalStandIn(number=BOT)
    server.add_contact(FRANK, name="Frank")
    server.add_contact(GERDA, name="Gerda")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def group(standin: SignalStandIn) -> str:
    return standin.add_group("Buurtpreventie Goor West", [FRANK, GERDA], admins=[FRANK])


@pytest.fixture
async def adapter(standin: SignalStandIn, group: str) -> AsyncIterator[SignalAdapter]:
    port = SignalAdapter(config(standin))
    await port.initialize()
    yield port
    await port.stop()


@pytest.fixture
async def sink(adapter: SignalAdapter, standin: SignalStandIn) -> Sink:
    collected = Sink()
    await adapter.start(collected)
    await eventually(lambda: adapter.receive_status().connected and standin.connections == 1)
    return collected


# -- start-up ---------------------------------------------------------------------------------
async def test_initialize_checks_the_service_and_learns_the_groups(
    standin: SignalStandIn, group: str
) -> None:
    logger = logging.getLogger(LOGGER_NAME)
    handlers = list(logger.handlers)
    port = SignalAdapter(config(standin))
    await port.initialize()
    try:
        assert [(m, p) for m, p, _ in standin.calls] == [
            ("GET", "/v1/about"),
            ("GET", f"/v1/groups/{BOT}"),
        ]
        assert port.bot_username is None
        assert port.capabilities.add_members
        assert not port.capabilities.buttons
        assert logger.handlers == handlers  # signalbot's own stream handler is gone
    finally:
        await port.stop()
        await port.stop()  # twice is fine


async def test_wrong_mode_is_refused_with_what_to_do(standin: SignalStandIn) -> None:
    about = {
        "versions": ["v1", "v2"],
        "build": 2,
        "mode": "normal",
        "version": "0.101.0",
        "capabilities": {"v2/send": ["quotes", "mentions"]},
    }
    standin.fail_next("GET", "/v1/about", status=200, body=about)
    with pytest.raises(SignalUnavailable, match=r"'normal' mode.*MODE=json-rpc"):
        await SignalAdapter(config(standin)).initialize()


async def test_an_old_version_is_refused() -> None:
    server = SignalStandIn(number=BOT, version="0.95.0")
    await server.start()
    try:
        with pytest.raises(SignalUnavailable, match=r"version 0\.95\.0.*0\.101\.0 or newer"):
            await SignalAdapter(config(server)).initialize()
    finally:
        await server.stop()


async def test_no_service_is_refused_after_a_short_wait(standin: SignalStandIn) -> None:
    cfg = config(standin)
    await standin.stop()
    started = time.monotonic()
    with pytest.raises(SignalUnavailable, match="cannot reach signal-cli-rest-api"):
        await SignalAdapter(cfg).initialize()
    assert time.monotonic() - started < 2


async def test_an_unknown_account_is_refused(standin: SignalStandIn) -> None:
    port = SignalAdapter(config(standin, number="+31699999999"))
    with pytest.raises(SignalUnavailable, match="register or link that number"):
        await port.initialize()


async def test_wrong_credentials_are_refused() -> None:
    server = SignalStandIn(number=BOT, auth=("buurtbot", "geheim"))
    await server.start()
    try:
        with pytest.raises(SignalUnavailable, match="refused the credentials"):
            await SignalAdapter(config(server, username="buurtbot", password="fout")).initialize()
        port = SignalAdapter(config(server, username="buurtbot", password="geheim"))
        await port.initialize()
        sink = Sink()
        await port.start(sink)
        await eventually(lambda: server.connections == 1)
        await port.perform(SendText(chat=private(FRANK), text=RichText.of("hoi")))
        await port.stop()
        assert "geheim" not in repr(port.config)
    finally:
        await server.stop()


# -- receiving --------------------------------------------------------------------------------
async def test_a_direct_message(standin: SignalStandIn, sink: Sink) -> None:
    envelope = standin.push_message(FRANK, "Hallo buurtbot")
    event = await sink.next()
    assert isinstance(event, MessageReceived)
    assert event.chat == private(FRANK)
    assert event.sender.identity == signal(FRANK)
    assert event.sender.display_name == "Frank"
    assert event.text == "Hallo buurtbot"
    assert event.message == MessageRef(private(FRANK), f"{envelope['timestamp']}:{FRANK}")


async def test_a_group_message_and_a_photo(standin: SignalStandIn, group: str, sink: Sink) -> None:
    standin.push_message(GERDA, "Verdacht busje", group=group)
    event = await sink.next()
    assert isinstance(event, MessageReceived)
    assert event.chat == ChatRef(Platform.SIGNAL, group)
    assert event.sender.identity == signal(GERDA)
    standin.push_message(GERDA, None, group=group, attachments=[{"contentType": "image/jpeg"}])
    photo = await sink.next()
    assert isinstance(photo, MessageReceived)
    assert photo.has_photo


async def test_a_quote_of_the_bots_own_message_refers_to_what_perform_returned(
    standin: SignalStandIn, group: str, adapter: SignalAdapter, sink: Sink
) -> None:
    chat = ChatRef(Platform.SIGNAL, group)
    sent = await adapter.perform(SendText(chat=chat, text=RichText.of("Nieuwe melding")))
    assert sent.message is not None
    stamp = standin.sent[-1].timestamp
    standin.push_message(
        FRANK, "/escalate buren", group=group, quote=(BOT, stamp, "Nieuwe melding")
    )
    event = await sink.next()
    assert isinstance(event, CommandReceived)
    assert (event.name, event.args) == ("escalate", ("buren",))
    assert event.reply_to == sent.message  # how the outbox finds what was replied to
    assert event.reply_to_sender == signal(BOT)
    assert event.reply_to_text == "Nieuwe melding"


async def test_start_with_a_token(standin: SignalStandIn, sink: Sink) -> None:
    standin.push_message(HENK, "START q9Kx_2-abc")
    event = await sink.next()
    assert isinstance(event, CommandReceived)
    assert (event.name, event.args) == ("start", ("q9Kx_2-abc",))
    assert event.chat == private(HENK)


async def test_someone_hiding_their_number_arrives_by_uuid(
    standin: SignalStandIn, sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    hidden = "0e7f4c3a-2b1d-4e5f-8a9b-c0d1e2f3a4b5"
    envelope = standin.push_message(FRANK, "hoi")
    envelope.update(source=hidden, sourceNumber=None, sourceUuid=hidden)
    await sink.next()  # the ordinary one
    with caplog.at_level(logging.INFO, logger="buurtbot.adapters.signal"):
        standin.push_envelope(envelope)
        event = await sink.next()
    assert event.sender.identity == signal(f"uuid:{hidden}")
    assert "hides its number" in caplog.text


async def test_an_unreadable_envelope_or_a_failing_core_does_not_stop_receiving(
    standin: SignalStandIn, sink: Sink
) -> None:
    standin.push_envelope({"dataMessage": "not an object", "timestamp": "soon"})
    standin.push_envelope({"envelope": None})
    sink.fail_on.add("boem")
    standin.push_message(FRANK, "boem")
    standin.push_message(FRANK, "daarna")
    first = await sink.next()
    second = await sink.next()
    assert [getattr(first, "text", None), getattr(second, "text", None)] == ["boem", "daarna"]


async def test_group_updates_become_joins_and_leaves(
    standin: SignalStandIn, group: str, sink: Sink
) -> None:
    standin.set_members(group, [BOT, GERDA, HENK])  # Frank removed, Henk added by a person
    standin.push_group_update(group, GERDA)
    events = [await sink.next(), await sink.next()]
    assert [(type(e), e.sender.identity) for e in events] == [
        (MemberLeft, signal(FRANK)),
        (MemberJoined, signal(HENK)),
    ]
    assert all(e.chat == ChatRef(Platform.SIGNAL, group) for e in events)
    standin.push_group_update(group, GERDA)  # nothing changed (a new name, say): no events
    standin.push_message(GERDA, "klaar")
    last = await sink.next()
    assert isinstance(last, MessageReceived)


async def test_the_bots_own_member_changes_give_no_events(
    standin: SignalStandIn, group: str, adapter: SignalAdapter, sink: Sink
) -> None:
    chat = ChatRef(Platform.SIGNAL, group)
    await adapter.perform(AddMember(chat=chat, user=signal(HENK)))
    await adapter.perform(RemoveMember(chat=chat, user=signal(GERDA)))
    standin.push_group_update(group, FRANK)  # someone renames the group
    standin.push_message(FRANK, "verder")
    event = await sink.next()
    assert isinstance(event, MessageReceived)


# -- staying connected ------------------------------------------------------------------------
async def test_a_clean_close_is_followed_by_a_reconnect(
    standin: SignalStandIn, adapter: SignalAdapter, sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="buurtbot.adapters.signal"):
        await standin.close_websockets(code=1000)
        await eventually(lambda: standin.connects == 2 and standin.connections == 1)
    standin.push_message(FRANK, "na de herstart")
    event = await sink.next()
    assert isinstance(event, MessageReceived)
    assert event.text == "na de herstart"
    status = adapter.receive_status()
    assert status.connected
    assert status.connects == 2
    (gap,) = status.gaps
    assert 0 <= gap.seconds < 2
    assert "code 1000" in caplog.text
    assert "receiving again after" in caplog.text


async def test_a_half_open_socket_is_noticed_within_the_heartbeat(
    standin: SignalStandIn, adapter: SignalAdapter, sink: Sink
) -> None:
    standin.go_silent()
    silent_at = time.monotonic()
    await eventually(lambda: standin.connects == 2, timeout=HEARTBEAT * 3 + 1)
    assert time.monotonic() - silent_at < HEARTBEAT * 1.5 + 0.5  # a ping, half a beat for the pong
    await eventually(lambda: adapter.receive_status().connected)
    standin.speak()
    standin.push_message(FRANK, "weer verbonden")
    event = await sink.next()
    assert isinstance(event, MessageReceived)
    assert event.text == "weer verbonden"
    assert len(adapter.receive_status().gaps) == 1


async def test_after_an_outage_the_members_are_compared(
    standin: SignalStandIn, group: str, adapter: SignalAdapter, sink: Sink
) -> None:
    port = standin.port
    await standin.stop()  # the container dies: the socket ends without a close frame
    await eventually(lambda: not adapter.receive_status().connected)
    assert adapter.receive_status().disconnected_since is not None
    standin.set_members(group, [BOT, FRANK, GERDA, ILSE])  # the update is lost meanwhile
    await standin.start(port=port)
    event = await sink.next()
    assert isinstance(event, MemberJoined)
    assert event.sender.identity == signal(ILSE)
    assert adapter.receive_status().gaps


async def test_stop_leaves_no_task_running(
    standin: SignalStandIn, adapter: SignalAdapter, sink: Sink
) -> None:
    await adapter.stop()
    await asyncio.sleep(0)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert [t.get_name() for t in others if not t.done()] == []
    await eventually(lambda: standin.connections == 0)
    with pytest.raises(TransientDeliveryError, match="not running"):
        await adapter.perform(SendText(chat=private(FRANK), text=RichText.of("x")))


async def test_stopped_and_started_again(standin: SignalStandIn, adapter: SignalAdapter) -> None:
    await adapter.start(Sink())
    await eventually(lambda: standin.connections == 1)
    await adapter.stop()
    await adapter.initialize()
    sink = Sink()
    await adapter.start(sink)
    await eventually(lambda: standin.connections == 1)
    standin.push_message(FRANK, "weer daar")
    assert isinstance(await sink.next(), MessageReceived)


async def test_health_says_when_nothing_is_received(
    standin: SignalStandIn, group: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = SignalAdapter(config(standin, connect_timeout=0.3))
    await port.initialize()
    await port.start(Sink())
    try:
        with caplog.at_level(logging.WARNING, logger="buurtbot.adapters.signal"):
            assert await port.check_health([]) is not None
            assert "not receiving" not in caplog.text  # it waited for the first connect
            standin.fail_next("GET", "/v1/receive/", status=500, count=1000)
            await standin.close_websockets()
            await eventually(lambda: not port.receive_status().connected)
            assert await port.check_health([]) is not None
        assert "not receiving since" in caplog.text
    finally:
        await port.stop()


async def test_health_reports_receiving_and_every_gap_of_the_process(
    standin: SignalStandIn, adapter: SignalAdapter, sink: Sink
) -> None:
    assert adapter.bot_address == BOT
    reconnects: list[int] = []
    adapter.on_health_change = lambda: reconnects.append(adapter.receive_status().connects)
    health = await adapter.check_health([])
    assert health is not None
    assert (health.receiving, health.gaps, health.down_since) == (True, (), None)

    await standin.close_websockets(code=1000)
    await eventually(lambda: standin.connects == 2 and adapter.receive_status().connected)
    await eventually(lambda: reconnects == [2])  # after the reconnect, not the first connect
    (gap,) = adapter.receive_status().gaps
    health = await adapter.check_health([])
    assert health is not None
    assert health.receiving is True
    assert health.gaps == ((gap.started, gap.ended),)
    again = await adapter.check_health([])
    assert again is not None
    assert again.gaps == health.gaps  # every gap, each time: the core tells what is new

    standin.fail_next("GET", "/v1/receive/", status=500, count=1000)
    await standin.close_websockets()
    await eventually(lambda: not adapter.receive_status().connected)
    down = await adapter.check_health([])
    assert down is not None
    assert down.receiving is False
    assert down.down_since == adapter.receive_status().disconnected_since
    assert down.down_since is not None
    assert down.gaps == health.gaps  # the open gap is not a gap yet


async def test_with_the_service_gone_the_check_keeps_the_rights_last_seen(
    standin: SignalStandIn, group: str, caplog: pytest.LogCaptureFixture
) -> None:
    plain = standin.add_group("Goor Zuid", [FRANK], bot_admin=False)
    chats = [ChatRef(Platform.SIGNAL, c) for c in (group, plain)]
    port = SignalAdapter(config(standin, connect_timeout=0.3, request_timeout=0.5))
    await port.initialize()
    standin.fail_next("GET", "/v1/groups/", status=500, count=1)
    with pytest.raises(SignalUnavailable):  # never listed: nothing to fall back on
        await port.check_health(chats)
    await port.start(Sink())
    try:
        await eventually(lambda: port.receive_status().connected)
        seen = await port.check_health(chats)
        assert seen is not None
        await standin.stop()
        await eventually(lambda: not port.receive_status().connected)
        with caplog.at_level(logging.WARNING, logger="buurtbot.adapters.signal"):
            gone = await port.check_health(chats)
        assert gone is not None
        assert gone.receiving is False
        assert (
            gone.chats
            == seen.chats
            == (ChatHealth(ChatRef(Platform.SIGNAL, plain), (HealthProblem.NOT_ADMIN,)),)
        )
        assert "rights as last seen" in caplog.text
    finally:
        await port.stop()


async def test_stop_while_reconnecting_is_prompt(standin: SignalStandIn) -> None:
    port = SignalAdapter(config(standin, backoff_base=5.0, backoff_cap=5.0))
    await port.initialize()
    await port.start(Sink())
    await eventually(lambda: standin.connections == 1)
    await standin.close_websockets()
    await eventually(lambda: not port.receive_status().connected)
    started = time.monotonic()
    await port.stop()
    assert time.monotonic() - started < 1


# -- sending ----------------------------------------------------------------------------------
async def test_text_with_styles_and_a_quote(
    standin: SignalStandIn, group: str, adapter: SignalAdapter
) -> None:
    chat = ChatRef(Platform.SIGNAL, group)
    quoted = MessageRef(chat, f"1718000000123:{FRANK}")
    text = RichText.of(bold("Let op"), ": **geen** opmaak van *Frank*")
    result = await adapter.perform(SendText(chat=chat, text=text, reply_to=quoted))
    (sent,) = standin.messages_to(group)
    assert sent.text_mode == "styled"
    assert sent.message == "**Let op**: \\*\\*geen\\*\\* opmaak van \\*Frank\\*"
    assert (sent.quote_timestamp, sent.quote_author) == (1718000000123, FRANK)
    assert sent.body["number"] == BOT
    assert result.message == MessageRef(chat, f"{sent.timestamp}:{BOT}")


async def test_plain_text_in_a_private_chat_goes_in_normal_mode(
    standin: SignalStandIn, adapter: SignalAdapter
) -> None:
    other_chat = MessageRef(ChatRef(Platform.SIGNAL, "group.YWJj"), f"5:{FRANK}")
    await adapter.perform(
        SendText(chat=private(FRANK), text=RichText.of("Welkom *echt*"), reply_to=other_chat)
    )
    (sent,) = standin.messages_to(FRANK)
    assert (sent.message, sent.text_mode) == ("Welkom *echt*", "normal")
    assert sent.quote_timestamp is None  # a quote from another chat is left out


async def test_a_file_goes_as_an_attachment(standin: SignalStandIn, adapter: SignalAdapter) -> None:
    content = b'{"naam": "Frank"}\n'
    await adapter.perform(
        SendFile(
            chat=private(FRANK),
            filename="mijn gegevens/../data.json",
            content=content,
            caption=RichText.of("Je gegevens"),
        )
    )
    (sent,) = standin.messages_to(FRANK)
    assert sent.message == "Je gegevens"
    (attachment,) = sent.base64_attachments
    head, _, data = attachment.partition("base64,")
    assert head == "data:application/json;filename=mijn_gegevens_.._data.json;"
    assert base64.b64decode(data) == content


async def test_an_image_goes_as_a_png_attachment_with_its_caption(
    standin: SignalStandIn, group: str, adapter: SignalAdapter
) -> None:
    png = tiny_png(640, 360)
    chat = ChatRef(Platform.SIGNAL, group)
    result = await adapter.perform(
        SendImage(
            chat=chat,
            filename="hof-van-twente-2026-W49",  # no extension: the type is still image/png
            content=png,
            caption=RichText.of("Escalaties per kern"),
        )
    )
    (sent,) = standin.messages_to(group)
    assert sent.message == "Escalaties per kern"
    (attachment,) = sent.base64_attachments
    head, _, data = attachment.partition("base64,")
    assert head == "data:image/png;filename=hof-van-twente-2026-W49;"
    assert base64.b64decode(data) == png
    assert base64.b64decode(data).startswith(PNG_SIGNATURE)
    assert result.message == MessageRef(chat, f"{sent.timestamp}:{BOT}")


async def test_members_and_admins(
    standin: SignalStandIn, group: str, adapter: SignalAdapter
) -> None:
    chat = ChatRef(Platform.SIGNAL, group)
    await adapter.perform(AddMember(chat=chat, user=signal(HENK)))
    assert HENK in standin.members[group]
    await adapter.perform(SetAdmin(chat=chat, user=signal(HENK), admin=True))
    assert HENK in standin.admins[group]
    await adapter.perform(SetAdmin(chat=chat, user=signal(HENK), admin=False))
    assert HENK not in standin.admins[group]
    await adapter.perform(RemoveMember(chat=chat, user=signal(HENK)))
    assert HENK not in standin.members[group]
    bodies = [(m, p.rsplit("/", 1)[-1], b) for m, p, b in standin.calls[-4:]]
    assert bodies == [
        ("POST", "members", {"members": [HENK]}),
        ("POST", "admins", {"admins": [HENK]}),
        ("DELETE", "admins", {"admins": [HENK]}),
        ("DELETE", "members", {"members": [HENK]}),
    ]


@pytest.mark.parametrize(
    "action",
    [
        CopyMessage(chat=private(FRANK), source=MessageRef(private(GERDA), f"1:{GERDA}")),
        EditText(chat=private(FRANK), outbox_key="k", text=RichText.of("x")),
        AnswerButton(chat=private(FRANK), callback_id="c"),
        CreateInvite(chat=private(FRANK), name="a1"),
        ApproveJoin(chat=private(FRANK), user=signal(FRANK)),
        DeclineJoin(chat=private(FRANK), user=signal(FRANK)),
        AddMember(chat=private(FRANK), user=signal(GERDA)),
        AddMember(chat=ChatRef(Platform.SIGNAL, "group.YWJj"), user=signal("12345")),
        SendText(chat=ChatRef(Platform.SIGNAL, "-1001"), text=RichText.of("x")),
        SendText(chat=private(FRANK), text=RichText()),
    ],
)
async def test_what_signal_cannot_do_fails_for_good(
    standin: SignalStandIn, adapter: SignalAdapter, action: Any
) -> None:
    calls = len(standin.calls)
    with pytest.raises(PermanentDeliveryError):
        await adapter.perform(action)
    assert len(standin.calls) == calls


# -- errors -----------------------------------------------------------------------------------
async def test_a_rate_limit_is_transient_and_logged_once_with_the_fix(
    standin: SignalStandIn, adapter: SignalAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    text = SendText(chat=private(FRANK), text=RichText.of("x"))
    changes: list[bool] = []
    adapter.on_health_change = lambda: changes.append(True)
    standin.fail_next("POST", "/v2/send", status=429, count=2)
    with caplog.at_level(logging.ERROR, logger="buurtbot.adapters.signal"):
        for _ in range(2):
            with pytest.raises(TransientDeliveryError) as caught:
                await adapter.perform(text)
            assert caught.value.retry_after == 60
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "signalcaptchas.org/challenge/generate.html" in message
    assert f"/v1/accounts/{BOT}/rate-limit-challenge" in message
    assert '"challenge_token": "' in message
    assert "<challenge token>" not in message  # the one the answer carried
    # The health says so (the regiegroep hears it once), and the check runs at once.
    assert changes == [True]
    health = await adapter.check_health([])
    assert health is not None
    assert health.held_back
    await adapter.perform(text)  # passes: the next rate limit is reported again
    health = await adapter.check_health([])
    assert health is not None
    assert not health.held_back
    standin.fail_next("POST", "/v2/send", status=429, count=1)
    with caplog.at_level(logging.ERROR), pytest.raises(TransientDeliveryError):
        await adapter.perform(text)
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 2


@pytest.mark.parametrize(
    ("status", "body", "headers_retry", "kind"),
    [
        (400, {"error": "Failed to send message: ProofRequiredException"}, None, "transient"),
        (400, {"error": "Rate limit exceeded, retry after 120 seconds"}, 120.0, "transient"),
        (500, None, None, "transient"),
        (503, "busy", None, "transient"),
        (400, {"error": "Invalid identifier group.abc"}, None, "permanent"),
        (
            400,
            {"error": "Failed to send message: +31687654321 is not registered"},
            None,
            "permanent",
        ),
        (403, None, None, "permanent"),
        (404, None, None, "permanent"),
        (401, None, None, "transient"),
    ],
)
async def test_errors_are_transient_or_permanent(
    standin: SignalStandIn,
    adapter: SignalAdapter,
    status: int,
    body: Any,
    headers_retry: float | None,
    kind: str,
) -> None:
    standin.fail_next("POST", "/v2/send", status=status, body=body)
    expected = TransientDeliveryError if kind == "transient" else PermanentDeliveryError
    with pytest.raises(expected) as caught:
        await adapter.perform(SendText(chat=private(FRANK), text=RichText.of("x")))
    if headers_retry is not None:
        assert isinstance(caught.value, TransientDeliveryError)
        assert caught.value.retry_after == headers_retry
    assert FRANK not in str(caught.value)  # numbers stay out of logs and the outbox


async def test_member_changes_fail_like_sends(
    standin: SignalStandIn, group: str, adapter: SignalAdapter
) -> None:
    chat = ChatRef(Platform.SIGNAL, group)
    standin.fail_next("POST", f"/v1/groups/{BOT}/", status=502)
    with pytest.raises(TransientDeliveryError):
        await adapter.perform(AddMember(chat=chat, user=signal(HENK)))
    with pytest.raises(PermanentDeliveryError, match="not a member"):
        await adapter.perform(RemoveMember(chat=chat, user=signal(ILSE)))
    unknown = ChatRef(Platform.SIGNAL, "group.ZXhhbXBsZS1nb29yLXp1aWQ=")
    with pytest.raises(PermanentDeliveryError, match="Group not found"):
        await adapter.perform(AddMember(chat=unknown, user=signal(HENK)))


async def test_no_answer_is_transient(standin: SignalStandIn, adapter: SignalAdapter) -> None:
    await standin.stop()
    with pytest.raises(TransientDeliveryError):
        await adapter.perform(SendText(chat=private(FRANK), text=RichText.of("x")))


# -- health -----------------------------------------------------------------------------------
async def test_health_lists_groups_without_the_bot_or_without_admin_rights(
    standin: SignalStandIn, group: str, adapter: SignalAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    plain = standin.add_group("Goor Zuid", [FRANK], bot_admin=False)
    left = standin.add_group("Markelo", [GERDA])
    standin.set_members(left, [GERDA], keep_bot=False)  # the bot was removed
    missing = "group.ZXhhbXBsZS1nb29yLXp1aWQ="  # in the network file, not on Signal
    chats = [ChatRef(Platform.SIGNAL, c) for c in (group, plain, left, missing)] + [
        private(FRANK),
        ChatRef(Platform.TELEGRAM, "-1001"),
    ]
    with caplog.at_level(logging.WARNING, logger="buurtbot.adapters.signal"):
        health = await adapter.check_health(chats)
    assert health is not None
    assert health.platform is Platform.SIGNAL
    assert health.bot_username is None
    assert health.chats == (
        ChatHealth(ChatRef(Platform.SIGNAL, plain), (HealthProblem.NOT_ADMIN,)),
        ChatHealth(ChatRef(Platform.SIGNAL, left), (HealthProblem.NOT_MEMBER,)),
        ChatHealth(ChatRef(Platform.SIGNAL, missing), (HealthProblem.NOT_MEMBER,)),
    )
    assert "not receiving" not in caplog.text  # not started: nothing to miss yet


async def test_the_bot_removed_from_a_group_is_no_reason_to_report_everyone_gone(
    standin: SignalStandIn, group: str, adapter: SignalAdapter, sink: Sink
) -> None:
    standin.set_members(group, [FRANK, GERDA], keep_bot=False)
    standin.push_group_update(group, FRANK)
    standin.push_message(GERDA, "privé")
    event = await sink.next()
    assert isinstance(event, MessageReceived)
    health = await adapter.check_health([ChatRef(Platform.SIGNAL, group)])
    assert health is not None
    assert health.chats == (
        ChatHealth(ChatRef(Platform.SIGNAL, group), (HealthProblem.NOT_MEMBER,)),
    )
