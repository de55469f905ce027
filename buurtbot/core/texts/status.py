"""What the bot says about itself: missing rights in groups (to the regiegroep) and ``/status``.

Group names come from the network file and chat ids from the platform: both travel as plain
spans, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from buurtbot.core.commands import Command
from buurtbot.core.i18n import Translator
from buurtbot.core.ids import Platform
from buurtbot.core.ports import HealthProblem
from buurtbot.core.text import RichText, bold
from buurtbot.core.texts.commands import shown_name


def platform_name(platform: Platform) -> str:
    """A platform as people know it (a name, not translated)."""
    return {
        Platform.TELEGRAM: "Telegram",
        Platform.SIGNAL: "Signal",
        Platform.CONSOLE: "Console",
    }[platform]


def problem_label(tr: Translator, problem: HealthProblem) -> str:
    """A few words for ``/status``: what the bot cannot do in the group."""
    _ = tr.gettext
    return {
        HealthProblem.NOT_MEMBER: _("not in the group"),
        HealthProblem.NOT_ADMIN: _("not an admin"),
        HealthProblem.CANNOT_INVITE: _("cannot admit new members"),
        HealthProblem.CANNOT_REMOVE: _("cannot remove members"),
        HealthProblem.CANNOT_PROMOTE: _("cannot make beheerders admin"),
        HealthProblem.CANNOT_DELETE: _("cannot delete messages"),
        HealthProblem.CANNOT_READ: _("sees only commands"),
    }[problem]


def problem_advice(tr: Translator, problem: HealthProblem) -> str:
    """One line for the regiegroep: what the bot cannot do, and what to do about it."""
    _ = tr.gettext
    return {
        HealthProblem.NOT_MEMBER: _(
            "The bot is not in the group (or the group is gone): add the bot to it, or "
            "correct the chat id in the network file."
        ),
        HealthProblem.NOT_ADMIN: _(
            "The bot is a plain member and cannot manage the group: make it an admin, with "
            "the rights to invite users via link, ban users, delete messages and add new admins."
        ),
        HealthProblem.CANNOT_INVITE: _(
            "It cannot admit new members: give the bot the admin right to invite users via link."
        ),
        HealthProblem.CANNOT_REMOVE: _(
            "It cannot remove members: give the bot the admin right to ban users."
        ),
        HealthProblem.CANNOT_PROMOTE: _(
            "It cannot make beheerders admin: give the bot the admin right to add new admins."
        ),
        HealthProblem.CANNOT_DELETE: _(
            "It cannot delete messages: give the bot the admin right to delete messages."
        ),
        HealthProblem.CANNOT_READ: _(
            "It sees only commands, not the reports: make the bot an admin of the group."
        ),
    }[problem]


def _to_advise(problems: Sequence[HealthProblem]) -> tuple[HealthProblem, ...]:
    """The problems worth a line of advice: outside the group nothing else matters yet, and
    the advice for a plain member already names every admin right."""
    for root in (HealthProblem.NOT_MEMBER, HealthProblem.NOT_ADMIN):
        if root in problems:
            return (root,)
    return tuple(problems)


def _bot(platform: Platform, bot_username: str | None) -> str:
    name = platform_name(platform)
    return f"{name} (@{bot_username})" if bot_username else name


def _outside(tr: Translator, chat_id: str) -> str:
    return tr.gettext("chat {chat_id} (outside the network)").format(chat_id=chat_id)


@dataclass(frozen=True, slots=True)
class GroupProblems:
    """One chat with problems, as a reader sees it: the group's name from the network file,
    or ``None`` for a chat outside the network (then it is shown by its id)."""

    chat_id: str
    name: str | None
    problems: tuple[HealthProblem, ...]

    def shown(self, tr: Translator) -> str:
        return self.name if self.name is not None else _outside(tr, self.chat_id)


def health_notice(
    tr: Translator,
    *,
    platform: Platform,
    bot_username: str | None,
    groups: Sequence[GroupProblems],
) -> RichText:
    """To the regiegroep: the bot misses rights in ``groups`` (all of the gemeente's now)."""
    _ = tr.gettext
    parts: list[str | RichText] = [
        RichText.of(
            "⚠️ ",
            bold(
                tr.ngettext(
                    "The bot misses rights in {n} group on {platform}",
                    "The bot misses rights in {n} groups on {platform}",
                    len(groups),
                ).format(n=len(groups), platform=_bot(platform, bot_username))
            ),
        ),
        "\n",
        _("Until this is fixed it cannot do all its work there. What to do:"),
    ]
    for group in groups:
        parts += ["\n\n", RichText.of(bold(group.shown(tr)))]
        parts += [f"\n• {problem_advice(tr, p)}" for p in _to_advise(group.problems)]
    parts += [
        "\n\n",
        _("{status} shows the latest check.").format(status=shown_name(Command.STATUS, tr.locale)),
    ]
    return RichText.of(*parts)


def health_restored(tr: Translator, *, platform: Platform, bot_username: str | None) -> RichText:
    """To the regiegroep: the rights that were missing are there again."""
    return RichText.of(
        "✅ ",
        tr.gettext("The bot has all the rights it needs on {platform} again.").format(
            platform=_bot(platform, bot_username)
        ),
    )


@dataclass(frozen=True, slots=True)
class PlatformStatus:
    """One platform in ``/status``. ``checked_at`` is ``None`` when it was never checked."""

    platform: Platform
    bot_username: str | None
    checked_at: datetime | None
    groups: tuple[GroupProblems, ...] = ()


def status_text(
    tr: Translator, platforms: Sequence[PlatformStatus], *, pending: int, dead: int
) -> RichText:
    """``/status``: per platform the bot's name, the last check and the groups with
    problems; then how many messages wait in the outbox and how many failed for good."""
    _ = tr.gettext
    parts: list[str | RichText] = [RichText.of(bold(_("Status of the bot")))]
    for p in platforms:
        parts += ["\n\n", RichText.of(bold(_bot(p.platform, p.bot_username)))]
        if p.checked_at is None:
            parts.append("\n" + _("Rights not checked yet."))
            continue
        parts.append("\n" + _("Checked: {when}").format(when=tr.datetime(p.checked_at)))
        if not p.groups:
            parts.append("\n✅ " + _("All rights in order."))
            continue
        parts.append(
            "\n⚠️ "
            + tr.ngettext(
                "Missing rights in {n} group:", "Missing rights in {n} groups:", len(p.groups)
            ).format(n=len(p.groups))
        )
        for g in p.groups:
            labels = ", ".join(problem_label(tr, problem) for problem in g.problems)
            parts.append(f"\n• {g.shown(tr)}: {labels}")
    parts += [
        "\n\n",
        RichText.of(bold(_("Outbox"))),
        "\n",
        _("Waiting to be sent: {n}").format(n=pending),
        "\n",
        _("Failed for good: {n}").format(n=dead),
    ]
    if not platforms:
        parts.insert(1, "\n\n" + _("No platform to report on."))
    return RichText.of(*parts)
