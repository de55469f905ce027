"""Platform health: the bot's rights in each group, kept and told to the regiegroepen.

An adapter checks what the bot may do in the network's chats (:meth:`ChatPort.check_health`)
and hands the result to :meth:`BuurtBot.record_health`, which calls :func:`record_health`.

Decisions, where the brief left room:

- **Stored** as JSON in the bot state under ``health.<platform>``, the whole check each
  time (``/status`` reads it back with :func:`load_health`).
- **Told per gemeente, only on change.** A gemeente's part of a check is its own groups
  with problems, plus the chats outside every network (shown by chat id: they belong to no
  gemeente, and someone has to hear of them). Its regiegroep gets one notice when that part
  differs from the stored check's (compared in today's network), listing all its groups
  with problems as they are now, or, when they are all solved, that the rights are in order
  again. A first check without problems says nothing; a restart with the same problems
  says nothing either.
- **Where the regiegroep cannot hear it** (no regiegroep, or the bot is not in it), the
  hoofdcoordinatoren get the notice privately instead.
- **Two processes racing** to record the same change queue one notice: its outbox key is
  derived from the platform, the gemeente, the stored check it replaces and the new problems.

Receiving (where the platform tells, Signal: in json-rpc mode signal-cli-rest-api drops what
arrives while the bot's receive socket is down):

- **Who hears it**: the gemeenten with a group on the platform, routed as above.
- **Not receiving** is told when a check finds it so and the stored check did not (or the
  bot came back in between: a new gap). When a later check finds it receiving again and no
  gap notice says so (a restart), a short "receiving again" follows.
- **Each new gap** (one the stored check did not list) of at least :data:`MIN_GAP_NOTICE`
  is told once: one notice per check listing the new gaps, its key derived from the gaps
  themselves, so a second process recording the same gaps queues nothing more. Shorter gaps
  are only shown in ``/status``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from buurtbot.core.domain.model import GemeenteRole, Person
from buurtbot.core.domain.network import Network
from buurtbot.core.i18n import Translator, Translators
from buurtbot.core.ids import ChatRef, GemeenteId, Platform
from buurtbot.core.ports import ChatHealth, HealthProblem, PlatformHealth, UnitOfWork
from buurtbot.core.services.outgoing import Outgoing
from buurtbot.core.services.signup import group_translator, person_translator, regie_group
from buurtbot.core.services.situation import private_chat
from buurtbot.core.text import RichText
from buurtbot.core.texts import status as texts
from buurtbot.core.texts.status import Gap, GroupProblems

log = logging.getLogger(__name__)

#: A gap in receiving shorter than this is shown in ``/status`` but not told: a reconnect in
#: passing, with next to no chance that a message fell in it.
MIN_GAP_NOTICE = timedelta(seconds=2)

_ORDER = {p: n for n, p in enumerate(HealthProblem)}
_Signature = frozenset[tuple[str, frozenset[HealthProblem]]]


def health_key(platform: Platform) -> str:
    """The bot state key of a platform's last health check."""
    return f"health.{platform.value}"


def chats_to_check(uow: UnitOfWork, platform: Platform) -> list[ChatRef]:
    """Every chat of every network's groups on ``platform``, once each, in a fixed order:
    what an adapter passes to :meth:`ChatPort.check_health`."""
    chats = {g.chat for n in uow.networks.all() for g in n.groups if g.chat.platform is platform}
    return sorted(chats, key=lambda c: (c.chat_id, c.private))


# -- storage -----------------------------------------------------------------------------------
def health_to_json(health: PlatformHealth) -> str:
    data: dict[str, Any] = {
        "platform": health.platform.value,
        "checked_at": health.checked_at.isoformat(),
        "bot_username": health.bot_username,
        "receiving": health.receiving,
        "down_since": health.down_since.isoformat() if health.down_since else None,
        "gaps": [[start.isoformat(), end.isoformat()] for start, end in health.gaps],
        "held_back": health.held_back,
        "chats": [
            {
                "chat_id": c.chat.chat_id,
                "private": c.chat.private,
                "problems": [p.value for p in c.problems],
            }
            for c in health.chats
        ],
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def health_from_json(text: str) -> PlatformHealth:
    """The check :func:`health_to_json` stored; raises ``ValueError`` (or ``KeyError``,
    ``TypeError``) for anything else. A check stored before receiving was recorded reads as
    one from a platform that cannot tell."""
    data = json.loads(text)
    platform = Platform(data["platform"])
    checked_at = _aware(data["checked_at"])
    username = data.get("bot_username")
    receiving = data.get("receiving")
    down_since = data.get("down_since")
    gaps = tuple((_aware(start), _aware(end)) for start, end in data.get("gaps") or ())
    chats = tuple(
        ChatHealth(
            ChatRef(platform, str(c["chat_id"]), bool(c.get("private", False))),
            _known_problems(c["problems"]),
        )
        for c in data["chats"]
    )
    return PlatformHealth(
        platform=platform,
        checked_at=checked_at,
        bot_username=str(username) if username else None,
        chats=chats,
        receiving=receiving if isinstance(receiving, bool) else None,
        gaps=gaps,
        down_since=_aware(down_since) if down_since else None,
        held_back=data.get("held_back") is True,
    )


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("naive time")
    return moment


def _known_problems(values: Iterable[str]) -> tuple[HealthProblem, ...]:
    """Problems stored by this or another version; one this version does not know is left
    out (a newer version may have stored it)."""
    known = {p.value for p in HealthProblem}
    return tuple(HealthProblem(v) for v in values if v in known)


def load_health(uow: UnitOfWork, platform: Platform) -> PlatformHealth | None:
    """The platform's last stored check, or ``None`` (never checked, or unreadable)."""
    stored = uow.bot_state.get(health_key(platform))
    if stored is None:
        return None
    try:
        return health_from_json(stored)
    except (ValueError, KeyError, TypeError):
        log.warning("the stored health of %s is unreadable; treated as never checked", platform)
        return None


# -- who sees what -----------------------------------------------------------------------------
def _problems(chat: ChatHealth) -> tuple[HealthProblem, ...]:
    """The chat's problems once each, in a fixed order."""
    return tuple(sorted(set(chat.problems), key=_ORDER.__getitem__))


def problems_by_gemeente(
    uow: UnitOfWork, health: PlatformHealth
) -> tuple[dict[GemeenteId, list[GroupProblems]], list[GroupProblems]]:
    """The chats with problems, per gemeente of their group, and those of no network.

    Each list is ordered by what the reader sees (group name, then chat id).
    """
    by_gemeente: dict[GemeenteId, list[GroupProblems]] = {}
    outside: list[GroupProblems] = []
    for chat in health.chats:
        problems = _problems(chat)
        if not problems:
            continue
        found = uow.networks.find_group(chat.chat)
        group = found[0].group(found[1]) if found is not None else None
        if found is None or group is None:
            outside.append(GroupProblems(chat.chat.chat_id, None, problems))
            continue
        entry = GroupProblems(chat.chat.chat_id, group.name, problems)
        by_gemeente.setdefault(found[0].gemeente.id, []).append(entry)
    for entries in (*by_gemeente.values(), outside):
        entries.sort(key=lambda g: (g.name is None, g.name or "", g.chat_id))
    return by_gemeente, outside


def problems_of_gemeente(
    uow: UnitOfWork, health: PlatformHealth, gemeente_id: GemeenteId
) -> list[GroupProblems]:
    """What the gemeente is told about: its own groups with problems, then the chats
    outside every network."""
    by_gemeente, outside = problems_by_gemeente(uow, health)
    return by_gemeente.get(gemeente_id, []) + outside


def _signature(groups: Iterable[GroupProblems]) -> _Signature:
    return frozenset((g.chat_id, frozenset(g.problems)) for g in groups)


# -- recording ---------------------------------------------------------------------------------
def record_health(
    uow: UnitOfWork,
    health: PlatformHealth,
    *,
    out: Outgoing,
    translators: Translators,
    now: datetime,
) -> int:
    """Store ``health`` and tell each gemeente whose part of it changed (rights, receiving,
    new gaps); how many gemeenten were told. The caller commits."""
    previous = load_health(uow, health.platform)
    uow.bot_state.put(health_key(health.platform), health_to_json(health), now)
    new_by, new_outside = problems_by_gemeente(uow, health)
    if previous is not None:
        old_by, old_outside = problems_by_gemeente(uow, previous)
    else:
        old_by, old_outside = {}, []
    told: set[GemeenteId] = set()
    for network in uow.networks.all():
        gemeente_id = network.gemeente.id
        new = new_by.get(gemeente_id, []) + new_outside
        old = old_by.get(gemeente_id, []) + old_outside
        if _signature(new) == _signature(old):
            continue
        key = _notice_key(health, gemeente_id, previous, new)
        _tell(uow, out, network, health, new, key=key, translators=translators)
        told.add(gemeente_id)
    told |= _tell_receiving(uow, health, previous, out=out, translators=translators, now=now)
    if told:
        log.info("health of %s changed; %d gemeente(n) told", health.platform, len(told))
    return len(told)


def new_gaps(health: PlatformHealth, previous: PlatformHealth | None) -> list[Gap]:
    """The gaps of ``health`` worth a notice: not in the stored check, and not too short."""
    known = set(previous.gaps) if previous is not None else set()
    return [g for g in health.gaps if g not in known and g[1] - g[0] >= MIN_GAP_NOTICE]


def _tell_receiving(
    uow: UnitOfWork,
    health: PlatformHealth,
    previous: PlatformHealth | None,
    *,
    out: Outgoing,
    translators: Translators,
    now: datetime,
) -> set[GemeenteId]:
    """Tell the gemeenten on the platform what changed in receiving (and in sending being
    held back); which were told."""
    if health.receiving is None and not health.held_back:
        return set()
    known = set(previous.gaps) if previous is not None else set()
    came_back_between = any(g not in known for g in health.gaps)
    was_down = previous is not None and previous.receiving is False
    gaps = new_gaps(health, previous)
    notices: list[tuple[str, Callable[[Translator], RichText]]] = []
    platform = health.platform
    since = previous.checked_at.isoformat() if previous is not None else "-"
    if gaps:
        notices.append(
            (
                _digest(platform, "gaps", [[a.isoformat(), b.isoformat()] for a, b in gaps]),
                lambda tr: texts.gaps_notice(tr, platform=platform, gaps=gaps, now=now),
            )
        )
    if health.receiving is False and (not was_down or came_back_between):
        down = health.down_since
        notices.append(
            (
                # Once per time it went down; a second process finds the same.
                _digest(platform, "down", down.isoformat() if down else since),
                lambda tr: texts.not_receiving_notice(tr, platform=platform, since=down, now=now),
            )
        )
    elif health.receiving is True and was_down and not gaps:
        notices.append(
            (
                _digest(platform, "up", [since]),
                lambda tr: texts.receiving_again_notice(tr, platform=platform),
            )
        )
    if health.held_back and not (previous is not None and previous.held_back):
        notices.append(
            (
                _digest(platform, "held-back", [since]),
                lambda tr: texts.held_back_notice(tr, platform=platform),
            )
        )
    if not notices:
        return set()
    told: set[GemeenteId] = set()
    for network in uow.networks.all():
        if not any(g.chat.platform is platform for g in network.groups):
            continue
        for what, text in notices:
            key = f"{what}:{network.gemeente.id}"
            _notify(uow, out, network, health, text, key=key, translators=translators)
        told.add(network.gemeente.id)
    return told


def _digest(platform: Platform, what: str, data: object) -> str:
    digest = hashlib.sha256(json.dumps([platform.value, what, data]).encode()).hexdigest()
    return f"health:{platform.value}:{what}:{digest[:32]}"


def _notice_key(
    health: PlatformHealth,
    gemeente_id: GemeenteId,
    previous: PlatformHealth | None,
    new: list[GroupProblems],
) -> str:
    since = previous.checked_at.isoformat() if previous is not None else "-"
    what = sorted((g.chat_id, sorted(p.value for p in g.problems)) for g in new)
    digest = hashlib.sha256(
        json.dumps([health.platform.value, gemeente_id, since, what]).encode()
    ).hexdigest()
    return f"health:{health.platform.value}:{digest[:32]}"


def _tell(
    uow: UnitOfWork,
    out: Outgoing,
    network: Network,
    health: PlatformHealth,
    groups: list[GroupProblems],
    *,
    key: str,
    translators: Translators,
) -> None:
    def text(tr: Translator) -> RichText:
        if not groups:
            return texts.health_restored(
                tr, platform=health.platform, bot_username=health.bot_username
            )
        return texts.health_notice(
            tr, platform=health.platform, bot_username=health.bot_username, groups=groups
        )

    _notify(uow, out, network, health, text, key=key, translators=translators)


def _notify(
    uow: UnitOfWork,
    out: Outgoing,
    network: Network,
    health: PlatformHealth,
    text: Callable[[Translator], RichText],
    *,
    key: str,
    translators: Translators,
) -> None:
    """Send ``text`` (in the reader's language) to the gemeente's regiegroep, or, where it
    cannot hear it, to each hoofdcoordinator privately."""
    regie = regie_group(network)
    unreachable = regie is None or any(
        c.chat == regie.chat and HealthProblem.NOT_MEMBER in c.problems for c in health.chats
    )
    if regie is not None and not unreachable:
        out.send(regie.chat, text(group_translator(network, regie, translators)), key=key)
        return
    prefer = regie.chat.platform if regie is not None else None
    for person in _hoofdcoordinatoren(uow, network):
        chat = private_chat(person, prefer)
        if chat is None:
            continue
        tr = person_translator(network, person, translators)
        out.send(chat, text(tr), key=f"{key}:{person.id}")


def _hoofdcoordinatoren(uow: UnitOfWork, network: Network) -> list[Person]:
    gemeente_id = network.gemeente.id
    return [
        p
        for p in uow.persons.in_gemeente(gemeente_id)
        if GemeenteRole.HOOFDCOORDINATOR in uow.persons.gemeente_roles(gemeente_id, p.id)
    ]
