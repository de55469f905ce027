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


# -- receiving ---------------------------------------------------------------------------------
Gap = tuple[datetime, datetime]

#: The gaps ``/status`` lists (the newest).
STATUS_GAPS = 5


def _clock(tr: Translator, moment: datetime, *, seconds: bool) -> str:
    if seconds:
        return moment.astimezone(tr.tz).strftime("%H:%M:%S")
    return tr.time(moment)


def _ends(tr: Translator, gap: Gap, now: datetime) -> tuple[str, str]:
    """A gap's start and end as ``HH:MM`` in the reader's timezone: with seconds when both
    fall in one minute, the start with its date when that is not ``now``'s day."""
    start, end = gap
    seconds = tr.time(start) == tr.time(end)
    shown = _clock(tr, start, seconds=seconds)
    if start.astimezone(tr.tz).date() != now.astimezone(tr.tz).date():
        shown = f"{tr.date(start)} {shown}"
    return shown, _clock(tr, end, seconds=seconds)


def gap_span(tr: Translator, gap: Gap, now: datetime) -> str:
    """A gap as ``HH:MM–HH:MM`` (see :func:`_ends`)."""
    start, end = _ends(tr, gap, now)
    return f"{start}–{end}"


def _moment(tr: Translator, moment: datetime, now: datetime) -> str:
    """A time of day, with the date when it is not ``now``'s day."""
    if moment.astimezone(tr.tz).date() != now.astimezone(tr.tz).date():
        return tr.datetime(moment)
    return tr.time(moment)


def not_receiving_notice(
    tr: Translator, *, platform: Platform, since: datetime | None, now: datetime
) -> RichText:
    """To the regiegroep: the bot does not receive on ``platform`` right now."""
    _ = tr.gettext
    if since is not None:
        head = _("{platform}: the bot has not been receiving messages since {time}.").format(
            platform=platform_name(platform), time=_moment(tr, since, now)
        )
    else:
        head = _("{platform}: the bot is not receiving messages.").format(
            platform=platform_name(platform)
        )
    return RichText.of(
        "⚠️ ",
        bold(head),
        "\n",
        _(
            "What is sent to it now may be lost. It keeps trying to reconnect; ask residents "
            "to repeat anything urgent once it is back."
        ),
    )


def receiving_again_notice(tr: Translator, *, platform: Platform) -> RichText:
    """To the regiegroep: the bot receives again (when no gap notice says so)."""
    return RichText.of(
        "✅ ",
        tr.gettext("{platform}: the bot is receiving messages again.").format(
            platform=platform_name(platform)
        ),
    )


def gaps_notice(
    tr: Translator, *, platform: Platform, gaps: Sequence[Gap], now: datetime
) -> RichText:
    """To the regiegroep: the bot was not receiving during ``gaps`` (new ones, at least one)."""
    _ = tr.gettext
    name = platform_name(platform)
    advice = _("Messages sent to it then may be lost: ask residents to repeat anything urgent.")
    if len(gaps) == 1:
        start, end = _ends(tr, gaps[0], now)
        when = _("{platform}: between {start} and {end} the bot was not receiving.").format(
            platform=name, start=start, end=end
        )
        return RichText.of("⚠️ ", bold(when), "\n", advice)
    head = tr.ngettext(
        "{platform}: {n} period when the bot was not receiving:",
        "{platform}: {n} periods when the bot was not receiving:",
        len(gaps),
    ).format(platform=name, n=len(gaps))
    lines = [f"\n• {gap_span(tr, gap, now)}" for gap in gaps]
    return RichText.of("⚠️ ", bold(head), *lines, "\n", advice)


@dataclass(frozen=True, slots=True)
class PlatformStatus:
    """One platform in ``/status``. ``checked_at`` is ``None`` when it was never checked.

    ``receiving``: ``None`` when the platform cannot tell (then ``down_since`` and ``gaps``
    are not shown either)."""

    platform: Platform
    bot_username: str | None
    checked_at: datetime | None
    groups: tuple[GroupProblems, ...] = ()
    receiving: bool | None = None
    down_since: datetime | None = None
    gaps: tuple[Gap, ...] = ()
    held_back: bool = False


def held_back_notice(tr: Translator, *, platform: Platform) -> RichText:
    """To the regiegroep: the platform refuses the bot's messages for now."""
    _ = tr.gettext
    return RichText.of(
        "⚠️ ",
        bold(_("{platform} is holding back the bot's messages.").format(
            platform=platform_name(platform))),
        "\n",
        _("They wait and are sent as soon as it allows. If it asks for a captcha, the bot's "
          "log says how to solve it (see \"Run on Signal\" in the README)."),
    )  # fmt: skip


def status_text(
    tr: Translator,
    platforms: Sequence[PlatformStatus],
    *,
    pending: int,
    dead: int,
    now: datetime | None = None,
) -> RichText:
    """``/status``: per platform the bot's name, the last check, whether it receives, the
    groups with problems and the latest gaps in receiving; then how many messages wait in
    the outbox and how many failed for good. ``now`` (default: each check's time) decides
    which times need their date."""
    _ = tr.gettext
    parts: list[str | RichText] = [RichText.of(bold(_("Status of the bot")))]
    for p in platforms:
        parts += ["\n\n", RichText.of(bold(_bot(p.platform, p.bot_username)))]
        if p.checked_at is None:
            parts.append("\n" + _("Rights not checked yet."))
            continue
        parts.append("\n" + _("Checked: {when}").format(when=tr.datetime(p.checked_at)))
        parts += _receiving_lines(tr, p, now or p.checked_at)
        if p.held_back:
            parts.append("\n⚠️ " + _("Sending is held back by the platform; messages wait."))
        if not p.groups:
            parts.append("\n✅ " + _("All rights in order."))
        else:
            parts.append(
                "\n⚠️ "
                + tr.ngettext(
                    "Missing rights in {n} group:", "Missing rights in {n} groups:", len(p.groups)
                ).format(n=len(p.groups))
            )
            for g in p.groups:
                labels = ", ".join(problem_label(tr, problem) for problem in g.problems)
                parts.append(f"\n• {g.shown(tr)}: {labels}")
        parts += _gap_lines(tr, p, now or p.checked_at)
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


def _receiving_lines(tr: Translator, p: PlatformStatus, now: datetime) -> list[str]:
    _ = tr.gettext
    if p.receiving is None:
        return []
    if p.receiving:
        return ["\n✅ " + _("Receiving messages.")]
    if p.down_since is not None:
        since = _moment(tr, p.down_since, now)
        return ["\n⚠️ " + _("NOT receiving messages since {time}.").format(time=since)]
    return ["\n⚠️ " + _("NOT receiving messages.")]


def _gap_lines(tr: Translator, p: PlatformStatus, now: datetime) -> list[str]:
    if p.receiving is None or not p.gaps:
        return []
    shown = p.gaps[-STATUS_GAPS:]
    lines = [
        "\n"
        + tr.ngettext(
            "{n} period without receiving since the start (messages sent then may be lost):",
            "{n} periods without receiving since the start (messages sent then may be lost):",
            len(p.gaps),
        ).format(n=len(p.gaps))
    ]
    lines += [f"\n• {gap_span(tr, gap, now)}" for gap in shown]
    if len(p.gaps) > len(shown):
        lines.append("\n" + tr.gettext("(only the latest {n})").format(n=len(shown)))
    return lines
