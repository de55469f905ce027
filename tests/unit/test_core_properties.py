"""Property-based: whatever arrives, the core answers without failing, changes nothing it
may not change, and never produces a message longer than the platform allows."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurtbot.core.actions import SendText
from buurtbot.core.commands import ALIASES, lookup
from buurtbot.core.events import CommandReceived, InboundEvent, MessageReceived, Sender
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.policy import decide
from buurtbot.core.ports import Capabilities
from buurtbot.core.services import situation
from buurtbot.core.services.outgoing import Outgoing
from tests.fakes import FakeState
from tests.world import TRANSLATORS, World

LIMITS = {Platform.TELEGRAM: 4096, Platform.SIGNAL: 2000, Platform.CONSOLE: 4096}
CAPABILITIES = {p: Capabilities(max_text_length=n, remove_members=True) for p, n in LIMITS.items()}
HANDLES = ["anna", "bert", "daan", "eva", "joost", "frank", "hanneke", "ria", "mirjam"]
GROUPS = ["goor-centrum", "goor-west", "goor-oost", "regie", "coordinatoren"]
NAMES = sorted({n for names in ALIASES.values() for n in names} | {"as", "frobnicate", "x" * 40})


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def domain_state(state: FakeState) -> tuple[object, ...]:
    """Everything a command could change on purpose (not the claim or the replies)."""
    return (
        state.persons,
        state.gemeente_roles,
        state.memberships,
        state.meldingen,
        state.escalations,
        state.deliveries,
        state.warnings,
        state.blocks,
        state.audit,
    )


texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=4000, max_size=9000),
    st.sampled_from(["<b>x</b>", "&amp;", "\u202e", "\x00", "12-gzb-8", "kanker", "🚓" * 50]),
)
arguments = st.lists(
    st.one_of(st.sampled_from(["en", "nl", "taal", "buren", "kern", "politie", "joost", "kern"]),
              st.text(min_size=1, max_size=30).filter(lambda t: not any(c.isspace() for c in t))),
    max_size=3,
)  # fmt: skip


@st.composite
def events(draw: st.DrawFn, world: World) -> InboundEvent:
    who = draw(st.sampled_from([*HANDLES, None]))
    where = draw(st.sampled_from([*GROUPS, None, "unknown"]))
    if where in GROUPS:
        chat = world.group(where).chat
    elif where == "unknown":
        chat = ChatRef(Platform.TELEGRAM, "-100999")
    else:
        chat = None
    platform = chat.platform if chat else Platform.TELEGRAM
    if who is None:
        sender = PlatformIdentity(platform, "424242")
    else:
        sender = world.person(who).identity_on(platform) or PlatformIdentity(platform, "777")
    chat = chat or ChatRef.private_with(sender)
    n = draw(st.integers(min_value=1, max_value=10**6))
    reply = draw(st.one_of(st.none(), st.builds(MessageRef, st.just(chat), st.text(max_size=8))))
    common = {
        "event_id": f"prop:{n}:{draw(st.text(max_size=6))}",
        "chat": chat,
        "sender": Sender(identity=sender, display_name=draw(st.sampled_from(["", "<i>x</i>"]))),
        "at": datetime(2026, 11, 29, 3, tzinfo=UTC),
        "message": MessageRef(chat, str(n)),
        "reply_to": reply,
    }
    if draw(st.booleans()):
        return CommandReceived(
            **common,  # type: ignore[arg-type]
            name=draw(st.sampled_from(NAMES)),
            args=tuple(draw(arguments)),
            reply_to_text=draw(st.one_of(st.none(), texts)),
            reply_to_sender=draw(st.sampled_from([None, sender, PlatformIdentity(platform, "1")])),
        )
    return MessageReceived(**common, text=draw(texts), has_photo=draw(st.booleans()))  # type: ignore[arg-type]


def allowed(world: World, event: CommandReceived) -> bool:
    command = lookup(event.name)
    if command is None:
        return False
    with world.uow_factory() as uow:
        out = Outgoing(uow, CAPABILITIES, key="probe", now=world.clock.now())
        s = situation.resolve(uow, event, now=world.clock.now(), out=out, translators=TRANSLATORS)
        return decide(command, s.place, s.actor).allowed


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_sequence_of_events_is_answered_safely(data: st.DataObject) -> None:
    world = World(capabilities=CAPABILITIES)
    errors = _Errors()
    logging.getLogger("buurtbot").addHandler(errors)
    try:
        for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
            event = data.draw(events(world))
            before = domain_state(world.store.state)
            permitted = isinstance(event, CommandReceived) and allowed(world, event)
            actions = world.deliver(event)
            if isinstance(event, CommandReceived) and not permitted:
                assert domain_state(world.store.state) == before, event.name
            for action in actions:
                if isinstance(action, SendText):
                    assert 0 < len(action.text) <= LIMITS[action.chat.platform]
    finally:
        logging.getLogger("buurtbot").removeHandler(errors)
    assert errors.records == [], [r.getMessage() for r in errors.records]
