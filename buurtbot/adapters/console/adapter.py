"""The console adapter: act as any person of the network in any group, and see every answer.

It reads lines (a terminal or a script on stdin), turns them into neutral events from the
chosen person in the chosen chat, and prints every action the core performs, labelled with
the chat it went to. With no platform tokens configured it stands in for Telegram and Signal
too, so a whole mixed network can be tried on one screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol, TextIO

from buurtbot.adapters.console.mapping import (
    ChatLine,
    Meta,
    MetaLine,
    copy_placeholder,
    offered,
    parse_line,
    render,
)
from buurtbot.core.actions import (
    Action,
    AddMember,
    AnswerButton,
    ApproveJoin,
    CopyMessage,
    CreateInvite,
    DeclineJoin,
    DeliveryResult,
    EditText,
    RemoveMember,
    SendFile,
    SendImage,
    SendText,
    SetAdmin,
)
from buurtbot.core.commands import parse_command_text
from buurtbot.core.events import (
    CommandReceived,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    Sender,
)
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import Capabilities, ChatPort, EventSink, RateLimits

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConsolePerson:
    id: str
    handle: str
    name: str


@dataclass(frozen=True, slots=True)
class ConsoleGroup:
    id: str
    name: str
    kind: str
    chat: ChatRef


class ConsoleDirectory(Protocol):
    """Look-ups the console needs to show names; implemented over storage by the bootstrap."""

    async def people(self) -> list[ConsolePerson]: ...

    async def groups(self) -> list[ConsoleGroup]: ...

    async def person_name(self, identity: PlatformIdentity) -> str | None: ...


@dataclass(slots=True)
class _Posted:
    chat: ChatRef
    author: PlatformIdentity | None
    text: str


class ConsoleAdapter(ChatPort):
    platform = Platform.CONSOLE
    capabilities = Capabilities(
        buttons=False,
        invite_links=True,
        join_requests=False,
        add_members=True,
        remove_members=True,
        admin_rights=True,
        send_files=True,
        send_images=True,
        max_text_length=4096,
        # A terminal takes whatever is printed; only a real platform needs pacing.
        rate_limits=RateLimits(
            overall_per_second=10_000, per_chat_per_second=10_000, per_group_per_minute=600_000
        ),
    )

    def __init__(
        self,
        directory: ConsoleDirectory,
        *,
        stdin: TextIO,
        stdout: TextIO,
        interactive: bool = False,
        settle: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.directory = directory
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = interactive
        self._settle = settle
        self._session = uuid.uuid4().hex[:12]
        self._numbers = itertools.count(1)
        self._posted: dict[int, _Posted] = {}
        self._person: ConsolePerson | None = None
        self._chat: ChatRef | None = None
        self._chat_label = ""
        self._task: asyncio.Task[None] | None = None
        self._sink: EventSink | None = None
        #: Names typed after /as for people the network does not know (yet).
        self._typed_names: dict[PlatformIdentity, str] = {}
        self.finished = asyncio.Event()

    # -- ChatPort ---------------------------------------------------------------------------
    async def initialize(self) -> None:
        return None

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        self._task = asyncio.create_task(self._read_loop(sink), name="console-input")

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.finished.set()

    async def perform(self, action: Action) -> DeliveryResult:
        label = await self._label(action.chat)
        if isinstance(action, SendText):
            number = self._remember(action.chat, None, render(action.text))
            prefix = f"#{number} [{label}] bot"
            if action.reply_to is not None:
                prefix += f" (↩ #{action.reply_to.message_id})"
            self._print(f"{prefix}: {render(action.text)}")
            return DeliveryResult(message=MessageRef(action.chat, str(number)))
        if isinstance(action, CopyMessage):
            source = self._posted.get(int(action.source.message_id))
            text = source.text if source else "?"
            number = self._remember(action.chat, None, text)
            self._print(f"#{number} [{label}] bot (copy of #{action.source.message_id}): {text}")
            return DeliveryResult(message=MessageRef(action.chat, str(number)))
        if isinstance(action, CreateInvite):
            link = f"console-invite:{action.name}"
            self._print(f"[{label}] invite link created: {link}")
            return DeliveryResult(invite_link=link)
        if isinstance(action, AnswerButton):
            return DeliveryResult()
        if isinstance(action, EditText):
            target = action.message.message_id if action.message else "?"
            self._print(f"[{label}] bot edits #{target}: {render(action.text)}")
            return DeliveryResult(message=action.message)
        if isinstance(action, ApproveJoin | DeclineJoin | AddMember | RemoveMember):
            who = await self.directory.person_name(action.user) or str(action.user)
            verb = {
                ApproveJoin: "join request approved",
                DeclineJoin: "join request declined",
                AddMember: "added to the group",
                RemoveMember: "removed from the group",
            }[type(action)]
            self._print(f"[{label}] {who}: {verb}")
            return DeliveryResult()
        if isinstance(action, SetAdmin):
            who = await self.directory.person_name(action.user) or str(action.user)
            verb = "made admin" if action.admin else "admin rights removed"
            self._print(f"[{label}] {who}: {verb}")
            return DeliveryResult()
        if isinstance(action, SendFile):
            self._print(f"[{label}] bot sends file {action.filename} ({len(action.content)} bytes)")
            return DeliveryResult()
        if isinstance(action, SendImage):
            # A terminal shows no picture: its name, size and caption stand in for it.
            caption = f": {render(action.caption)}" if action.caption is not None else ""
            self._print(
                f"[{label}] bot sends image {action.filename} "
                f"({len(action.content)} bytes){caption}"
            )
            return DeliveryResult()
        raise NotImplementedError(type(action).__name__)  # pragma: no cover - new action kind

    # -- input ------------------------------------------------------------------------------
    async def _read_loop(self, sink: EventSink) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                if self.interactive:
                    self.stdout.write(self._prompt())
                    self.stdout.flush()
                line = await loop.run_in_executor(None, self.stdin.readline)
                if not line:
                    break
                try:
                    if not await self._handle_line(line, sink):
                        break
                except Exception:
                    # One bad line must not end the session: say so and read the next.
                    log.exception("console line failed: %r", line[:80])
                    self._print("(that line could not be handled; see the log)")
        finally:
            self.finished.set()

    async def _handle_line(self, line: str, sink: EventSink) -> bool:
        parsed = parse_line(line)
        if parsed is None:
            return True
        if isinstance(parsed, MetaLine):
            return await self._meta(parsed)
        if self._person is None or self._chat is None:
            self._print("(choose who you are first: /as <person> [<group>]; /people, /groups)")
            return True
        command = copy_placeholder(parsed.text)
        if command is not None:
            copied = self._copy_from_screen(command)
            if copied is None:
                self._print(f"(nothing on the screen offers /{command} <…> to copy)")
                return True
            parsed = replace(parsed, text=copied)
        await self._say(parsed, sink)
        if self._settle is not None:
            await self._settle()
        return True

    async def _say(self, line: ChatLine, sink: EventSink) -> None:
        assert self._person is not None
        assert self._chat is not None
        identity = PlatformIdentity(Platform.CONSOLE, self._person.id)
        if line.reply_to_latest:
            line = ChatLine(line.text, self._latest_from_others(self._chat, identity))
        number = self._remember(self._chat, identity, line.text)
        reply = f" (↩ #{line.reply_to})" if line.reply_to is not None else ""
        if not self.interactive:
            self._print(f"#{number} [{self._chat_label}] {self._person.name}{reply}: {line.text}")
        sender = Sender(identity=identity, display_name=self._person.name)
        message = MessageRef(self._chat, str(number))
        reply_ref = MessageRef(self._chat, str(line.reply_to)) if line.reply_to else None
        common = {
            "event_id": f"console:{self._session}:{number}",
            "chat": self._chat,
            "sender": sender,
            "at": datetime.now(UTC),
            "message": message,
            "reply_to": reply_ref,
        }
        command = parse_command_text(line.text)
        if command is not None:
            replied = self._posted.get(line.reply_to) if line.reply_to else None
            await sink(
                CommandReceived(
                    **common,  # type: ignore[arg-type]
                    name=command.name,
                    args=command.args,
                    reply_to_sender=replied.author if replied else None,
                    reply_to_text=replied.text if replied else None,
                )
            )
        else:
            await sink(MessageReceived(**common, text=line.text))  # type: ignore[arg-type]

    async def _platform_event(self, line: MetaLine) -> None:
        """What happens on a platform without typing: joining, leaving, posting a photo."""
        if self._person is None or self._chat is None or self._sink is None:
            self._print("(choose who you are first: /as <person> [<group>]; /people, /groups)")
            return
        if line.meta is not Meta.PHOTO and self._chat.private:
            self._print("(join and leave happen in a group: /as <person> <group> first)")
            return
        identity = PlatformIdentity(Platform.CONSOLE, self._person.id)
        number = next(self._numbers)
        common = {
            "event_id": f"console:{self._session}:{number}",
            "chat": self._chat,
            "sender": Sender(identity=identity, display_name=self._person.name),
            "at": datetime.now(UTC),
        }
        if line.meta is Meta.JOIN:
            self._print(f"(#{number} {self._person.name} joins {self._chat_label})")
            await self._sink(MemberJoined(**common))  # type: ignore[arg-type]
        elif line.meta is Meta.LEAVE:
            self._print(f"(#{number} {self._person.name} leaves {self._chat_label})")
            await self._sink(MemberLeft(**common))  # type: ignore[arg-type]
        else:
            caption = " ".join(line.args)
            self._posted[number] = _Posted(self._chat, identity, caption)
            self._print(f"#{number} [{self._chat_label}] {self._person.name}: [photo] {caption}")
            message = MessageRef(self._chat, str(number))
            await self._sink(
                MessageReceived(**common, message=message, text=caption, has_photo=True)  # type: ignore[arg-type]
            )
        if self._settle is not None:
            await self._settle()

    async def _meta(self, line: MetaLine) -> bool:
        if line.meta in (Meta.QUIT, Meta.EXIT):
            return False
        if line.meta is Meta.PEOPLE:
            people = await self.directory.people()
            self._print("\n".join(f"  {p.handle:<16} {p.name}" for p in people) or "  (nobody)")
        elif line.meta is Meta.GROUPS:
            groups = await self.directory.groups()
            self._print(
                "\n".join(f"  {g.id:<28} {g.name} ({g.kind}, {g.chat.platform})" for g in groups)
                or "  (no groups)"
            )
        elif line.meta is Meta.AS:
            await self._switch(line.args)
        elif line.meta in (Meta.JOIN, Meta.LEAVE, Meta.PHOTO):
            await self._platform_event(line)
        else:
            self._print(CONSOLE_HELP)
        return True

    async def _switch(self, args: tuple[str, ...]) -> None:
        if not args or len(args) > 2:
            self._print(
                "(usage: /as <person> [<group>] — without a group you talk to the bot privately)"
            )
            return
        everyone = await self.directory.people()
        people = {p.handle.lower(): p for p in everyone} | {p.id.lower(): p for p in everyone}
        person = people.get(args[0].lower()) or ConsolePerson(args[0], args[0], args[0])
        self._typed_names.setdefault(PlatformIdentity(Platform.CONSOLE, person.id), person.name)
        if len(args) == 1:
            self._person = person
            self._chat = ChatRef.private_with(PlatformIdentity(Platform.CONSOLE, person.id))
            self._chat_label = f"private · {person.name}"
        else:
            all_groups = await self.directory.groups()
            # A group answers to its full id and, where unique, to the part after the gemeente.
            short: dict[str, list[ConsoleGroup]] = {}
            for g in all_groups:
                short.setdefault(g.id.rsplit(":", 1)[-1].lower(), []).append(g)
            groups = {k: v[0] for k, v in short.items() if len(v) == 1}
            groups |= {g.id.lower(): g for g in all_groups}
            group = groups.get(args[1].lower())
            if group is None:
                self._print(f"(no group {args[1]!r}; /groups lists them)")
                return
            self._person = person
            self._chat = group.chat
            self._chat_label = f"{group.name} · {group.chat.platform}"
        known = "" if person.handle.lower() in people else " (not in the network)"
        self._print(f"(you are now {person.name}{known} in {self._chat_label})")

    # -- output -----------------------------------------------------------------------------
    async def _label(self, chat: ChatRef) -> str:
        if chat.private:
            identity = PlatformIdentity(chat.platform, chat.chat_id)
            name = await self.directory.person_name(identity) or self._typed_names.get(identity)
            return f"private · {name or chat.chat_id}"
        for group in await self.directory.groups():
            if group.chat == chat:
                return f"{group.name} · {chat.platform}"
        return f"{chat.platform} chat {chat.chat_id}"

    def _latest_from_others(self, chat: ChatRef, me: PlatformIdentity) -> int | None:
        for number in sorted(self._posted, reverse=True):
            posted = self._posted[number]
            if posted.chat == chat and posted.author != me:
                return number
        return None

    def _copy_from_screen(self, command: str) -> str | None:
        """The newest ``/command <argument>`` the bot printed, in any chat: what someone at
        the console would copy from the screen (a script cannot know ids and tokens)."""
        for number in sorted(self._posted, reverse=True):
            posted = self._posted[number]
            if posted.author is None and (found := offered(command, posted.text)) is not None:
                return found
        return None

    def _remember(self, chat: ChatRef, author: PlatformIdentity | None, text: str) -> int:
        number = next(self._numbers)
        self._posted[number] = _Posted(chat, author, text)
        return number

    def _prompt(self) -> str:
        if self._person is None:
            return "buurtbot> "
        return f"{self._person.handle} @ {self._chat_label}> "

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()


CONSOLE_HELP = """\
Console commands (everything else is sent to the bot as the current person):
  /as <person> <group>   act as <person> in <group>
  /as <person>           talk to the bot privately as <person>
  /people, /groups       who and which groups the network has
  >N <text>              reply to message #N (e.g. >3 /escalate)
  >^ <text>              reply to the newest message here from someone else
  {/cmd}                 send /cmd with the argument the bot last showed for it, as if
                         copied from the screen (e.g. {/start} for an invite's token)
  /join, /leave          join or leave the current group (as on the platform)
  /photo [caption]       post a photo (only its caption is shown)
  /quit                  stop"""
