"""What the bot may do in each Signal group, read from the groups list of its account.

Missing rights do not stop the bot; they make flows fail later: without admin rights it
cannot add the residents it admits, remove the ones it must, or make beheerders admins.
Finding that at start-up lets the regiegroep fix it before it matters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from buurtbot.adapters.signal.rest import GroupState
from buurtbot.core.ids import ChatRef, Platform
from buurtbot.core.ports import ChatHealth, HealthProblem


def chat_problems(
    chats: Sequence[ChatRef], groups: Iterable[GroupState], *, own_number: str
) -> list[ChatHealth]:
    """The Signal group chats among ``chats`` where the bot lacks something.

    A group missing from the list (a wrong id in the network file, or the bot never added)
    is ``NOT_MEMBER``, like one the bot was removed from."""
    by_id = {g.id: g for g in groups}
    found: list[ChatHealth] = []
    for chat in chats:
        if chat.platform is not Platform.SIGNAL or chat.private:
            continue
        group = by_id.get(chat.chat_id)
        if group is None or not group.member or own_number not in group.members:
            found.append(ChatHealth(chat, (HealthProblem.NOT_MEMBER,)))
        elif own_number not in group.admins:
            found.append(ChatHealth(chat, (HealthProblem.NOT_ADMIN,)))
    return found
