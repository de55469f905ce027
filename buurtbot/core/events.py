"""Neutral inbound events: what an adapter tells the core happened on its platform.

Every event carries a platform-unique ``event_id``; the core processes each id once, so an
update the platform delivers twice changes state once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from buurtbot.core.ids import ChatRef, MessageRef, PlatformIdentity


@dataclass(frozen=True, slots=True, kw_only=True)
class Sender:
    """Who acted, as the platform shows them. ``language`` is the app's language hint."""

    identity: PlatformIdentity
    display_name: str = ""
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundEvent:
    event_id: str
    chat: ChatRef
    sender: Sender
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceived(InboundEvent):
    """A plain message. Its text is looked at once and never stored."""

    message: MessageRef
    text: str = ""
    reply_to: MessageRef | None = None
    has_photo: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandReceived(InboundEvent):
    """A command such as ``/escalate buren``; ``name`` is lower-case, without slash or @bot."""

    message: MessageRef
    name: str
    args: tuple[str, ...] = ()
    reply_to: MessageRef | None = None
    reply_to_sender: PlatformIdentity | None = None
    reply_to_text: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberJoined(InboundEvent):
    """``sender`` joined ``chat`` (by invite, by being added, or by an approved request)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberLeft(InboundEvent):
    """``sender`` left ``chat`` or was removed from it on the platform."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinRequested(InboundEvent):
    """``sender`` asks to join ``chat``; ``invite_name`` labels the link they used, if known."""

    invite_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPressed(InboundEvent):
    """A button of an earlier message was pressed; ``data`` is what the core put in it."""

    data: str
    message: MessageRef | None = None
    callback_id: str | None = None
