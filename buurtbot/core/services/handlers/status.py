"""``/status``: the bot's platforms, its rights in the reader's groups, whether it receives
(and when it did not), and the outbox.

Policy lets regie staff ask, privately or in the regiegroep. They see the groups of their
own gemeente (and chats outside every network, by id), never another gemeente's.
"""

from __future__ import annotations

from buurtbot.core.commands import Command
from buurtbot.core.events import CommandReceived
from buurtbot.core.ids import Platform
from buurtbot.core.services.handlers.registry import CommandHandler
from buurtbot.core.services.health import load_health, problems_by_gemeente
from buurtbot.core.services.situation import Situation
from buurtbot.core.texts import status as texts


def status(s: Situation, cmd: CommandReceived) -> None:
    gemeente_id = s.network.gemeente.id if s.network is not None else None
    used = {g.chat.platform for g in s.network.groups} if s.network is not None else set()
    platforms: list[texts.PlatformStatus] = []
    for platform in Platform:
        health = load_health(s.uow, platform)
        username = s.bot_usernames.get(platform)
        if health is None:
            if platform in used or username:
                platforms.append(texts.PlatformStatus(platform, username, None))
            continue
        by_gemeente, outside = problems_by_gemeente(s.uow, health)
        groups = (by_gemeente.get(gemeente_id, []) if gemeente_id else []) + outside
        platforms.append(
            texts.PlatformStatus(
                platform,
                health.bot_username or username,
                health.checked_at,
                tuple(groups),
                receiving=health.receiving,
                down_since=health.down_since,
                gaps=health.gaps,
                held_back=health.held_back,
            )
        )
    counts = s.uow.outbox.counts()
    s.reply(
        texts.status_text(
            s.tr, platforms, pending=counts["pending"], dead=counts["dead"], now=s.now
        ),
        to=cmd.message,
    )


COMMAND_HANDLERS: dict[Command, CommandHandler] = {Command.STATUS: status}
