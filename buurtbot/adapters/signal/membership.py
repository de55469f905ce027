"""Who joined and who left a Signal group, from updates that do not say.

A group update envelope only says *that* a group changed (members, name, rights, link). So
the members of every group are kept as last seen; an update has the group read again and
the difference becomes ``MemberJoined``/``MemberLeft``. After a gap in receiving, every
group is compared, since updates delivered during the gap are lost. What the bot changed
itself is written into the record at once: Signal sends the bot no update for its own
changes, and the core knows about them already.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from buurtbot.adapters.signal.mapping import GroupChanged, membership_events
from buurtbot.adapters.signal.rest import GroupState
from buurtbot.core.events import InboundEvent
from buurtbot.core.ids import ChatRef, Platform

log = logging.getLogger(__name__)

ListGroups = Callable[[], Awaitable[list[GroupState]]]
GetGroup = Callable[[str], Awaitable[GroupState]]


class Memberships:
    def __init__(self, list_groups: ListGroups, get_group: GetGroup, *, own_number: str) -> None:
        self._list_groups = list_groups
        self._get_group = get_group
        self.own_number = own_number
        self._known: dict[str, frozenset[str]] = {}

    def prime(self, groups: Iterable[GroupState]) -> None:
        """Take ``groups`` as they are now, without events (at the start)."""
        for group in groups:
            self._compare(group, at=None, cause="")

    def members(self, group_id: str) -> frozenset[str] | None:
        return self._known.get(group_id)

    async def changed(self, change: GroupChanged) -> list[InboundEvent]:
        """The events for one group update: its members read again and compared."""
        group = await self._get_group(change.chat.chat_id)
        return self._compare(group, at=change.at, cause=f"update:{change.timestamp}")

    async def resync(self, at: datetime) -> list[InboundEvent]:
        """The events for every group the bot is in, compared with the record (after a gap)."""
        events: list[InboundEvent] = []
        for group in await self._list_groups():
            events += self._compare(group, at=at, cause=f"resync:{at.isoformat()}")
        return events

    def added(self, group_id: str, member: str) -> None:
        known = self._known.get(group_id)
        if known is not None:
            self._known[group_id] = known | {member}

    def removed(self, group_id: str, member: str) -> None:
        known = self._known.get(group_id)
        if known is not None:
            self._known[group_id] = known - {member}

    def _compare(self, group: GroupState, *, at: datetime | None, cause: str) -> list[InboundEvent]:
        if not group.id:
            return []
        if not group.member or self.own_number not in group.members:
            # The bot left or was removed: it cannot see the members any more, and "everyone
            # left" would be wrong. The health check reports it as not a member.
            if self._known.pop(group.id, None) is not None:
                log.warning("Signal: the bot is no longer a member of group %s", group.id)
            return []
        before = self._known.get(group.id)
        self._known[group.id] = group.members
        if before is None or at is None:
            return []  # first sight: nothing to compare with
        chat = ChatRef(Platform.SIGNAL, group.id)
        return membership_events(
            chat, before, group.members, at=at, cause=cause, own_number=self.own_number
        )
