"""Queueing what a flow says: split to the platform's length, buttons or numbered replies.

Nothing is sent from here. Every action goes into the outbox of the current unit of work,
so it is committed together with the state change that caused it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from buurtbot.core.actions import Action, Button, SendText
from buurtbot.core.i18n import Translator
from buurtbot.core.ids import ChatRef, MessageRef, PersonId, Platform
from buurtbot.core.ports import Capabilities, PendingChoice, UnitOfWork
from buurtbot.core.text import RichText, split
from buurtbot.core.texts.replies import numbered_choice

#: What the core assumes of a platform nobody registered (the most careful choice).
FALLBACK_CAPABILITIES = Capabilities(max_text_length=2000)


class Outgoing:
    """Collects the actions of one handled event under idempotency keys ``<key>:<n>``."""

    def __init__(
        self,
        uow: UnitOfWork,
        capabilities: Mapping[Platform, Capabilities],
        *,
        key: str,
        now: datetime,
    ) -> None:
        self._uow = uow
        self._capabilities = capabilities
        self._key = key
        self._now = now
        self._count = 0
        self.actions: list[Action] = []

    def capabilities(self, platform: Platform) -> Capabilities:
        return self._capabilities.get(platform, FALLBACK_CAPABILITIES)

    def add(self, action: Action, *, key: str | None = None) -> None:
        """Queue ``action``; ``key`` names it for later (an escalated copy, a melding post),
        otherwise it is numbered under the event's key."""
        self._count += 1
        if key is None:
            key = f"{self._key}:{self._count}"
        if self._uow.outbox.add(action, key=key, at=self._now):
            self.actions.append(action)

    def send_all(self, messages: Sequence[tuple[ChatRef, RichText, str]]) -> None:
        """:meth:`send` for many ``(chat, text, key)`` at once, in one write (an escalation
        to hundreds of groups)."""
        items: list[tuple[Action, str]] = []
        for chat, text, key in messages:
            pieces = split(text, self.capabilities(chat.platform).max_text_length)
            for n, piece in enumerate(pieces):
                items.append((SendText(chat=chat, text=piece), key if n == 0 else f"{key}#{n + 1}"))
        self._count += len(items)
        added = self._uow.outbox.add_all(items, at=self._now)
        self.actions.extend(action for (action, _), new in zip(items, added, strict=True) if new)

    def send(
        self,
        chat: ChatRef,
        text: RichText,
        *,
        reply_to: MessageRef | None = None,
        buttons: tuple[tuple[Button, ...], ...] = (),
        key: str | None = None,
    ) -> None:
        """Queue ``text``, cut into as many messages as the platform's length limit needs.

        With ``key``, the first piece is queued under it and later pieces under ``key#2``…
        """
        limit = self.capabilities(chat.platform).max_text_length
        pieces = split(text, limit)
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            self.add(
                SendText(
                    chat=chat,
                    text=piece,
                    reply_to=reply_to if n == 0 else None,
                    buttons=buttons if last else (),
                ),
                key=None if key is None else (key if n == 0 else f"{key}#{n + 1}"),
            )

    def ask(
        self,
        chat: ChatRef,
        person: PersonId,
        tr: Translator,
        question: RichText,
        options: Sequence[Button],
        *,
        reply_to: MessageRef | None = None,
    ) -> None:
        """Offer ``options``: as buttons where the platform has them, else as numbered replies.

        For numbered replies the options wait in storage until the person answers with a number.
        """
        if self.capabilities(chat.platform).buttons:
            self.send(chat, question, reply_to=reply_to, buttons=tuple((b,) for b in options))
            return
        self._uow.choices.put(
            PendingChoice(chat, person, tuple(b.data for b in options), self._now)
        )
        self.send(
            chat, question + numbered_choice(tr, (b.label for b in options)), reply_to=reply_to
        )
