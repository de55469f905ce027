"""The shape of a handler module, and the merged tables the bot dispatches on.

Each flow module defines module-level tables (any it does not need may be left out):

``COMMAND_HANDLERS``  ``{Command: fn(situation, command_event)}``
``BUTTON_HANDLERS``   ``{prefix: fn(situation, value)}`` for button data ``"prefix:value"``
``DIALOGUE_HANDLERS`` ``{flow: fn(situation, dialogue, message_event)}`` for guided flows
``MESSAGE_HANDLERS``  ``[fn(situation, message_event) -> consumed]`` run in order on messages
``EVENT_HANDLERS``    ``{event type: fn(situation, event)}`` for joins, leaves, join requests
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from buurtbot.core.commands import Command
from buurtbot.core.domain.dialogue import Dialogue
from buurtbot.core.events import CommandReceived, InboundEvent, MessageReceived
from buurtbot.core.services.situation import Situation
from buurtbot.core.text import RichText

CommandHandler = Callable[[Situation, CommandReceived], None]
ButtonHandler = Callable[[Situation, str], None]
DialogueHandler = Callable[[Situation, Dialogue, MessageReceived], None]
MessageHandler = Callable[[Situation, MessageReceived], bool]
EventHandler = Callable[[Situation, Any], None]


class Answer(Exception):
    """Stop a command and answer it with ``text``; raised before anything is written, so
    a handler can refuse from deep inside its checks."""

    def __init__(self, text: RichText) -> None:
        super().__init__(text.plain)
        self.text = text


def answering(fn: CommandHandler) -> CommandHandler:
    """Turn an :class:`Answer` raised by ``fn`` into a reply to the command."""

    @functools.wraps(fn)
    def run(s: Situation, cmd: CommandReceived) -> None:
        try:
            fn(s, cmd)
        except Answer as answer:
            s.reply(answer.text, to=cmd.message)

    return run


@dataclass
class Registry:
    commands: dict[Command, CommandHandler] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    dialogues: dict[str, DialogueHandler] = field(default_factory=dict)
    messages: list[MessageHandler] = field(default_factory=list)
    events: dict[type[InboundEvent], list[EventHandler]] = field(default_factory=dict)

    @classmethod
    def of(cls, *modules: ModuleType) -> Registry:
        """Merge the modules' tables; a command or button prefix claimed twice is a bug."""
        merged = cls()
        for module in modules:
            for table, target in (
                ("COMMAND_HANDLERS", merged.commands),
                ("BUTTON_HANDLERS", merged.buttons),
                ("DIALOGUE_HANDLERS", merged.dialogues),
            ):
                for key, fn in getattr(module, table, {}).items():
                    if key in target:
                        raise ValueError(f"{key!r} is handled twice ({module.__name__})")
                    target[key] = fn
            merged.messages.extend(getattr(module, "MESSAGE_HANDLERS", []))
            for kind, fn in getattr(module, "EVENT_HANDLERS", {}).items():
                merged.events.setdefault(kind, []).append(fn)
        return merged

    @property
    def implemented(self) -> tuple[Command, ...]:
        """Commands with a handler, in the order ``/help`` lists them."""
        return tuple(c for c in Command if c in self.commands)
