"""Pure mapping between console lines and neutral events, and actions and printed lines."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from buurtbot.core.commands import parse_command_text
from buurtbot.core.text import RichText


class Meta(enum.StrEnum):
    """Console-only commands: they steer the REPL and never reach the bot."""

    AS = "as"
    JOIN = "join"
    LEAVE = "leave"
    PHOTO = "photo"
    GROUPS = "groups"
    PEOPLE = "people"
    QUIT = "quit"
    EXIT = "exit"
    CONSOLE_HELP = "console"


@dataclass(frozen=True, slots=True)
class MetaLine:
    meta: Meta
    args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChatLine:
    """What the current person types. ``reply_to`` is the console number of the message it
    answers; ``reply_to_latest`` answers the newest message in the chat from someone else."""

    text: str
    reply_to: int | None = None
    reply_to_latest: bool = False


_COPY = re.compile(r"^\{/([A-Za-z0-9_]{1,32})\}$")
_ARGUMENT = "[A-Za-z0-9_-]{1,64}"


def copy_placeholder(text: str) -> str | None:
    """The command of a ``{/cmd}`` line: the console fills in its argument from the screen."""
    match = _COPY.match(text)
    return match.group(1).lower() if match else None


def offered(command: str, text: str) -> str | None:
    """``/command <argument>`` as ``text`` offers it (a Telegram ``?start=`` link counts for
    ``/start``: opening it sends that command); ``None`` when it does not."""
    escaped = re.escape(command)
    match = re.search(
        rf"(?<![\w/])/{escaped}(?:@\w+)?[ \t]+({_ARGUMENT})(?![^\s.,;:!?)])", text, re.IGNORECASE
    )
    if match is None and command == "start":
        match = re.search(rf"[?&]start=({_ARGUMENT})", text)
    return f"/{command} {match.group(1)}" if match else None


_REPLY = re.compile(r"^>\s*#?(\d{1,9})\s+(.*)$", re.DOTALL)
_REPLY_LATEST = re.compile(r"^>\s*\^\s+(.*)$", re.DOTALL)


def parse_line(line: str) -> MetaLine | ChatLine | None:
    """Classify one input line; ``None`` for blank lines and ``#`` comments."""
    text = line.rstrip("\r\n")
    if not text.strip() or text.lstrip().startswith("#"):
        return None
    parsed = parse_command_text(text.strip())
    if parsed is not None:
        try:
            return MetaLine(Meta(parsed.name), parsed.args)
        except ValueError:
            pass
    match = _REPLY.match(text.strip())
    if match:
        return ChatLine(match.group(2), int(match.group(1)))
    latest = _REPLY_LATEST.match(text.strip())
    if latest:
        return ChatLine(latest.group(1), reply_to_latest=True)
    return ChatLine(text.strip())


def render(text: RichText) -> str:
    """Console output is plain text; styles do not survive a terminal log anyway."""
    return text.plain
