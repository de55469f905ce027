"""Pure mapping between signal-cli envelopes and neutral events, and rich text and Signal text.

No network here: the functions take the JSON that signal-cli-rest-api (json-rpc mode) sends
on its receive WebSocket (the ``envelope`` of a frame) and return core values.

Identities: a person is their phone number in E.164 form. Someone who hides their number
(Signal's phone number privacy) arrives with a uuid only and becomes ``uuid:<uuid>``: the
core has no such identity on record, so it treats them as a stranger, which is what they are
to it. Messages are ``<timestamp>:<author>``, the two things a Signal quote needs. Event ids
are hashed: they are kept to recognise repeats, and must not keep a phone number with them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import phonenumbers

from buurtbot.core.commands import Command, parse_command_text
from buurtbot.core.events import (
    CommandReceived,
    InboundEvent,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    Sender,
)
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import Capabilities, RateLimits
from buurtbot.core.text import RichText, Span

#: Longest inbound text we look at (Signal sends longer texts as an attachment anyway).
MAX_INBOUND_TEXT = 16_384

#: What signal-cli-rest-api puts before the base64 of a group's internal id in REST paths.
GROUP_PREFIX = "group."

#: An identity without a phone number: ``uuid:`` and the account's uuid (ACI).
UUID_PREFIX = "uuid:"

#: Signal publishes no rate limits; these keep well clear of its spam detection, which
#: answers a burst with a captcha challenge that stops all sending until solved by hand.
RATE_LIMITS = RateLimits(overall_per_second=1.0, per_chat_per_second=1.0, per_group_per_minute=20)

CAPABILITIES = Capabilities(
    buttons=False,
    invite_links=False,
    join_requests=False,
    add_members=True,
    remove_members=True,
    delete_messages=False,
    edit_messages=False,
    admin_rights=True,
    send_files=True,
    send_images=True,
    max_text_length=2000,
    rate_limits=RATE_LIMITS,
)

#: ``START <token>`` typed in a private chat: Signal has no deep links to carry the token.
_START = re.compile(r"^\s*start\s+(\S+)\s*$", re.IGNORECASE)

#: ``groupInfo.type`` of an envelope that changes a group rather than posting in it.
_GROUP_CHANGES = frozenset({"UPDATE", "QUIT"})

#: The characters signal-cli-rest-api's ``styled`` text mode reads as markup.
_MARKUP = frozenset("*`~|")
_ESCAPE = "\\"
#: Keeps two markers (or an escaped character and a marker) from running together.
_SEPARATOR = "\u200b"


def capabilities(rate_limits: RateLimits | None = None) -> Capabilities:
    """Signal's capabilities, with other rate limits where the operator set them."""
    return CAPABILITIES if rate_limits is None else replace(CAPABILITIES, rate_limits=rate_limits)


# -- ids ------------------------------------------------------------------------------------------
def rest_group_id(internal_id: str) -> str:
    """The id REST paths use for a group: ``group.`` + base64 of the internal id *text*.

    The internal id (as envelopes carry it) is itself base64 of 32 bytes; signal-cli-rest-api
    encodes that text once more (``convertInternalGroupIdToGroupId`` in its client.go)."""
    return GROUP_PREFIX + base64.b64encode(internal_id.encode("utf-8")).decode("ascii")


def internal_group_id(rest_id: str) -> str | None:
    """The internal id behind a REST group id, or ``None`` when ``rest_id`` is not one."""
    if not rest_id.startswith(GROUP_PREFIX):
        return None
    try:
        internal = base64.b64decode(rest_id[len(GROUP_PREFIX) :], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return internal or None


def normalise_number(text: object) -> str | None:
    """``text`` as an E.164 number, or ``None`` when it is not a phone number.

    "Possible" rather than "valid": Signal only ever sends real, registered numbers, and a
    number from a range newer than the installed ``phonenumbers`` metadata must not turn
    into an unknown sender."""
    if not isinstance(text, str) or not text.startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def account_identity(number: object, account_uuid: object) -> PlatformIdentity | None:
    """The identity of an account shown by number and/or uuid; the number wins."""
    found = normalise_number(number)
    if found is not None:
        return PlatformIdentity(Platform.SIGNAL, found)
    if isinstance(account_uuid, str) and _is_uuid(account_uuid):
        return PlatformIdentity(Platform.SIGNAL, UUID_PREFIX + account_uuid.lower())
    return None


def member_identity(member: str) -> PlatformIdentity | None:
    """A group member as the groups endpoints list them: a number, else a uuid."""
    return account_identity(member, member)


def recipient(identity: PlatformIdentity) -> str | None:
    """What signal-cli takes as the address of ``identity``: a number or a bare uuid."""
    ref = identity.user_ref
    if ref.startswith(UUID_PREFIX):
        rest = ref[len(UUID_PREFIX) :]
        return rest if _is_uuid(rest) else None
    return normalise_number(ref)


def chat_recipient(chat: ChatRef) -> str | None:
    """The REST recipient of ``chat``: the group id, or the other person's address."""
    if chat.private:
        return recipient(PlatformIdentity(Platform.SIGNAL, chat.chat_id))
    return chat.chat_id if internal_group_id(chat.chat_id) is not None else None


def message_ref(chat: ChatRef, timestamp: int, author: PlatformIdentity) -> MessageRef:
    return MessageRef(chat, f"{timestamp}:{author.user_ref}")


def quote_target(ref: MessageRef) -> tuple[int, str] | None:
    """``(timestamp, author address)`` of a message, for ``quote_timestamp``/``quote_author``;
    ``None`` for a reference that is not a Signal message."""
    stamp, _, author = ref.message_id.partition(":")
    if not stamp.isdecimal() or not author:
        return None
    address = recipient(PlatformIdentity(Platform.SIGNAL, author))
    return (int(stamp), address) if address is not None else None


# -- envelopes ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GroupChanged:
    """A group update (members, name, rights changed): the envelope does not say what changed,
    so the adapter reads the group's members and compares."""

    chat: ChatRef
    timestamp: int
    at: datetime
    by: PlatformIdentity | None


def to_event(
    envelope: Mapping[str, Any], *, own_number: str | None = None
) -> InboundEvent | GroupChanged | None:
    """The neutral event for ``envelope``; ``None`` for what the core does not act on.

    Left out: receipts, typing, calls, stories, edits, reactions, deletions, stickers, the
    bot's own messages (sync messages from its linked devices included), and messages with
    neither text nor attachments (profile key updates, disappearing-message timers)."""
    data = _mapping(envelope.get("dataMessage"))
    if data is None:
        return None
    sender = account_identity(envelope.get("sourceNumber"), envelope.get("sourceUuid"))
    if sender is None:
        sender = account_identity(envelope.get("source"), envelope.get("source"))
    if own_number is not None and sender is not None and sender.user_ref == own_number:
        return None
    timestamp = _int(data.get("timestamp")) or _int(envelope.get("timestamp"))
    if timestamp is None:
        return None
    at = datetime.fromtimestamp(timestamp / 1000, UTC)
    group = _mapping(data.get("groupInfo"))
    internal = _str(group.get("groupId")) if group is not None else None
    if group is not None and internal is None:
        return None  # a group message without its group: nowhere to put it
    if group is not None and group.get("type") in _GROUP_CHANGES:
        assert internal is not None
        return GroupChanged(
            ChatRef(Platform.SIGNAL, rest_group_id(internal)), timestamp, at, sender
        )
    if sender is None:
        return None
    if any(data.get(key) for key in ("reaction", "remoteDelete", "sticker", "adminDelete")):
        return None
    chat = (
        ChatRef(Platform.SIGNAL, rest_group_id(internal))
        if internal is not None
        else ChatRef.private_with(sender)
    )
    return _message(envelope, data, chat, sender, timestamp, at)


def _message(
    envelope: Mapping[str, Any],
    data: Mapping[str, Any],
    chat: ChatRef,
    sender: PlatformIdentity,
    timestamp: int,
    at: datetime,
) -> InboundEvent | None:
    text = _cut(_str(data.get("message")) or "")
    attachments = [a for a in _list(data.get("attachments")) if isinstance(a, Mapping)]
    if not text.strip() and not attachments:
        return None
    who = Sender(identity=sender, display_name=_str(envelope.get("sourceName")) or "")
    event_id = _event_id("msg", sender.user_ref, str(timestamp))
    ref = message_ref(chat, timestamp, sender)
    quote = _mapping(data.get("quote"))
    quoted_by = (
        account_identity(quote.get("authorNumber"), quote.get("authorUuid"))
        or account_identity(quote.get("author"), quote.get("author"))
        if quote is not None
        else None
    )
    quoted_at = _int(quote.get("id")) if quote is not None else None
    reply_to = (
        message_ref(chat, quoted_at, quoted_by)
        if quoted_by is not None and quoted_at is not None
        else None
    )
    if not attachments:
        start = _START.match(text) if chat.private else None
        if start is not None:
            return CommandReceived(
                event_id=event_id,
                chat=chat,
                sender=who,
                at=at,
                message=ref,
                name=Command.START.value,
                args=(start.group(1),),
            )
        parsed = parse_command_text(text)
        if parsed is not None:
            quoted_text = _str(quote.get("text")) if quote is not None else None
            return CommandReceived(
                event_id=event_id,
                chat=chat,
                sender=who,
                at=at,
                message=ref,
                name=parsed.name,
                args=parsed.args,
                reply_to=reply_to,
                reply_to_sender=quoted_by if reply_to is not None else None,
                reply_to_text=_cut(quoted_text) if quoted_text is not None else None,
            )
    photo = any((_str(a.get("contentType")) or "").startswith("image/") for a in attachments)
    return MessageReceived(
        event_id=event_id,
        chat=chat,
        sender=who,
        at=at,
        message=ref,
        text=text,
        reply_to=reply_to,
        has_photo=photo,
    )


def membership_events(
    chat: ChatRef,
    old: Iterable[str],
    new: Iterable[str],
    *,
    at: datetime,
    cause: str,
    own_number: str | None = None,
) -> list[InboundEvent]:
    """``MemberJoined``/``MemberLeft`` for the difference between two member lists.

    ``cause`` names what showed the change (the update's timestamp, or a resync's time): it
    makes the event ids, so the same change seen through the same cause is one event."""
    before, after = set(old), set(new)
    events: list[InboundEvent] = []
    for kind, members in ((MemberLeft, before - after), (MemberJoined, after - before)):
        for member in sorted(members):
            identity = member_identity(member)
            if identity is None or identity.user_ref == own_number:
                continue
            events.append(
                kind(
                    event_id=_event_id(kind.__name__, chat.chat_id, identity.user_ref, cause),
                    chat=chat,
                    sender=Sender(identity=identity),
                    at=at,
                )
            )
    return events


# -- text -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SignalText:
    """A message body and the ``text_mode`` to send it with."""

    text: str
    styled: bool

    @property
    def text_mode(self) -> str:
        return "styled" if self.styled else "normal"


def to_signal_text(text: RichText) -> SignalText:
    """``text`` for ``POST /v2/send``.

    Without bold, italic or code it is the plain text in ``normal`` mode: nothing is read
    as markup. Otherwise it goes in ``styled`` mode, where signal-cli-rest-api turns
    ``**bold**``, ``*italic*`` and ```code``` into Signal's text styles. Every span's text is
    then escaped (a backslash before each of ``* ` ~ |``), so a name or a message quoted in a
    styled text can never switch styles on or off. Two spots the escape cannot cover (a
    marker right after a literal ``*`` or ``\\``, two markers in a row) get an invisible
    zero-width space between them."""
    spans = _merged(text.spans)
    if not any(s.bold or s.italic or s.code for s in spans):
        return SignalText("".join(s.text for s in spans), styled=False)
    out: list[str] = []
    for span in spans:
        opening = (
            ("**" if span.bold else "") + ("*" if span.italic else "") + ("`" if span.code else "")
        )
        _emit_marker(out, opening)
        out.append("".join(_ESCAPE + c if c in _MARKUP else c for c in span.text))
        _emit_marker(out, opening[::-1])
    return SignalText("".join(out), styled=True)


def _emit_marker(out: list[str], marker: str) -> None:
    if not marker:
        return
    last = out[-1][-1:] if out and out[-1] else ""
    if last and (last == _ESCAPE or last in _MARKUP):
        out.append(_SEPARATOR)
    out.append(marker)


def _merged(spans: Iterable[Span]) -> list[Span]:
    """Neighbouring spans of one style as one, empty ones dropped: ``**a****b**`` would read
    as bold-italic markers."""
    merged: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        if merged and _style(merged[-1]) == _style(span):
            last = merged.pop()
            span = Span(last.text + span.text, span.bold, span.italic, span.code)
        merged.append(span)
    return merged


def _style(span: Span) -> tuple[bool, bool, bool]:
    return (span.bold, span.italic, span.code)


# -- helpers --------------------------------------------------------------------------------------
def _event_id(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"signal:{digest}"


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _cut(text: str) -> str:
    return text[:MAX_INBOUND_TEXT]


def _mapping(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdecimal():
        return int(value)
    return None
