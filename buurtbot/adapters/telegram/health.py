"""What the bot may do in each Telegram group, asked of Telegram (``getChatMember``).

Missing rights do not stop the bot; they make flows fail later (no invite links, no
removals). Finding them at start-up lets the regiegroep fix them before they matter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Bot, ChatMember, ChatMemberAdministrator, ChatMemberOwner
from telegram.error import BadRequest, Forbidden, TelegramError

from buurtbot.core.ids import ChatRef
from buurtbot.core.ports import ChatHealth, HealthProblem

log = logging.getLogger(__name__)

#: Questions to Telegram at a time; start-up should not compete with sending.
PARALLEL_CHECKS = 4


async def check_rights(
    bot: Bot, chats: Sequence[ChatRef], *, can_read_all: bool
) -> list[ChatHealth]:
    """The chats where the bot lacks something, with what it lacks.

    ``can_read_all``: privacy mode is off (``getMe``); otherwise only an administrator sees
    the plain messages that the photo and language rules look at."""
    gate = asyncio.Semaphore(PARALLEL_CHECKS)

    async def one(chat: ChatRef) -> ChatHealth | None:
        async with gate:
            problems = await _problems(bot, chat, can_read_all=can_read_all)
        return ChatHealth(chat, tuple(problems)) if problems else None

    found = await asyncio.gather(*(one(c) for c in chats))
    return [h for h in found if h is not None]


async def _problems(bot: Bot, chat: ChatRef, *, can_read_all: bool) -> list[HealthProblem]:
    try:
        member = await bot.get_chat_member(int(chat.chat_id), bot.id)
    except (BadRequest, Forbidden):
        return [HealthProblem.NOT_MEMBER]  # no such chat, or the bot is not (or no longer) in it
    except (TelegramError, ValueError) as exc:
        log.warning("Telegram: could not check the bot's rights in %s: %s", chat.chat_id, exc)
        return []
    if isinstance(member, ChatMemberOwner):
        return []
    if isinstance(member, ChatMemberAdministrator):
        missing = []
        if not member.can_invite_users:
            missing.append(HealthProblem.CANNOT_INVITE)
        if not member.can_restrict_members:
            missing.append(HealthProblem.CANNOT_REMOVE)
        if not member.can_promote_members:
            missing.append(HealthProblem.CANNOT_PROMOTE)
        return missing
    if member.status in (ChatMember.LEFT, ChatMember.BANNED):
        return [HealthProblem.NOT_MEMBER]
    problems = [HealthProblem.NOT_ADMIN]
    if not can_read_all:
        problems.append(HealthProblem.CANNOT_READ)
    return problems
