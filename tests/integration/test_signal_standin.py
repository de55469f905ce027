"""The signal-cli-rest-api stand-in (json-rpc mode), driven through the real signalbot 2.2.1.

signalbot must work against the stand-in unchanged; these tests pin down the behaviour other
tests rely on: the REST shapes signalbot validates, the receive WebSocket and how envelopes are
lost without one, the member and admin endpoints, and the faults (a clean close that signalbot
never recovers from, a half-open socket, a rate limit).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from aiohttp import (
    ClientSession,
    ClientWebSocketResponse,
    WSMessage,
    WSMsgType,
    encode_basic_auth,
)
from signalbot import (
    LOGGER_NAME,
    DataMessageContext,
    DataMessageHandler,
    GroupUpdateContext,
    GroupUpdateHandler,
    SendMessage,
    SignalBot,
)
from signalbot.messages import DataMessage, SendError, TextMode
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from tests.eventually import eventually
from tests.standins.signal_api import (
    RATE_LIMIT_ERROR,
    SignalStandIn,
    group_id_for,
    internal_id_for,
    numbered_group_id,
)

ROOT = Path(__file__).resolve().parents[2]
BOT = "+31612345678"
ANNA = "+31611111111"
BOB = "+31622222222"
CAREL = "+31633333333"
DIRK = "+31644444444"
EXAMPLE_GROUP = "group.ZXhhbXBsZS1nb29yLXdlc3Q="  # from examples/hof-van-twente.toml
TIMEOUT = 5.0


# -- helpers ----------------------------------------------------------------------------------


async def frames_within(ws: ClientWebSocketResponse, seconds: float) -> list[WSMessage]:
    """What arrives on ``ws`` in the next ``seconds``."""
    frames: list[WSMessage] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                frames.append(await ws.receive())
    return frames


class Inbox(DataMessageHandler):
    """Collects every data message signalbot hands to its handlers."""

    def __init__(self) -> None:
        self.messages: list[DataMessage] = []
        self.contexts: list[DataMessageContext] = []

    async def handle_data_message(self, context: DataMessageContext) -> None:
        assert isinstance(context.message, DataMessage)
        self.messages.append(context.message)
        self.contexts.append(context)


class GroupUpdates(GroupUpdateHandler):
    def __init__(self) -> None:
        self.internal_ids: list[str] = []

    async def handle_group_update(self, context: GroupUpdateContext) -> None:
        self.internal_ids.append(context.message.group_info.group_id)


def bot_config(standin: SignalStandIn, **extra: Any) -> dict[str, Any]:
    return {
        "phone_number": standin.number,
        "signal_service": standin.service,
        "connection_mode": "http_only",
        "storage": {"type": "in-memory"},
        "download_attachments": False,
        **extra,
    }


async def stop_bot(bot: SignalBot) -> None:
    """Stop signalbot without ``bot.stop()``, which would stop the running event loop."""
    if bot.init_task is not None and not bot.init_task.done():
        bot.init_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot.init_task
    await bot._pipeline.stop()  # the producer and consumer tasks
    await bot.close()  # the aiohttp session


@contextlib.asynccontextmanager
async def running_bot(
    standin: SignalStandIn,
    *handlers: DataMessageHandler | GroupUpdateHandler,
    **config: Any,
) -> AsyncIterator[SignalBot]:
    logger = logging.getLogger(LOGGER_NAME)
    handlers_before = list(logger.handlers)
    bot = SignalBot(bot_config(standin, **config))  # inside a coroutine: it uses this loop
    for handler in handlers:
        bot.register(handler)
    bot.start(run_forever=False)
    try:
        await asyncio.wait_for(bot.wait_until_ready(), TIMEOUT)
        await eventually(lambda: standin.connections == 1)
        yield bot
    finally:
        await stop_bot(bot)
        for log_handler in logger.handlers[:]:
            if log_handler not in handlers_before:  # every SignalBot() adds a stream handler
                logger.removeHandler(log_handler)


@pytest.fixture
async def standin() -> AsyncIterator[SignalStandIn]:
    server = SignalStandIn(number=BOT)
    server.add_contact(ANNA, name="Anna")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http(standin: SignalStandIn) -> AsyncIterator[ClientSession]:
    async with ClientSession(base_url=standin.base_url) as session:
        yield session


# -- ids --------------------------------------------------------------------------------------
def test_group_ids_follow_signal_cli_rest_api() -> None:
    standin = SignalStandIn()
    group = standin.add_group("Buurtpreventie Goor", [ANNA])
    internal = standin.internal_id(group)
    assert group == "group." + base64.b64encode(internal.encode()).decode()
    assert len(base64.b64decode(internal)) == 32
    assert re.fullmatch(r"group\.[a-zA-Z0-9]{59}=", group)  # what signalbot calls a group id
    # The example network's ids are REST ids too: the internal id is what the base64 decodes to.
    example = standin.add_group("Goor-West", [ANNA], group_id=EXAMPLE_GROUP)
    assert standin.internal_id(example) == internal_id_for(EXAMPLE_GROUP) == "example-goor-west"
    assert group_id_for("example-goor-west") == EXAMPLE_GROUP
    assert internal_id_for("group.ZXhhbXBsZS1jb29yZGluYXRvcmVu") == "example-coordinatoren"
    for bad in ("ZXhhbXBsZS1nb29yLXdlc3Q=", "group.not base64!", "group.ZXhhbXBsZQ"):
        with pytest.raises(ValueError, match="group"):
            standin.add_group("Fout", [], group_id=bad)
    with pytest.raises(ValueError, match=r"E\.164"):
        standin.add_group("Fout", ["0611111111"])
    with pytest.raises(ValueError, match="not a member"):
        standin.add_group("Fout", [ANNA], admins=[BOB])
    assert standin.members[group] == [BOT, ANNA]  # the bot is always a member
    assert standin.admins[group] == [BOT]  # and an admin unless bot_admin=False


# -- signalbot --------------------------------------------------------------------------------
async def test_signalbot_starts_against_the_standin(standin: SignalStandIn) -> None:
    group = standin.add_group("Buurtpreventie Goor", [ANNA, BOB], admins=[ANNA])
    async with running_bot(standin) as bot:
        assert [(method, path) for method, path, _ in standin.calls] == [
            ("GET", "/v1/health"),
            ("GET", "/v1/about"),  # the version check
            ("GET", "/v1/about"),  # the mode check: "json-rpc"
            ("GET", f"/v1/groups/{BOT}"),
            ("GET", f"/v1/receive/{BOT}"),
        ]
        (entry,) = list(bot.groups)
        assert (entry.id, entry.internal_id, entry.name) == (
            group,
            standin.internal_id(group),
            "Buurtpreventie Goor",
        )
        assert (entry.members, entry.admins, entry.member) == ([BOT, ANNA, BOB], [BOT, ANNA], True)
        assert (standin.connections, standin.connects) == (1, 1)
    await eventually(lambda: standin.connections == 0)


async def test_handler_gets_direct_and_group_messages(standin: SignalStandIn) -> None:
    group = standin.add_group("Buurtpreventie Goor", [ANNA, BOB])
    example = standin.add_group("Goor-West", [BOB], group_id=EXAMPLE_GROUP)
    inbox = Inbox()
    async with running_bot(standin, inbox) as bot:
        direct = standin.push_message(ANNA, "Verdachte auto in de Kerkstraat")
        in_group = standin.push_message(BOB, "Gezien bij nummer 12", group=group)
        in_example = standin.push_message(BOB, "Ook in West", group=example)
        await eventually(lambda: len(inbox.messages) == 3)
    first, second, third = sorted(inbox.messages, key=lambda message: message.timestamp)
    assert first.is_private()
    assert (first.text, first.source_number, first.source_name) == (
        "Verdachte auto in de Kerkstraat",
        ANNA,
        "Anna",
    )
    assert first.source_uuid == standin.contacts[ANNA].uuid
    assert first.timestamp == direct["timestamp"]
    assert second.is_group()
    assert second.group_info is not None
    assert second.group_info.group_id == standin.internal_id(group)
    assert bot.groups.get_id(second.group_info.group_id) == group
    assert (second.text, second.source_number, second.timestamp) == (
        "Gezien bij nummer 12",
        BOB,
        in_group["timestamp"],
    )
    assert third.group_info is not None
    assert third.group_info.group_id == "example-goor-west"
    assert bot.groups.get_id(third.group_info.group_id) == EXAMPLE_GROUP
    assert third.timestamp == in_example["timestamp"]
    assert standin.dropped == []


async def test_quote_arrives_as_quote_and_a_reply_quotes_back(standin: SignalStandIn) -> None:
    group = standin.add_group("Buurtpreventie Goor", [ANNA, BOB])
    inbox = Inbox()
    async with running_bot(standin, inbox) as bot:
        sent = await bot.messages.send(SendMessage(text="Alarm: inbraak gemeld"), group)
        pushed = standin.push_message(
            ANNA, "/escalate", group=group, quote=(BOT, sent.timestamp, "Alarm: inbraak gemeld")
        )
        await eventually(lambda: len(inbox.messages) == 1)
        (message,) = inbox.messages
        assert message.quote is not None
        assert (message.quote.id, message.quote.author, message.quote.text) == (
            sent.timestamp,
            BOT,
            "Alarm: inbraak gemeld",
        )
        assert message.quote.author_uuid == standin.uuid
        await inbox.contexts[0].reply(SendMessage(text="Doorgezet"))
        await inbox.contexts[0].react("👍")
        await inbox.contexts[0].start_typing()
    reply = standin.sent[-1]
    assert reply.recipients == [group]  # the internal id, resolved through bot.groups
    assert (reply.quote_timestamp, reply.quote_message) == (pushed["timestamp"], "/escalate")
    assert reply.quote_author == standin.contacts[ANNA].uuid  # signalbot quotes by uuid
    (reaction,) = standin.reactions
    assert (reaction["recipient"], reaction["reaction"], reaction["timestamp"]) == (
        group,
        "👍",
        pushed["timestamp"],
    )
    assert ("PUT", f"/v1/typing-indicator/{BOT}", {"recipient": group}) in standin.calls


async def test_send_to_a_number_and_to_a_group_is_recorded(standin: SignalStandIn) -> None:
    group = standin.add_group("Buurtpreventie Goor", [ANNA])
    inbox = Inbox()
    async with running_bot(standin, inbox) as bot:
        to_anna = await bot.messages.send(
            SendMessage(text="Welkom **Anna**", text_mode=TextMode.STYLED), ANNA
        )
        to_group = await bot.messages.send(SendMessage(text="Goedemorgen"), group)
        standin.push_message(ANNA, "Dank je")
        await eventually(lambda: len(inbox.messages) == 1)
        await inbox.contexts[0].send(SendMessage(text="Graag gedaan"))
    first, second, third = standin.sent
    assert (first.recipients, first.message, first.text_mode) == (
        [ANNA],
        "Welkom **Anna**",
        "styled",
    )
    assert first.timestamp == to_anna.timestamp
    assert (second.recipients, second.message, second.timestamp) == (
        [group],
        "Goedemorgen",
        to_group.timestamp,
    )
    assert first.quote_timestamp is None
    assert first.base64_attachments == []
    # A reply to a direct message goes to the sender's uuid, not the number.
    assert third.recipients == [standin.contacts[ANNA].uuid]
    assert [m.message for m in standin.messages_to(ANNA)] == ["Welkom **Anna**", "Graag gedaan"]
    assert standin.messages_to(group) == [second]
    assert second.at >= first.at
    assert [path for method, path, _ in standin.calls if method == "POST"] == ["/v2/send"] * 3
    assert standin.calls[-1][2]["number"] == BOT


async def test_group_update_refreshes_signalbot_groups(standin: SignalStandIn) -> None:
    group = standin.add_group("Buurtpreventie Goor", [ANNA, BOB], admins=[BOB])
    updates = GroupUpdates()
    async with running_bot(standin, updates) as bot:
        standin.set_members(group, [BOT, ANNA, CAREL])  # not told yet
        before = bot.groups.get(standin.internal_id(group))
        assert before is not None
        assert before.members == [BOT, ANNA, BOB]
        standin.push_group_update(group, ANNA)
        await eventually(lambda: len(updates.internal_ids) == 1)
        entry = bot.groups.get(standin.internal_id(group))
        assert entry is not None
        assert (entry.members, entry.admins) == ([BOT, ANNA, CAREL], [BOT])
    assert ("GET", f"/v1/groups/{BOT}/{group}", None) in standin.calls


async def test_rate_limit_reaches_the_client(standin: SignalStandIn, http: ClientSession) -> None:
    standin.fail_next("POST", "/v2/send", status=429)
    payload = {"number": BOT, "recipients": [ANNA], "message": "Hallo"}
    async with http.post("/v2/send", json=payload) as resp:
        assert resp.status == 429
        body = await resp.json()
    assert body["error"] == RATE_LIMIT_ERROR
    assert body["account"] == BOT
    assert len(body["challenge_tokens"]) == 1
    async with http.post("/v2/send", json=payload) as resp:  # only the next one failed
        assert resp.status == 201
        (answer,) = await resp.json()
    assert answer["timestamp"] == str(standin.sent[0].timestamp)  # a string, as in the API
    standin.fail_next("get", "/v1/groups", status=502, body="<html>Bad Gateway</html>", count=2)
    for _ in range(2):
        async with http.get(f"/v1/groups/{BOT}") as resp:
            assert (resp.status, await resp.text()) == (502, "<html>Bad Gateway</html>")
    async with http.get(f"/v1/groups/{BOT}") as resp:
        assert resp.status == 200


async def test_signalbot_loses_the_rate_limit_body(standin: SignalStandIn) -> None:
    """signalbot raises on the status alone: the challenge token never reaches the caller."""
    async with running_bot(standin) as bot:
        standin.fail_next("POST", "/v2/send", status=429)
        with pytest.raises(SendError, match="429") as caught:
            await bot.messages.send(SendMessage(text="Hallo"), ANNA)
        assert "challenge" not in str(caught.value)
        assert standin.sent == []


# -- the REST API directly --------------------------------------------------------------------
async def test_health_about_and_groups(standin: SignalStandIn, http: ClientSession) -> None:
    group = standin.add_group("Buurtpreventie Goor", [ANNA])
    async with http.get("/v1/health") as resp:
        assert (resp.status, await resp.read()) == (204, b"")
    async with http.get("/v1/about") as resp:
        about = await resp.json()
    assert about["mode"] == "json-rpc"
    assert about["version"] == "0.101.0"
    assert set(about) == {"versions", "build", "mode", "version", "capabilities"}
    async with http.get(f"/v1/groups/{BOT}/{group}") as resp:
        entry = await resp.json()
    assert entry["internal_id"] == standin.internal_id(group)
    assert entry["permissions"] == {
        "add_members": "only-admins",
        "edit_group": "only-admins",
        "send_messages": "every-member",
    }
    assert (entry["invite_link"], entry["blocked"], entry["pending_invites"]) == ("", False, [])
    async with http.get(f"/v1/groups/{BOT}/{group_id_for('onbekend')}") as resp:
        assert (resp.status, await resp.json()) == (404, {"error": "No group with that id found"})
    async with http.get(f"/v1/groups/{ANNA}") as resp:
        assert resp.status == 400
    async with http.post(
        f"/v1/groups/{BOT}", json={"name": "Regiegroep", "members": [ANNA, BOB]}
    ) as resp:
        assert resp.status == 201
        created = (await resp.json())["id"]
    assert standin.members[created] == [BOT, ANNA, BOB]
    async with http.put(
        f"/v1/groups/{BOT}/{created}", json={"group_link": "enabled-with-approval", "name": "Regie"}
    ) as resp:
        assert resp.status == 204
    async with http.get(f"/v1/groups/{BOT}") as resp:
        listed = {g["id"]: g for g in await resp.json()}
    assert listed[created]["name"] == "Regie"
    assert listed[created]["invite_link"].startswith("https://signal.group/#")
    async with http.put(f"/v1/groups/{BOT}/{created}", json={"group_link": "open"}) as resp:
        assert resp.status == 400
        assert "group link" in (await resp.json())["error"]


async def test_member_and_admin_endpoints(standin: SignalStandIn, http: ClientSession) -> None:
    group = standin.add_group("Buurtpreventie Goor", [ANNA, BOB])
    base = f"/v1/groups/{BOT}/{group}"

    async def call(method: str, path: str, body: Any) -> tuple[int, Any]:
        async with http.request(method, base + path, json=body) as resp:
            return resp.status, (await resp.json() if resp.status != 204 else None)

    assert await call("POST", "/members", {"members": [CAREL]}) == (204, None)
    assert await call("POST", "/admins", {"admins": [CAREL]}) == (204, None)
    assert standin.members[group] == [BOT, ANNA, BOB, CAREL]
    assert standin.admins[group] == [BOT, CAREL]

    status, error = await call("POST", "/admins", {"admins": [DIRK]})  # not a member
    assert (status, error) == (400, {"error": f"{DIRK} is not a member of the group"})
    status, error = await call("DELETE", "/members", {"members": [DIRK]})
    assert (status, error) == (400, {"error": f"{DIRK} is not a member of the group"})
    status, error = await call("POST", "/members", {"members": ["0644444444"]})
    assert status == 400
    assert "0644444444" in error["error"]
    status, error = await call("POST", "/members", {"admins": [DIRK]})  # the wrong key
    assert status == 400
    status, _ = await call("DELETE", "/admins", {"admins": [ANNA]})  # not an admin
    assert status == 400
    # All or nothing: one bad number and nothing changes.
    assert (await call("DELETE", "/members", {"members": [ANNA, DIRK]}))[0] == 400
    assert standin.members[group] == [BOT, ANNA, BOB, CAREL]

    assert await call("DELETE", "/members", {"members": [CAREL]}) == (204, None)
    assert standin.members[group] == [BOT, ANNA, BOB]
    assert standin.admins[group] == [BOT]  # a removed member is no admin any more
    assert (await call("DELETE", "/members", {"members": [BOT]}))[0] == 400  # quit instead

    not_admin = standin.add_group("Alleen lid", [ANNA], bot_admin=False)
    async with http.post(f"/v1/groups/{BOT}/{not_admin}/members", json={"members": [BOB]}) as resp:
        assert resp.status == 400
        assert "admin" in (await resp.json())["error"]
    assert [(m, p) for m, p, _ in standin.calls][:2] == [
        ("POST", f"{base}/members"),
        ("POST", f"{base}/admins"),
    ]
    assert standin.calls[0][2] == {"members": [CAREL]}


async def test_send_validation(standin: SignalStandIn, http: ClientSession) -> None:
    group = standin.add_group("Buurtpreventie Goor", [ANNA])
    other = standin.add_group("Regiegroep", [ANNA])

    async def send(**body: Any) -> tuple[int, Any]:
        async with http.post("/v2/send", json={"number": BOT, "message": "x", **body}) as resp:
            return resp.status, await resp.json()

    for recipients in ([ANNA, group], [group, other], ["0611111111"], [group_id_for("weg")], []):
        status, answer = await send(recipients=recipients)
        assert status == 400, recipients
        assert set(answer) == {"error"}
    assert (await send(recipients=[ANNA], number=BOB))[0] == 400
    assert (await send(recipients=[ANNA], base64_attachments=["niet base64!"]))[0] == 400
    assert (await send(recipients=[ANNA], view_once=True))[0] == 400
    picture = "data:image/jpeg;filename=foto.jpg;base64," + base64.b64encode(b"jpeg").decode()
    status, answer = await send(recipients=[ANNA, BOB], base64_attachments=[picture])
    assert status == 201
    assert len(answer) == 1
    assert standin.sent[-1].recipients == [ANNA, BOB]
    assert standin.sent[-1].base64_attachments == [picture]
    standin.set_members(group, [ANNA, BOB])  # the bot stays unless told otherwise
    assert standin.members[group] == [BOT, ANNA, BOB]
    standin.set_members(group, [ANNA], keep_bot=False)  # the bot was removed by someone else
    assert (await send(recipients=[group]))[0] == 400
    async with http.post("/v2/send", data="geen json") as resp:
        assert resp.status == 400
    assert len(standin.sent) == 1


async def test_basic_auth() -> None:
    server = SignalStandIn(auth=("buurt", "geheim"))
    await server.start()
    try:
        async with ClientSession(base_url=server.base_url) as http:
            async with http.get("/v1/health") as resp:
                assert resp.status == 401
            async with http.get(
                "/v1/health", headers={"Authorization": encode_basic_auth("buurt", "fout")}
            ) as resp:
                assert resp.status == 401
            async with http.get(
                "/v1/health", headers={"Authorization": encode_basic_auth("buurt", "geheim")}
            ) as resp:
                assert resp.status == 204
        with pytest.raises(InvalidStatus) as caught:
            async with websockets.connect(f"ws://{server.service}/v1/receive/{server.number}"):
                pass
        assert caught.value.response.status_code == 401
        assert server.connects == 0
        auth = {"type": "basic", "username": "buurt", "password": "geheim"}
        async with running_bot(server, auth=auth):
            assert server.connects == 1
    finally:
        await server.stop()


# -- the receive WebSocket --------------------------------------------------------------------
async def test_frames_are_signal_cli_json(standin: SignalStandIn) -> None:
    group = standin.add_group("Buurtpreventie Goor", [BOB])
    lost = standin.push_message(ANNA, "niemand luistert")  # no WebSocket open: lost
    assert standin.dropped == [lost]
    uri = f"ws://{standin.service}/v1/receive/{BOT}"
    async with websockets.connect(uri) as ws:
        await eventually(lambda: standin.connections == 1)
        direct = standin.push_message(ANNA, "Hallo")
        photo = {"contentType": "image/jpeg", "filename": "auto.jpg", "size": 2048}
        in_group = standin.push_message(BOB, None, group=group, attachments=[photo])
        first = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        second = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert first == {"envelope": direct, "account": BOT}
    envelope = first["envelope"]
    assert {k: envelope[k] for k in ("source", "sourceNumber", "sourceName", "sourceDevice")} == {
        "source": ANNA,
        "sourceNumber": ANNA,
        "sourceName": "Anna",
        "sourceDevice": 1,
    }
    assert envelope["serverDeliveredTimestamp"] >= envelope["timestamp"]
    assert envelope["dataMessage"]["message"] == "Hallo"
    assert "groupInfo" not in envelope["dataMessage"]
    data = second["envelope"]["dataMessage"]
    assert second["envelope"] == in_group
    assert data["message"] is None
    assert data["groupInfo"] == {
        "groupId": standin.internal_id(group),
        "groupName": "Buurtpreventie Goor",
        "revision": 1,
        "type": "DELIVER",
    }
    (attachment,) = data["attachments"]
    assert attachment["contentType"] == "image/jpeg"
    assert attachment["size"] == 2048
    assert attachment["id"]
    assert "isVoiceNote" not in attachment
    assert direct["timestamp"] < in_group["timestamp"]
    await eventually(lambda: standin.connections == 0)
    assert standin.connects == 1
    with pytest.raises(ValueError, match="not a member"):
        standin.push_message(ANNA, "Ik ben geen lid", group=group)
    with pytest.raises(ValueError, match="sync"):
        standin.push_message(BOT, "Van mezelf")


async def test_server_pings_until_silent() -> None:
    server = SignalStandIn(ping_period=0.05)
    await server.start()
    try:
        async with (
            ClientSession() as session,
            session.ws_connect(
                f"ws://{server.service}/v1/receive/{server.number}", autoping=False
            ) as ws,
        ):
            message = await ws.receive(timeout=TIMEOUT)
            assert message.type is WSMsgType.PING  # every 54 s by default, as the real server
            server.go_silent()
            await frames_within(ws, 0.1)  # a ping in flight may still arrive
            assert await frames_within(ws, 0.3) == []
    finally:
        await server.stop()


@pytest.mark.parametrize("code", [1000, 1001])
async def test_clean_close_is_not_reconnected_by_signalbot(
    standin: SignalStandIn, code: int
) -> None:
    """The trap: after a close with 1000 or 1001 signalbot's producer just ends, for good."""
    inbox = Inbox()
    async with running_bot(standin, inbox):
        await standin.close_websockets(code)
        assert standin.connections == 0
        await asyncio.sleep(1.5)  # longer than signalbot's first restart delay (1 s)
        assert (standin.connections, standin.connects) == (0, 1)
        lost = standin.push_message(ANNA, "Hallo?")
        await asyncio.sleep(0.1)
        assert standin.dropped == [lost]
        assert inbox.messages == []


async def test_abnormal_close_and_restart_are_reconnected(standin: SignalStandIn) -> None:
    inbox = Inbox()
    async with running_bot(standin, inbox):
        await standin.close_websockets(1011)  # an error close: signalbot retries after 1 s
        await eventually(lambda: standin.connects == 2 and standin.connections == 1)
        port = standin.port
        await standin.stop()  # like a dying container: no close frame, the client sees 1006
        await standin.start(port=port)
        await eventually(lambda: standin.connects == 3 and standin.connections == 1)
        standin.push_message(ANNA, "Weer verbonden")
        await eventually(lambda: len(inbox.messages) == 1)
    assert standin.dropped == []


async def test_attachment_without_voice_note_flag_breaks_signalbot(
    standin: SignalStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    """signal-cli's attachment JSON has no isVoiceNote; signalbot 2.2.1 requires it.

    The producer dies on the validation error and reconnects a second later, and the message
    never reaches a handler.
    """
    inbox = Inbox()
    photo = {"contentType": "image/jpeg", "filename": "auto.jpg", "size": 2048}
    async with running_bot(standin, inbox):
        standin.push_message(ANNA, "Foto", attachments=[photo])
        await eventually(lambda: standin.connects == 2 and standin.connections == 1)
        assert inbox.messages == []
        standin.push_message(ANNA, "Foto", attachments=[photo | {"isVoiceNote": False}])
        await eventually(lambda: len(inbox.messages) == 1)
    (message,) = inbox.messages
    assert message.attachments is not None
    assert message.attachments[0].content_type == "image/jpeg"
    assert "isVoiceNote" in capsys.readouterr().err  # the traceback signalbot printed


async def test_silent_socket_stays_open_without_pongs(standin: SignalStandIn) -> None:
    uri = f"ws://{standin.service}/v1/receive/{BOT}"
    async with websockets.connect(uri, ping_interval=None) as ws:
        await eventually(lambda: standin.connections == 1)
        await asyncio.wait_for(await ws.ping(), TIMEOUT)  # answered while speaking
        standin.go_silent()
        lost = standin.push_message(ANNA, "Hoort iemand dit?")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(await ws.ping(), 0.3)
        assert standin.connections == 1  # half-open: the TCP connection is still there
        assert standin.dropped == [lost]
        standin.speak()
        kept = standin.push_message(ANNA, "Weer hoorbaar")
        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert frame["envelope"] == kept

    # The client gives up after ping_timeout, then waits close_timeout for the server to close
    # the TCP connection (signalbot keeps websockets' defaults: 20 s, 20 s and 10 s).
    async with websockets.connect(
        uri, ping_interval=0.1, ping_timeout=0.2, close_timeout=0.2
    ) as ws:
        await eventually(lambda: standin.connections == 1)
        standin.go_silent()
        with pytest.raises(ConnectionClosedError) as caught:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert caught.value.sent is not None
        assert caught.value.sent.reason == "keepalive ping timeout"
    await eventually(lambda: standin.connections == 0)
    assert standin.connects == 2


async def test_plain_get_on_receive_is_refused(standin: SignalStandIn, http: ClientSession) -> None:
    async with http.get(f"/v1/receive/{BOT}") as resp:
        assert resp.status == 400
        assert "websocket" in (await resp.json())["error"]
    standin.fail_next("GET", "/v1/receive", status=503)
    with pytest.raises(InvalidStatus):
        async with websockets.connect(f"ws://{standin.service}/v1/receive/{BOT}"):
            pass
    assert standin.connects == 0


# -- as a process of its own ------------------------------------------------------------------
async def test_process_mode(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.standins.signal_api",
            "--port-file",
            str(port_file),
            "--groups",
            "2",
        ],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):
            if port_file.exists() or process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert port_file.exists(), process.stderr.read() if process.stderr else ""
        base = f"http://127.0.0.1:{int(port_file.read_text())}"
        group = numbered_group_id(2)
        async with ClientSession(base_url=base) as http:
            async with http.get("/_control/state") as resp:
                state = await resp.json()
            assert [g["id"] for g in state["groups"]] == [numbered_group_id(1), group]
            assert (state["connections"], state["dropped"], state["sent"]) == (0, 0, [])
            member = state["groups"][1]["members"][1]
            async with http.post(
                "/_control/push", json={"source": member, "text": "Hallo", "group": group}
            ) as resp:
                pushed = (await resp.json())["envelope"]
            assert pushed["dataMessage"]["groupInfo"]["groupId"] == internal_id_for(group)
            async with http.post(
                "/v2/send", json={"number": BOT, "recipients": [group], "message": "Gezien"}
            ) as resp:
                assert resp.status == 201
            async with http.get("/_control/state") as resp:
                state = await resp.json()
        assert state["dropped"] == 1  # nobody was listening
        assert [(m["recipients"], m["message"]) for m in state["sent"]] == [([group], "Gezien")]
        assert state["calls_count"] == 1  # control routes are not API calls
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        if process.stderr:
            process.stderr.close()
