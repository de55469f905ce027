"""The pure Signal mapping: envelopes (as signal-cli-rest-api's json-rpc receive WebSocket
sends them) to neutral events, ids both ways, and rich text to Signal's text modes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buurtbot.adapters.signal.mapping import (
    CAPABILITIES,
    GroupChanged,
    capabilities,
    chat_recipient,
    internal_group_id,
    member_identity,
    membership_events,
    message_ref,
    normalise_number,
    quote_target,
    recipient,
    rest_group_id,
    to_event,
    to_signal_text,
)
from buurtbot.core.events import CommandReceived, MemberJoined, MemberLeft, MessageReceived
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import RateLimits
from buurtbot.core.text import RichText, Span, bold, code, italic

BOT = "+31612345678"
FRANK = "+31687654321"
GERDA = "+31611122233"
FRANK_UUID = "6c1d5a1e-8f1e-4a47-9a2d-4a8e1f0b7c11"
HIDDEN_UUID = "0e7f4c3a-2b1d-4e5f-8a9b-c0d1e2f3a4b5"
# A real-shaped internal id (base64 of 32 bytes) and its REST id.
INTERNAL = base64.b64encode(bytes(range(32))).decode()
GROUP_ID = rest_group_id(INTERNAL)
GROUP = ChatRef(Platform.SIGNAL, GROUP_ID)
TS = 1_718_000_000_123
AT = datetime.fromtimestamp(TS / 1000, UTC)


def envelope(
    data: dict[str, Any] | None = None,
    *,
    number: str | None = FRANK,
    source_uuid: str = FRANK_UUID,
    name: str | None = "Frank",
    **extra: Any,
) -> dict[str, Any]:
    """An envelope as signal-cli writes it (null fields included)."""
    env: dict[str, Any] = {
        "source": number or source_uuid,
        "sourceNumber": number,
        "sourceUuid": source_uuid,
        "sourceName": name,
        "sourceDevice": 1,
        "timestamp": TS,
        "serverReceivedTimestamp": TS + 40,
        "serverDeliveredTimestamp": TS + 90,
    }
    if data is not None:
        env["dataMessage"] = {
            "timestamp": TS,
            "message": None,
            "expiresInSeconds": 0,
            "viewOnce": False,
            **data,
        }
    env.update(extra)
    return env


def in_group(kind: str = "DELIVER") -> dict[str, Any]:
    return {"groupId": INTERNAL, "groupName": "Goor West", "revision": 4, "type": kind}


# -- ids -------------------------------------------------------------------------------------------
def test_rest_group_id_is_base64_of_the_internal_id_text_as_signal_cli_rest_api_makes_it() -> None:
    # signal-cli-rest-api: "group." + base64.StdEncoding.EncodeToString([]byte(internalId))
    assert rest_group_id("abc=") == "group.YWJjPQ=="
    assert len(GROUP_ID) == len("group.") + 60  # 44 characters of base64, encoded again
    assert internal_group_id(GROUP_ID) == INTERNAL
    # the network file's example ids
    assert internal_group_id("group.ZXhhbXBsZS1nb29yLXdlc3Q=") == "example-goor-west"


@pytest.mark.parametrize("bad", ["+31612345678", "group.", "group.***", "YWJjPQ=="])
def test_internal_group_id_refuses_what_is_no_rest_group_id(bad: str) -> None:
    assert internal_group_id(bad) is None


def test_numbers_are_normalised_to_e164_and_junk_refused() -> None:
    assert normalise_number("+31612345678") == "+31612345678"
    assert normalise_number("+31 6 1234 5678") == "+31612345678"
    for junk in ("0612345678", "+3", "hello", "", None, 31612345678):
        assert normalise_number(junk) is None


def test_members_are_numbers_or_else_uuids() -> None:
    assert member_identity(FRANK) == PlatformIdentity(Platform.SIGNAL, FRANK)
    assert member_identity(HIDDEN_UUID.upper()) == PlatformIdentity(
        Platform.SIGNAL, f"uuid:{HIDDEN_UUID}"
    )
    assert member_identity("not-an-account") is None


def test_recipients_for_people_and_chats() -> None:
    assert recipient(PlatformIdentity(Platform.SIGNAL, FRANK)) == FRANK
    assert recipient(PlatformIdentity(Platform.SIGNAL, f"uuid:{HIDDEN_UUID}")) == HIDDEN_UUID
    assert recipient(PlatformIdentity(Platform.SIGNAL, "uuid:nonsense")) is None
    assert recipient(PlatformIdentity(Platform.SIGNAL, "12345")) is None
    assert chat_recipient(GROUP) == GROUP_ID
    assert chat_recipient(ChatRef(Platform.SIGNAL, FRANK, private=True)) == FRANK
    assert chat_recipient(ChatRef(Platform.SIGNAL, "-1001")) is None


def test_a_message_ref_holds_what_a_quote_needs() -> None:
    ref = message_ref(GROUP, TS, PlatformIdentity(Platform.SIGNAL, FRANK))
    assert ref == MessageRef(GROUP, f"{TS}:{FRANK}")
    assert quote_target(ref) == (TS, FRANK)
    hidden = message_ref(GROUP, TS, PlatformIdentity(Platform.SIGNAL, f"uuid:{HIDDEN_UUID}"))
    assert quote_target(hidden) == (TS, HIDDEN_UUID)
    assert quote_target(MessageRef(GROUP, "17")) is None
    assert quote_target(MessageRef(GROUP, "abc:+31612345678")) is None


def test_capabilities_fit_what_the_bot_can_do_on_signal() -> None:
    caps = CAPABILITIES
    assert not caps.buttons
    assert not caps.invite_links
    assert not caps.join_requests
    assert caps.add_members
    assert caps.remove_members
    assert caps.admin_rights
    assert not caps.edit_messages
    assert not caps.delete_messages
    assert caps.max_text_length == 2000
    assert caps.rate_limits.overall_per_second <= 1
    slower = capabilities(RateLimits(0.5, 0.5, 10))
    assert slower.rate_limits == RateLimits(0.5, 0.5, 10)
    assert slower.add_members


# -- envelopes: messages ---------------------------------------------------------------------------
def test_a_direct_message() -> None:
    event = to_event(envelope({"message": "Hallo, is dit de buurtbot?"}), own_number=BOT)
    assert isinstance(event, MessageReceived)
    assert event.chat == ChatRef(Platform.SIGNAL, FRANK, private=True)
    assert event.sender.identity == PlatformIdentity(Platform.SIGNAL, FRANK)
    assert event.sender.display_name == "Frank"
    assert event.sender.language is None
    assert event.at == AT
    assert event.message == MessageRef(event.chat, f"{TS}:{FRANK}")
    assert event.text == "Hallo, is dit de buurtbot?"
    assert event.reply_to is None
    assert not event.has_photo
    assert event.event_id.startswith("signal:")
    assert FRANK not in event.event_id  # kept to spot repeats: no phone number in it


def test_a_group_message_is_in_the_group_by_its_rest_id() -> None:
    event = to_event(envelope({"message": "Verdacht busje", "groupInfo": in_group()}))
    assert isinstance(event, MessageReceived)
    assert event.chat == GROUP
    assert event.message == MessageRef(GROUP, f"{TS}:{FRANK}")


def test_the_same_message_twice_is_one_event_id_and_another_is_another() -> None:
    first = to_event(envelope({"message": "a"}))
    again = to_event(envelope({"message": "a"}))
    other = to_event(envelope({"message": "a", "timestamp": TS + 1}))
    assert first is not None
    assert again is not None
    assert other is not None
    assert first.event_id == again.event_id != other.event_id  # type: ignore[union-attr]


def test_a_command_in_a_group_with_the_quoted_message() -> None:
    quote = {
        "id": TS - 5000,
        "author": GERDA,
        "authorNumber": GERDA,
        "authorUuid": "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9",
        "text": "Man in donkere jas bij de school",
        "attachments": [],
    }
    event = to_event(
        envelope({"message": "/Escaleer buren", "quote": quote, "groupInfo": in_group()})
    )
    assert isinstance(event, CommandReceived)
    assert event.name == "escaleer"
    assert event.args == ("buren",)
    assert event.chat == GROUP
    assert event.reply_to == MessageRef(GROUP, f"{TS - 5000}:{GERDA}")
    assert event.reply_to_sender == PlatformIdentity(Platform.SIGNAL, GERDA)
    assert event.reply_to_text == "Man in donkere jas bij de school"


def test_a_quote_of_someone_without_a_visible_number_refers_to_their_uuid() -> None:
    quote = {"id": TS - 1, "author": HIDDEN_UUID, "authorNumber": None, "authorUuid": HIDDEN_UUID}
    event = to_event(envelope({"message": "klopt", "quote": quote, "groupInfo": in_group()}))
    assert isinstance(event, MessageReceived)
    assert event.reply_to == MessageRef(GROUP, f"{TS - 1}:uuid:{HIDDEN_UUID}")


def test_start_with_a_token_in_a_direct_message_is_the_start_command() -> None:
    event = to_event(envelope({"message": "  start Ab3_-xYz9 "}))
    assert isinstance(event, CommandReceived)
    assert (event.name, event.args) == ("start", ("Ab3_-xYz9",))
    assert event.chat.private
    slash = to_event(envelope({"message": "/start Ab3"}))
    assert isinstance(slash, CommandReceived)
    assert slash.args == ("Ab3",)


def test_start_in_a_group_or_without_a_token_is_just_a_message() -> None:
    in_group_chat = to_event(envelope({"message": "START abc", "groupInfo": in_group()}))
    assert isinstance(in_group_chat, MessageReceived)
    alone = to_event(envelope({"message": "Start"}))
    assert isinstance(alone, MessageReceived)
    sentence = to_event(envelope({"message": "start de auto niet"}))
    assert isinstance(sentence, MessageReceived)


def test_a_photo_is_a_message_with_a_photo_and_its_caption_is_never_a_command() -> None:
    attachment = {
        "contentType": "image/jpeg",
        "filename": "IMG_0001.jpg",
        "id": "a1b2c3.jpg",
        "size": 123456,
        "width": 1024,
        "height": 768,
        "caption": None,
        "uploadTimestamp": TS,
    }
    event = to_event(envelope({"message": "/help", "attachments": [attachment]}))
    assert isinstance(event, MessageReceived)
    assert event.has_photo
    assert event.text == "/help"
    bare = to_event(envelope({"attachments": [attachment], "groupInfo": in_group()}))
    assert isinstance(bare, MessageReceived)
    assert bare.has_photo
    assert bare.text == ""
    pdf = to_event(envelope({"attachments": [{**attachment, "contentType": "application/pdf"}]}))
    assert isinstance(pdf, MessageReceived)
    assert not pdf.has_photo


def test_someone_hiding_their_number_is_known_by_uuid() -> None:
    event = to_event(envelope({"message": "hoi"}, number=None, source_uuid=HIDDEN_UUID))
    assert isinstance(event, MessageReceived)
    hidden = PlatformIdentity(Platform.SIGNAL, f"uuid:{HIDDEN_UUID}")
    assert event.sender.identity == hidden
    assert event.chat == ChatRef(Platform.SIGNAL, f"uuid:{HIDDEN_UUID}", private=True)
    assert chat_recipient(event.chat) == HIDDEN_UUID


@pytest.mark.parametrize(
    "env",
    [
        envelope(receiptMessage={"when": TS, "isDelivery": True, "timestamps": [TS - 9]}),
        envelope(typingMessage={"action": "STARTED", "timestamp": TS}),
        envelope(syncMessage={"sentMessage": {"destination": GERDA, "message": "x"}}),
        envelope(editMessage={"targetSentTimestamp": TS - 1, "dataMessage": {"message": "y"}}),
        envelope({"reaction": {"emoji": "👍", "targetAuthor": GERDA, "targetSentTimestamp": 1}}),
        envelope({"remoteDelete": {"timestamp": TS - 1}}),
        envelope({"sticker": {"packId": "p", "stickerId": 2}}),
        envelope({"message": None}),
        envelope({"message": "   "}),
        envelope({"message": "x"}, number=None, source_uuid="not-a-uuid"),
        envelope({"message": "x", "groupInfo": {"groupName": "geen id", "type": "DELIVER"}}),
        envelope({"message": "mijn eigen bericht"}, number=BOT),
    ],
)
def test_what_the_core_does_not_act_on_is_left_out(env: dict[str, Any]) -> None:
    assert to_event(env, own_number=BOT) is None


def test_a_group_update_asks_the_adapter_to_look_at_the_members() -> None:
    event = to_event(envelope({"groupInfo": in_group("UPDATE")}))
    assert event == GroupChanged(GROUP, TS, AT, PlatformIdentity(Platform.SIGNAL, FRANK))


def test_long_text_is_cut() -> None:
    event = to_event(envelope({"message": "x" * 20_000}))
    assert isinstance(event, MessageReceived)
    assert len(event.text) == 16_384


# -- membership ------------------------------------------------------------------------------------
def test_membership_events_are_the_difference_without_the_bot() -> None:
    events = membership_events(
        GROUP,
        [BOT, FRANK, GERDA],
        [BOT, GERDA, "+31699988877", HIDDEN_UUID],
        at=AT,
        cause=str(TS),
        own_number=BOT,
    )
    kinds = [(type(e), e.sender.identity.user_ref) for e in events]
    assert kinds == [
        (MemberLeft, FRANK),
        (MemberJoined, "+31699988877"),
        (MemberJoined, f"uuid:{HIDDEN_UUID}"),
    ]
    assert all(e.chat == GROUP and e.at == AT for e in events)
    assert len({e.event_id for e in events}) == 3
    again = membership_events(GROUP, [BOT, FRANK], [BOT], at=AT, cause=str(TS), own_number=BOT)
    assert again[0].event_id == events[0].event_id
    other = membership_events(GROUP, [BOT, FRANK], [BOT], at=AT, cause="x", own_number=BOT)
    assert other[0].event_id != events[0].event_id
    assert membership_events(GROUP, [BOT], [], at=AT, cause="y", own_number=BOT) == []


# -- text ------------------------------------------------------------------------------------------
def test_plain_text_goes_in_normal_mode_unchanged() -> None:
    sent = to_signal_text(RichText.of("Let op: **niet vet** en *ook niet* `code` ~x~ ||y||\\"))
    assert not sent.styled
    assert sent.text_mode == "normal"
    assert sent.text == "Let op: **niet vet** en *ook niet* `code` ~x~ ||y||\\"


def test_styles_become_markup_and_user_text_is_escaped() -> None:
    sent = to_signal_text(RichText.of(bold("Melding"), " van *Frank*: ", code("START a_b")))
    assert sent.styled
    assert sent.text_mode == "styled"
    assert sent.text == "**Melding** van \\*Frank\\*: `START a_b`"
    assert parse_styled(sent.text) == (
        "Melding van *Frank*: START a_b",
        [(0, 7, "BOLD"), (21, 9, "MONOSPACE")],
    )


def test_adjacent_styles_and_markers_next_to_escapes_stay_apart() -> None:
    text = RichText.of(bold("a*"), italic("b"), Span("c", bold=True, italic=True), bold("\\"), "d")
    sent = to_signal_text(text).text
    assert "".join(ch for ch, _ in shown(sent)) == "a*bc\\d"
    assert shown(sent) == meant(text)


# A port of signal-cli-rest-api's TextstyleParser (src/utils/textstyleparser.go), to check
# what Signal will show for what we send in styled mode.
def parse_styled(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    out = ""
    styles: list[tuple[int, int, str]] = []
    stack: list[tuple[int, str]] = []
    pos = 0
    prev = ""

    def utf16(s: str) -> int:
        return len(s.encode("utf-16-le")) // 2

    def token(kind: str) -> None:
        if stack and stack[-1][1] == kind:
            begin, _ = stack.pop()
            length = utf16(out) - begin
            if kind == "BOLD_ITALIC":
                styles.extend([(begin, length, "BOLD"), (begin, length, "ITALIC")])
            else:
                styles.append((begin, length, kind))
        else:
            stack.append((utf16(out), kind))

    while pos < len(text):
        c = text[pos]
        pos += 1
        nxt = text[pos] if pos < len(text) else ""
        if c == "*":
            if nxt == "*":
                pos += 1
                if (text[pos] if pos < len(text) else "") == "*":
                    pos += 1
                    if prev == "\\":
                        prev = c
                        out += "***"
                        continue
                    token("BOLD_ITALIC")
                else:
                    if prev == "\\":
                        prev = c
                        out += "**"
                        continue
                    token("BOLD")
            else:
                if prev == "\\":
                    prev = c
                    out += "*"
                    continue
                token("ITALIC")
        elif c == "|" and nxt == "|":
            pos += 1
            if prev == "\\":
                prev = c
                out += "||"
                continue
            token("SPOILER")
        elif c == "~":
            if prev == "\\":
                prev = c
                out += "~"
                continue
            token("STRIKETHROUGH")
        elif c == "`":
            if prev == "\\":
                prev = c
                out += "`"
                continue
            token("MONOSPACE")
        elif c == "\\" and nxt in ("*", "`", "|", "~"):
            prev = c
            continue
        else:
            out += c
        prev = c
    return out, styles


def shown(text: str) -> list[tuple[str, frozenset[str]]]:
    """Each visible character of a styled text as Signal shows it, with its styles (the
    zero-width separators left out)."""
    visible, styles = parse_styled(text)
    units: list[int] = []  # the UTF-16 offset of each character
    offset = 0
    for ch in visible:
        units.append(offset)
        offset += len(ch.encode("utf-16-le")) // 2
    chars: list[tuple[str, frozenset[str]]] = []
    for ch, at in zip(visible, units, strict=True):
        if ch == "\u200b":
            continue
        kinds = frozenset(kind for begin, length, kind in styles if begin <= at < begin + length)
        chars.append((ch, kinds))
    return chars


def meant(text: RichText) -> list[tuple[str, frozenset[str]]]:
    chars: list[tuple[str, frozenset[str]]] = []
    for span in text.spans:
        kinds = {"BOLD"} if span.bold else set()
        kinds |= {"ITALIC"} if span.italic else set()
        kinds |= {"MONOSPACE"} if span.code else set()
        chars += [(ch, frozenset(kinds)) for ch in span.text]
    return chars


_TEXT = st.text(alphabet=st.sampled_from(list("ab *`~|\\_é🙂\n")), min_size=0, max_size=8)
_SPANS = st.lists(
    st.builds(Span, _TEXT, st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=6
)


@given(_SPANS)
def test_any_text_shows_exactly_as_meant_in_signal(spans: list[Span]) -> None:
    text = RichText(tuple(spans))
    sent = to_signal_text(text)
    if not sent.styled:
        assert sent.text == text.plain
        return
    assert shown(sent.text) == meant(text)
