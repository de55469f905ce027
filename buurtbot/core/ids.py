"""Identifiers and the small values that carry platform identity through the core."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NewType

GemeenteId = NewType("GemeenteId", str)
KernId = NewType("KernId", str)
BuurtId = NewType("BuurtId", str)
GroupId = NewType("GroupId", str)
PersonId = NewType("PersonId", str)


class Platform(enum.StrEnum):
    """A chat platform a group or a person lives on."""

    TELEGRAM = "telegram"
    SIGNAL = "signal"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class PlatformIdentity:
    """One person's account on one platform (a Telegram user id, a Signal uuid or number).

    Phone numbers are personal data: they travel inside this one value and nowhere else.
    """

    platform: Platform
    user_ref: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_ref}"


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A chat on a platform: a group chat, or the private chat with one account."""

    platform: Platform
    chat_id: str
    private: bool = False

    @classmethod
    def private_with(cls, identity: PlatformIdentity) -> ChatRef:
        return cls(identity.platform, identity.user_ref, private=True)

    def __str__(self) -> str:
        kind = "private" if self.private else "group"
        return f"{self.platform}:{kind}:{self.chat_id}"


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message inside a chat, as the platform numbers it (reply and forward targets)."""

    chat: ChatRef
    message_id: str
