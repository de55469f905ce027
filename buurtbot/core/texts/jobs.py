"""What the scheduled jobs say: expired invites, reminders and the weekly digest (its text,
and the words of its chart).

Names and ids people typed travel as plain spans, never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from buurtbot.core.commands import Command
from buurtbot.core.domain.aanmelding import AanmeldingState
from buurtbot.core.domain.weekly_chart import ChartSeries, IsoWeek, WeeklyChart
from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText, bold
from buurtbot.core.texts.commands import shown_name
from buurtbot.core.texts.signup import state_name


def _cmd(tr: Translator, command: Command) -> str:
    return shown_name(command, tr.locale)


def invite_expired(tr: Translator, name: str, aanmelding_id: str, group_name: str) -> RichText:
    """To the eigenaar (or the regiegroep): the invite lapsed unused; admitting again works."""
    _ = tr.gettext
    return RichText.of(
        _("The invite of {name} ({id}) to {group} expired unused.").format(
            name=name, id=aanmelding_id, group=group_name
        ),
        "\n",
        _("{admit} {id} sends a new invite.").format(
            admit=_cmd(tr, Command.ADMIT), id=aanmelding_id
        ),
    )


def waiting_routed(tr: Translator, n: int, buurt_names: Sequence[str]) -> RichText:
    """To the regiegroep, once per run: sign-ups left the waiting list for a new buurtgroep."""
    return RichText.of(
        "📝 ",
        tr.ngettext(
            "{n} sign-up from the waiting list went on to its new buurtgroep: {buurten}.",
            "{n} sign-ups from the waiting list went on to their new buurtgroep: {buurten}.",
            n,
        ).format(n=n, buurten=", ".join(buurt_names)),
    )


def reminder_eigenaar(
    tr: Translator, name: str, aanmelding_id: str, group_name: str, days: int
) -> RichText:
    """To the eigenaar after 48 hours without a decision."""
    _ = tr.gettext
    return RichText.of(
        bold(_("Reminder: sign-up {id} is waiting").format(id=aanmelding_id)),
        "\n",
        tr.ngettext(
            "{name} signed up for {group} {n} day ago and is waiting for your decision.",
            "{name} signed up for {group} {n} days ago and is waiting for your decision.",
            days,
        ).format(name=name, group=group_name, n=days),
        "\n",
        _("Admit with {admit} {id}, or decline with {decline} {id} <reason>.").format(
            admit=_cmd(tr, Command.ADMIT), decline=_cmd(tr, Command.DECLINE), id=aanmelding_id
        ),
    )


def reminder_hoofdcoordinator(
    tr: Translator, name: str, aanmelding_id: str, group_name: str, days: int
) -> RichText:
    """To the hoofdcoordinator(s) after 7 days: the eigenaar has not decided."""
    _ = tr.gettext
    return RichText.of(
        bold(_("Sign-up {id} has waited a week").format(id=aanmelding_id)),
        "\n",
        tr.ngettext(
            "{name} signed up for {group} {n} day ago; the eigenaar has not decided yet.",
            "{name} signed up for {group} {n} days ago; the eigenaar has not decided yet.",
            days,
        ).format(name=name, group=group_name, n=days),
        "\n",
        _("You can admit ({admit} {id}), decline, or send it to another buurt "
          "({route} {id} <buurt>).").format(
            admit=_cmd(tr, Command.ADMIT), route=_cmd(tr, Command.ROUTE), id=aanmelding_id
        ),
    )  # fmt: skip


def digest(
    tr: Translator,
    *,
    gemeente_name: str,
    week: str,
    signups: Sequence[tuple[AanmeldingState, int]],
    waiting: Sequence[tuple[str, int]],
    escalations: Sequence[tuple[str, int]],
    short_of_beheerders: Sequence[tuple[str, int]],
) -> RichText:
    """The regiegroep's weekly overview. ``week`` is the ISO week, like ``2026-W48``."""
    _ = tr.gettext
    total = sum(n for _state, n in signups)
    lines: list[str] = [_("Sign-ups in the past week: {n}").format(n=total)]
    lines += [f"  • {state_name(tr, state)}: {n}" for state, n in signups]
    lines.append("")
    lines.append(_("Waiting lists:") if waiting else _("Waiting lists: none"))
    lines += [f"  • {buurt}: {n}" for buurt, n in waiting]
    lines.append("")
    lines.append(
        _("Escalations in the past week, per kern:")
        if escalations
        else _("Escalations in the past week: none")
    )
    lines += [f"  • {kern}: {n}" for kern, n in escalations]
    lines.append("")
    if short_of_beheerders:
        lines.append(_("Buurtgroepen with fewer than 2 beheerders:"))
        lines += [f"  • {group}: {n}" for group, n in short_of_beheerders]
    else:
        lines.append(_("Every buurtgroep has at least 2 beheerders."))
    return RichText.of(
        bold(_("Weekly overview {gemeente}, {week}").format(gemeente=gemeente_name, week=week)),
        "\n",
        "\n".join(lines),
    )


def escalation_chart(
    tr: Translator, *, weeks: Sequence[IsoWeek], per_kern: Mapping[str, Sequence[int]]
) -> WeeklyChart:
    """The digest's chart: escalations per kern (a line each, by name) over ``weeks``.

    The weeks are labelled by their number; the axis says they are weeks."""
    _ = tr.gettext
    return WeeklyChart(
        title=_("Escalations per kern"),
        x_label=_("Week"),
        y_label=_("Escalations"),
        week_labels=tuple(str(week.week) for week in weeks),
        series=tuple(ChartSeries(kern, tuple(counts)) for kern, counts in sorted(per_kern.items())),
        legend_title=_("Kern"),
        empty_note=_("No escalations in these weeks"),
    )


def escalation_chart_caption(
    tr: Translator, *, gemeente_name: str, weeks: Sequence[IsoWeek]
) -> RichText:
    """Under the chart in the regiegroep: what it shows, from which week to which."""
    n = len(weeks)
    return RichText.of(
        tr.ngettext(
            "Escalations per kern in {gemeente}, the past {n} week ({first} to {last}).",
            "Escalations per kern in {gemeente}, the past {n} weeks ({first} to {last}).",
            n,
        ).format(gemeente=gemeente_name, n=n, first=str(weeks[0]), last=str(weeks[-1]))
    )
