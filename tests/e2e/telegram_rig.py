"""The whole bot on Telegram, in-process: the application as ``buurtbot run`` builds it
(SQLite, the example network, the relay, the real python-telegram-bot) talking over HTTP to
the stand-in Bot API server, which plays the example gemeente's Telegram groups and people.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from buurtbot.adapters.signal.adapter import SignalAdapter
from buurtbot.adapters.telegram.adapter import TelegramAdapter
from buurtbot.adapters.telegram.mapping import CAPABILITIES
from buurtbot.bootstrap import App, build_app, example_network_path, prepare_database
from buurtbot.config.network_file import load_network_file
from buurtbot.config.settings import Settings
from buurtbot.core.domain.model import GroupRole
from buurtbot.core.ids import Platform
from buurtbot.core.ports import Capabilities, RateLimits
from tests.standins.signal_api import SignalStandIn
from tests.standins.telegram_api import SentMessage, TelegramStandIn

T = TypeVar("T")

#: Limits loose enough for flow tests (dialogues send several messages into one chat); the
#: fan-out tests keep Telegram's own.
FAST = replace(
    CAPABILITIES,
    rate_limits=RateLimits(
        overall_per_second=500, per_chat_per_second=50, per_group_per_minute=3000
    ),
)
ALL_RIGHTS = {
    "can_manage_chat": True,
    "can_invite_users": True,
    "can_restrict_members": True,
    "can_promote_members": True,
    "can_delete_messages": True,
    "can_pin_messages": True,
}


_STATUS = {
    GroupRole.EIGENAAR: "creator",
    GroupRole.MEDE_BEHEERDER: "administrator",
    GroupRole.LID: "member",
}


class TelegramRig:
    """Set up with :meth:`start`, end with :meth:`stop`. People are addressed by their handle
    in the example network file; new residents by any other name (they get fresh ids)."""

    def __init__(
        self,
        tmp: Path,
        *,
        capabilities: Capabilities = FAST,
        settings: dict[str, object] | None = None,
        rights: dict[str, dict[str, bool]] | None = None,
        signal: bool = False,
        signal_config: dict[str, Any] | None = None,
    ) -> None:
        """``rights``: per group slug, the bot's administrator rights there that differ from
        :data:`ALL_RIGHTS` (e.g. ``{"goor-oost": {"can_invite_users": False}}``).
        ``signal``: run the Signal adapter too, against a stand-in signal-cli-rest-api that
        plays the example gemeente's Signal groups (a mixed gemeente). ``signal_config``:
        fields of the Signal adapter's ``SignalConfig`` to change (e.g. ``heartbeat``,
        ``backoff_base``) before it runs."""
        example = example_network_path()
        assert example is not None
        self.spec = load_network_file(example)
        self.standin = TelegramStandIn()
        self.database_url = f"sqlite:///{tmp / 'bot.db'}"
        self.capabilities = capabilities
        self.extra_settings = settings or {}
        self.rights = rights or {}
        self.users: dict[str, int] = {}
        self.chats: dict[str, int] = {}
        self._fresh = 800_000_000
        self.signal = SignalStandIn() if signal else None
        self.signal_chats: dict[str, str] = {}
        self.signal_config = signal_config or {}
        self.app: App | None = None
        self._run: asyncio.Task[None] | None = None

    # -- life cycle -----------------------------------------------------------------------
    async def start(self, *, wait_for_polling: bool = True) -> None:
        await self.standin.start()
        self._people_and_groups()
        if self.signal is not None:
            await self.signal.start()
            self._signal_groups(self.signal)
        prepare_database(self.database_url, [example_network_path()])  # type: ignore[list-item]
        await self.boot(wait_for_polling=wait_for_polling)

    async def boot(self, *, wait_for_polling: bool = True) -> None:
        """Build and run the application (again, after :meth:`halt`) on the same database."""
        signal: dict[str, object] = {}
        if self.signal is not None:
            signal = {"signal_service": self.signal.service, "signal_number": self.signal.number}
        settings = Settings(
            database_url=self.database_url,
            telegram_token=self.standin.token,
            telegram_base_url=self.standin.base_url,
            **signal,  # type: ignore[arg-type]
            **self.extra_settings,  # type: ignore[arg-type]
        )
        app = build_app(settings)
        if self.signal is not None:
            on_signal = app.ports[Platform.SIGNAL]
            on_signal.capabilities = replace(on_signal.capabilities, rate_limits=FAST.rate_limits)
            app.bot.capabilities[Platform.SIGNAL] = on_signal.capabilities
            if self.signal_config:
                assert isinstance(on_signal, SignalAdapter)
                on_signal.config = replace(on_signal.config, **self.signal_config)
        adapter = app.ports[Platform.TELEGRAM]
        assert isinstance(adapter, TelegramAdapter)
        adapter.config = replace(adapter.config, poll_timeout=1, request_timeout=5)
        adapter.capabilities = self.capabilities
        app.bot.capabilities[Platform.TELEGRAM] = self.capabilities
        self.app = app
        polls = self._count("getupdates")
        self._run = asyncio.create_task(app.run())
        if wait_for_polling:
            await self.until(lambda: self._count("getupdates") > polls or self._run_failed())
        else:
            await self.until(lambda: self.adapter.bot_username is not None or self._run_failed())
        if self.signal is not None:
            # signal-cli-rest-api drops what arrives while nobody listens: wait for the socket.
            standin = self.signal
            await self.until(lambda: standin.connections > 0 or self._run_failed())
        if self._run.done():
            self._run.result()  # raise what went wrong

    async def halt(self) -> None:
        if self.app is None or self._run is None:
            return
        self.app.request_stop()
        await asyncio.wait_for(self._run, 30)
        self.app.close()
        self.app = None

    async def stop(self) -> None:
        try:
            await self.halt()
        finally:
            await self.standin.stop()
            if self.signal is not None:
                await self.signal.stop()

    @property
    def adapter(self) -> TelegramAdapter:
        assert self.app is not None
        adapter = self.app.ports[Platform.TELEGRAM]
        assert isinstance(adapter, TelegramAdapter)
        return adapter

    def _run_failed(self) -> bool:
        return self._run is not None and self._run.done()

    def _count(self, method: str) -> int:
        return sum(1 for name, _ in self.standin.calls if name == method)

    def _people_and_groups(self) -> None:
        """The example network's Telegram groups with their members, the bot an admin."""
        net = self.spec.network
        by_id: dict[str, int] = {}
        for person in self.spec.persons:
            tg = next((i for i in person.identities if i.platform is Platform.TELEGRAM), None)
            if tg is not None:
                uid = int(tg.user_ref)
                self.users[person.handle] = uid
                by_id[self.spec.person_id(person.handle)] = uid
                self.standin.add_user(uid, first_name=person.display_name, language_code="nl")
        for group in net.groups:
            if group.chat.platform is not Platform.TELEGRAM:
                continue
            chat_id = int(group.chat.chat_id)
            slug = group.id.rsplit(":", 1)[-1]
            self.chats[slug] = chat_id
            self.standin.add_chat(chat_id, title=group.name)
            self.standin.set_bot_rights(chat_id, **(ALL_RIGHTS | self.rights.get(slug, {})))
            for m in self.spec.memberships_of(group.id):
                member = by_id.get(m.person_id)
                if member is not None:
                    self.standin.set_member(chat_id, member, _STATUS[m.role])

    def _signal_groups(self, signal: SignalStandIn) -> None:
        """The example network's Signal groups with their members' numbers, the bot an admin."""
        numbers = {
            self.spec.person_id(p.handle): i.user_ref
            for p in self.spec.persons
            for i in p.identities
            if i.platform is Platform.SIGNAL
        }
        for group in self.spec.network.groups:
            if group.chat.platform is not Platform.SIGNAL:
                continue
            members = self.spec.memberships_of(group.id)
            signal.add_group(
                group.name,
                [numbers[m.person_id] for m in members if m.person_id in numbers],
                admins=[
                    numbers[m.person_id]
                    for m in members
                    if m.person_id in numbers and m.role is not GroupRole.LID
                ],
                group_id=group.chat.chat_id,
            )
            self.signal_chats[group.id.rsplit(":", 1)[-1]] = group.chat.chat_id

    def number(self, handle: str) -> str:
        """The Signal number of ``handle`` in the example network."""
        person = next(p for p in self.spec.persons if p.handle == handle)
        return next(i.user_ref for i in person.identities if i.platform is Platform.SIGNAL)

    # -- people act -----------------------------------------------------------------------
    def uid(self, handle: str, *, language: str | None = "nl") -> int:
        """The Telegram id of ``handle``; someone new gets a fresh one."""
        if handle not in self.users:
            self._fresh += 1
            self.users[handle] = self._fresh
            self.standin.add_user(self._fresh, first_name=handle, language_code=language)
        return self.users[handle]

    def says(
        self, handle: str, where: str | None, text: str, *, reply_to: int | None = None
    ) -> int:
        """``handle`` writes ``text`` in a group (its slug) or, with ``None``, privately to
        the bot. Returns the message id."""
        uid = self.uid(handle)
        chat = self.chats[where] if where is not None else uid
        if where is None and chat not in self.chats.values():
            self.standin.add_chat(uid, type="private")
        update = self.standin.push_message(chat, uid, text, reply_to=reply_to)
        return int(update["message"]["message_id"])

    def press(self, handle: str, where: str | None, label: str) -> None:
        """``handle`` taps the newest button whose label contains ``label``."""
        uid = self.uid(handle)
        chat = self.chats[where] if where is not None else uid
        for message in reversed(self.standin.messages_in(chat)):
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if label.lower() in button["text"].lower():
                        self.standin.push_callback(
                            chat, uid, message.message_id, button["callback_data"]
                        )
                        return
        raise AssertionError(f"no button {label!r} in chat {chat}")

    # -- what the bot did -----------------------------------------------------------------
    def said(self, handle_or_group: str) -> list[SentMessage]:
        """What the bot sent to a group (by slug) or privately to a person (by handle)."""
        chat = self.chats.get(handle_or_group)
        if chat is None:
            chat = self.uid(handle_or_group)
        return self.standin.messages_in(chat)

    def mark(self, who: str) -> int:
        """How many messages ``who`` has had so far: pass it as ``after`` to wait for new ones."""
        return len(self.said(who))

    async def until(self, condition: Callable[[], T], timeout: float = 15.0) -> T:
        """Wait for ``condition`` to become true (the bot works in the background)."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {condition}")
            await asyncio.sleep(0.02)

    async def reply_to(
        self, who: str, containing: str, timeout: float = 15.0, *, after: int = 0
    ) -> SentMessage:
        """The first message to ``who`` (group slug or handle) that contains ``containing``,
        among those after the first ``after`` (see :meth:`mark`)."""

        def found() -> SentMessage | None:
            return next((m for m in self.said(who)[after:] if containing in m.visible), None)

        try:
            message = await self.until(found, timeout)
        except AssertionError:
            seen = "\n---\n".join(m.visible[:300] for m in self.said(who)[-5:])
            raise AssertionError(f"nothing with {containing!r} to {who}; lately:\n{seen}") from None
        assert message is not None
        return message


def token_in(text: str) -> str:
    """The invite token of a deep link ``https://t.me/<bot>?start=<token>``."""
    match = re.search(r"\?start=([A-Za-z0-9_-]+)", text)
    assert match is not None, text
    return match.group(1)
