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
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import datetime
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
from buurtbot.core.texts.status import GroupProblems

log = logging.getLogger(__name__)

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
    ``TypeError``) for anything else."""
    data = json.loads(text)
    platform = Platform(data["platform"])
    checked_at = datetime.fromisoformat(data["checked_at"])
    if checked_at.tzinfo is None:
        raise ValueError("naive checked_at")
    username = data.get("bot_username")
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
    )


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
    """Store ``health`` and tell each gemeente whose part of it changed; how many gemeenten
    were told. The caller commits."""
    previous = load_health(uow, health.platform)
    uow.bot_state.put(health_key(health.platform), health_to_json(health), now)
    new_by, new_outside = problems_by_gemeente(uow, health)
    if previous is not None:
        old_by, old_outside = problems_by_gemeente(uow, previous)
    else:
        old_by, old_outside = {}, []
    told = 0
    for network in uow.networks.all():
        gemeente_id = network.gemeente.id
        new = new_by.get(gemeente_id, []) + new_outside
        old = old_by.get(gemeente_id, []) + old_outside
        if _signature(new) == _signature(old):
            continue
        key = _notice_key(health, gemeente_id, previous, new)
        _tell(uow, out, network, health, new, key=key, translators=translators)
        told += 1
    if told:
        log.info("health of %s changed; %d gemeente(n) told", health.platform, told)
    return told


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
