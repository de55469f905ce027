"""The scheduled jobs of flow 6: invites expire, sign-ups are chased, a digest, retention.

Every job is a plain function over the ports: one unit of work per run, its messages queued
in the outbox in the same transaction as the state change. Each job derives what to do
from the stored data and records what it did there, so it is idempotent: running it twice
(or in two processes, or again after a crash) changes nothing the second time. That is
also why the scheduler may keep its own job store in memory.

Decisions, where the brief left room:

- **An expired invite** is revoked, and the eigenaar of its buurtgroep is told once (the
  regiegroep when there is no reachable eigenaar) that ``/admit <id>`` sends a new one. The
  sign-up stays ADMITTED, which ``admit`` accepts again; nothing goes to the resident, who
  learns it when the link is refused and can ask the eigenaar. Revoking is the record: an
  invite revoked is no longer "expired unused", so a second run finds nothing.
- **Reminders** count from the moment the sign-up was routed (``state_changed_at``). After
  48 hours the eigenaar is reminded (``reminders_sent`` becomes 1), after 7 days the
  hoofdcoordinatoren (``reminders_sent`` becomes 2; the regiegroep when none is reachable).
  A sign-up that was down for more than 7 days unreminded gets the 7-day reminder only.
  The outbox keys name the stage and the routing time, so two racing runs conflict on the
  key instead of both sending.
- **A buurt founds its buurtgroep** (the network file is reloaded with a group for a buurt
  that had a waiting list): the hourly :func:`route_waiting` places every WAITING sign-up
  of such a buurt exactly as a fresh sign-up is placed (ROUTED with the full notice to the
  eigenaar, or RECEIVED when the gemeente routes by hand). The regiegroep gets one notice
  per run with the count and the buurten, not one per sign-up. The state change is the
  record: a second run finds nothing waiting there. The eigenaar's notice is keyed by the
  sign-up and the moment it started waiting, the regiegroep's by the sign-ups it counts.
- **Warnings and "112 called" need no job.** A warning counts while ``now < expires_at``
  (:meth:`Warning.active`) and a 112 call while it is within the gemeente's window
  (:meth:`Melding.called_within`); both are evaluated against the clock whenever they are
  read, so they lapse on time even when no scheduler runs. Nothing is told when they lapse.
- **The weekly digest** covers the seven days before the run and is queued under
  ``digest:<gemeente>:<ISO year-week>`` (the week in the gemeente's timezone); a digest
  already queued this week is not made again. Where the regiegroep's platform can show
  images and a chart renderer is configured, a chart of the original escalations per kern
  over the last 8 complete weeks follows the text (key ``<digest key>:chart``, queued in
  the same transaction). A chart that cannot be drawn is logged and left out: the text
  goes all the same.
- **The police follow-up reminder** (hourly, per gemeente with ``police_followup_hours``
  above 0, 48 by default): an escalation marked for the police (a delivery to a police
  liaison, see :mod:`.handlers.followup`) whose police delivery was queued more than that
  many hours ago, without a ``/followup`` and not reminded yet, gets one reminder: privately
  to the beheerder who escalated it, in their language, else (erased, or no account the bot
  can reach) to the regiegroep. ``police_reminded_at`` is the record, set by a conditional
  update, and the outbox key ``police-followup:<escalation id>`` makes two racing runs
  conflict instead of both sending. A follow-up recorded later needs no further message.
- **Retention** (``retention_days`` per gemeente): escalations (their text and deliveries),
  meldingen and audit entries older than that go; so do warnings that stopped counting that
  long ago, and declined or joined sign-ups decided that long ago (a declined one keeps a
  name and a reason). Blocks stay until lifted: they are in force, not history. Delivered
  and dead outbox items go after the *longest* retention of all gemeenten (the outbox is
  not per gemeente, and an escalation's delivery state is read from its outbox item).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from buurtbot.core.actions import SendImage
from buurtbot.core.domain.aanmelding import Aanmelding, AanmeldingState
from buurtbot.core.domain.escalation import Escalation
from buurtbot.core.domain.model import GemeenteRole, GemeenteSettings, Group, GroupKind, Person
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.weekly_chart import (
    CHART_WEEKS,
    WeeklyChart,
    count_per_week,
    weeks_before,
)
from buurtbot.core.i18n import Translator, Translators
from buurtbot.core.ids import ChatRef, GroupId, Platform
from buurtbot.core.ports import (
    Capabilities,
    ChartRenderer,
    Clock,
    UnitOfWork,
    UnitOfWorkFactory,
)
from buurtbot.core.services.outgoing import FALLBACK_CAPABILITIES, Outgoing
from buurtbot.core.services.signup import (
    eigenaar_of,
    group_translator,
    person_translator,
    regie_group,
    route_from_waiting_list,
)
from buurtbot.core.services.situation import private_chat
from buurtbot.core.text import RichText
from buurtbot.core.texts import followup as followup_texts
from buurtbot.core.texts import jobs as texts
from buurtbot.core.texts.patterns import short_id

log = logging.getLogger(__name__)

EIGENAAR_REMINDER_AFTER = timedelta(hours=48)
HOOFDCOORDINATOR_REMINDER_AFTER = timedelta(days=7)
DIGEST_PERIOD = timedelta(days=7)
#: How many escalations the digest reads back at most (a week of one gemeente is far less).
_DIGEST_ESCALATION_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class JobContext:
    """What every job needs; the composition root makes one. Without ``charts`` the digest
    goes as text only."""

    uow_factory: UnitOfWorkFactory
    translators: Translators
    clock: Clock
    capabilities: Mapping[Platform, Capabilities] = field(default_factory=dict)
    charts: ChartRenderer | None = None


@dataclass(frozen=True, slots=True)
class JobReport:
    """What one run did, as counts (for the log and for tests)."""

    job: str
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.counts.values())


Job = Callable[[JobContext], JobReport]
TextFor = Callable[[Translator], RichText]


def _outgoing(ctx: JobContext, uow: UnitOfWork, job: str, now: datetime) -> Outgoing:
    # Every send below names its own key; this one only numbers stray pieces.
    return Outgoing(uow, ctx.capabilities, key=f"job:{job}:{now.isoformat()}", now=now)


# ---------------------------------------------------------------------------------------------
def expire_invites(ctx: JobContext) -> JobReport:
    """Revoke invites whose time is up and tell the eigenaar once that ``/admit`` again works."""
    now = ctx.clock.now()
    revoked = told = 0
    with ctx.uow_factory() as uow:
        out = _outgoing(ctx, uow, "expire-invites", now)
        networks: dict[str, Network | None] = {}
        for invite in uow.invites.expired_unused(now):
            uow.invites.revoke(invite.token_hash, now)
            revoked += 1
            aanmelding = uow.aanmeldingen.get(invite.aanmelding_id)
            if invite.gemeente_id not in networks:
                networks[invite.gemeente_id] = uow.networks.get(invite.gemeente_id)
            network = networks[invite.gemeente_id]
            group = network.group(invite.group_id) if network else None
            if network is None or group is None or aanmelding is None:
                continue
            if aanmelding.state is not AanmeldingState.ADMITTED:
                continue  # joined by another invite, or decided otherwise since
            key = f"invite-expired:{invite.token_hash[:24]}"
            if _tell_eigenaar(
                ctx,
                uow,
                out,
                network,
                group,
                key,
                partial(
                    texts.invite_expired,
                    name=aanmelding.name,
                    aanmelding_id=aanmelding.id,
                    group_name=group.name,
                ),
            ):
                told += 1
        uow.commit()
    return JobReport("expire-invites", {"revoked": revoked, "told": told})


def _tell_eigenaar(
    ctx: JobContext,
    uow: UnitOfWork,
    out: Outgoing,
    network: Network,
    group: Group,
    key: str,
    text: TextFor,
) -> bool:
    """Privately to the group's eigenaar, else to the regiegroep; ``False`` when neither."""
    owner = eigenaar_of(uow, group.id)
    chat = private_chat(owner, prefer=group.chat.platform) if owner else None
    if owner is not None and chat is not None:
        out.send(chat, text(person_translator(network, owner, ctx.translators)), key=key)
        return True
    return _tell_regie(ctx, out, network, key, text)


def _tell_regie(ctx: JobContext, out: Outgoing, network: Network, key: str, text: TextFor) -> bool:
    regie = regie_group(network)
    if regie is None:
        log.warning("%s has no regiegroep; %s not sent", network.gemeente.id, key)
        return False
    out.send(regie.chat, text(group_translator(network, regie, ctx.translators)), key=key)
    return True


# ---------------------------------------------------------------------------------------------
def remind_pending(ctx: JobContext) -> JobReport:
    """Chase sign-ups with the eigenaar: remind them after 48 hours, the hoofdcoordinatoren
    after 7 days. ``reminders_sent`` records the stage reached, so each is sent once."""
    now = ctx.clock.now()
    counts: Counter[str] = Counter()
    with ctx.uow_factory() as uow:
        out = _outgoing(ctx, uow, "remind-pending", now)
        for network in uow.networks.all():
            routed = uow.aanmeldingen.in_state(
                network.gemeente.id, frozenset({AanmeldingState.ROUTED})
            )
            hoofd: list[Person] | None = None
            for aanmelding in routed:
                since = aanmelding.state_changed_at or aanmelding.created_at
                age = now - since
                group = network.group(aanmelding.group_id) if aanmelding.group_id else None
                if group is None:
                    continue
                stamp = int(since.timestamp())
                if age >= HOOFDCOORDINATOR_REMINDER_AFTER and aanmelding.reminders_sent < 2:
                    if hoofd is None:
                        hoofd = _hoofdcoordinatoren(uow, network)
                    _remind_hoofd(ctx, out, network, hoofd, aanmelding, group, age, stamp)
                    uow.aanmeldingen.save(replace(aanmelding, reminders_sent=2))
                    counts["hoofdcoordinator"] += 1
                elif age >= EIGENAAR_REMINDER_AFTER and aanmelding.reminders_sent < 1:
                    key = f"reminder:{aanmelding.id}:eigenaar:{stamp}"
                    _tell_eigenaar(
                        ctx,
                        uow,
                        out,
                        network,
                        group,
                        key,
                        partial(
                            texts.reminder_eigenaar,
                            name=aanmelding.name,
                            aanmelding_id=aanmelding.id,
                            group_name=group.name,
                            days=age.days,
                        ),
                    )
                    uow.aanmeldingen.save(replace(aanmelding, reminders_sent=1))
                    counts["eigenaar"] += 1
        uow.commit()
    return JobReport("remind-pending", dict(counts))


def _hoofdcoordinatoren(uow: UnitOfWork, network: Network) -> list[Person]:
    gemeente_id = network.gemeente.id
    return [
        p
        for p in uow.persons.in_gemeente(gemeente_id)
        if GemeenteRole.HOOFDCOORDINATOR in uow.persons.gemeente_roles(gemeente_id, p.id)
    ]


def _remind_hoofd(
    ctx: JobContext,
    out: Outgoing,
    network: Network,
    hoofd: list[Person],
    aanmelding: Aanmelding,
    group: Group,
    age: timedelta,
    stamp: int,
) -> None:
    def text(tr: Translator) -> RichText:
        return texts.reminder_hoofdcoordinator(
            tr, aanmelding.name, aanmelding.id, group.name, age.days
        )

    key = f"reminder:{aanmelding.id}:hoofdcoordinator:{stamp}"
    reached = False
    for person in hoofd:
        chat = private_chat(person)
        if chat is None:
            continue
        out.send(
            chat,
            text(person_translator(network, person, ctx.translators)),
            key=f"{key}:{person.id}",
        )
        reached = True
    if not reached:
        _tell_regie(ctx, out, network, key, text)


# ---------------------------------------------------------------------------------------------
def route_waiting(ctx: JobContext) -> JobReport:
    """Route the waiting list of every buurt that has a buurtgroep now, as a fresh sign-up."""
    now = ctx.clock.now()
    counts: Counter[str] = Counter()
    with ctx.uow_factory() as uow:
        for network in uow.networks.all():
            waiting = uow.aanmeldingen.in_state(
                network.gemeente.id, frozenset({AanmeldingState.WAITING})
            )
            placed: list[Aanmelding] = []
            for aanmelding in waiting:
                stamp = int((aanmelding.state_changed_at or aanmelding.created_at).timestamp())
                out = Outgoing(
                    uow, ctx.capabilities, key=f"waiting-routed:{aanmelding.id}:{stamp}", now=now
                )
                done = route_from_waiting_list(
                    uow, network, aanmelding, now=now, out=out, translators=ctx.translators
                )
                if done is not None:
                    placed.append(done)
                    counts[done.state.value] += 1
            if placed:
                _tell_regie_waiting_routed(ctx, uow, network, placed, now)
        uow.commit()
    return JobReport("route-waiting", dict(counts))


def _tell_regie_waiting_routed(
    ctx: JobContext, uow: UnitOfWork, network: Network, placed: list[Aanmelding], now: datetime
) -> None:
    names = sorted(
        {b.name for a in placed if a.buurt_id and (b := network.buurt(a.buurt_id)) is not None}
    )
    digest = hashlib.sha256(" ".join(sorted(a.id for a in placed)).encode()).hexdigest()[:24]
    key = f"waiting-routed:{network.gemeente.id}:{digest}"
    out = _outgoing(ctx, uow, "route-waiting", now)
    _tell_regie(
        ctx, out, network, key, partial(texts.waiting_routed, n=len(placed), buurt_names=names)
    )


# ---------------------------------------------------------------------------------------------
def iso_week(moment: datetime, timezone: str) -> str:
    """``2026-W48``: the ISO week of ``moment`` in the gemeente's timezone."""
    year, week, _day = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def digest_key(network: Network, now: datetime) -> str:
    return f"digest:{network.gemeente.id}:{iso_week(now, network.gemeente.timezone)}"


def weekly_digest(ctx: JobContext, charts: Mapping[str, SendImage] | None = None) -> JobReport:
    """Queue each gemeente's overview of the past seven days to its regiegroep, once a week,
    with its chart where the regiegroep can show images.

    ``charts``: drawn beforehand by :func:`draw_digest_charts`, by digest key (the scheduler
    draws them off the database thread); without, they are drawn here first. Either way no
    chart is drawn inside a transaction: drawing takes a while (the first one loads the
    drawing library), and a transaction holds the database's write lock.
    """
    if charts is None:
        charts = (
            draw_digest_charts(ctx.charts, digest_charts_to_draw(ctx))
            if ctx.charts is not None
            else {}
        )
    now = ctx.clock.now()
    sent = charted = 0
    with ctx.uow_factory() as uow:
        out = _outgoing(ctx, uow, "digest", now)
        for network in uow.networks.all():
            key = digest_key(network, now)
            regie = regie_group(network)
            if regie is None or uow.outbox.state(key) is not None:
                continue
            tr = group_translator(network, regie, ctx.translators)
            out.send(regie.chat, _digest(uow, network, now, tr), key=key)
            sent += 1
            chart = charts.get(key)
            if chart is not None and chart.chat == regie.chat:
                out.add(chart, key=f"{key}:chart")
                charted += 1
        uow.commit()
    counts = {"sent": sent} if ctx.charts is None else {"sent": sent, "charts": charted}
    return JobReport("digest", counts)


@dataclass(frozen=True, slots=True)
class DigestChart:
    """A digest's chart to draw, and where it goes: the regiegroep's ``chat``."""

    key: str  # the digest's key
    chat: ChatRef
    filename: str
    chart: WeeklyChart
    caption: RichText


def digest_charts_to_draw(ctx: JobContext) -> list[DigestChart]:
    """The charts of the digests not queued yet this week, where the regiegroep can show
    images (one short transaction that only reads)."""
    now = ctx.clock.now()
    todo: list[DigestChart] = []
    with ctx.uow_factory() as uow:  # rolled back on leaving
        for network in uow.networks.all():
            key = digest_key(network, now)
            regie = regie_group(network)
            if regie is None or uow.outbox.state(key) is not None:
                continue
            if ctx.capabilities.get(regie.chat.platform, FALLBACK_CAPABILITIES).send_images:
                tr = group_translator(network, regie, ctx.translators)
                todo.append(_digest_chart(uow, network, regie.chat, key, now, tr))
    return todo


def draw_digest_charts(
    renderer: ChartRenderer, todo: Sequence[DigestChart]
) -> dict[str, SendImage]:
    """Draw ``todo`` (no storage is touched: any thread will do), by digest key. A chart that
    cannot be drawn is logged and left out: its digest goes as text alone."""
    drawn: dict[str, SendImage] = {}
    for item in todo:
        try:
            png = renderer.weekly_counts_png(item.chart)
        except Exception:
            log.exception("the digest chart %s could not be drawn; the text goes alone", item.key)
            continue
        drawn[item.key] = SendImage(
            chat=item.chat, filename=item.filename, content=png, caption=item.caption
        )
    return drawn


def _digest_chart(
    uow: UnitOfWork, network: Network, chat: ChatRef, key: str, now: datetime, tr: Translator
) -> DigestChart:
    """Original escalations per kern over the last complete weeks, counted as the text
    counts them (by the kern of the source group's buurt)."""
    gemeente = network.gemeente
    weeks = weeks_before(now, gemeente.timezone, CHART_WEEKS)
    times = uow.escalations.original_times_since(gemeente.id, weeks[0].start(gemeente.timezone))
    per_kern = count_per_week(
        ((_kern_name(network, group), at) for group, at in times), weeks, gemeente.timezone
    )
    return DigestChart(
        key=key,
        chat=chat,
        filename=f"{gemeente.id}-{iso_week(now, gemeente.timezone)}.png",
        chart=texts.escalation_chart(tr, weeks=weeks, per_kern=per_kern),
        caption=texts.escalation_chart_caption(tr, gemeente_name=gemeente.name, weeks=weeks),
    )


def _digest(uow: UnitOfWork, network: Network, now: datetime, tr: Translator) -> RichText:
    gemeente_id = network.gemeente.id
    since = now - DIGEST_PERIOD
    fresh = [
        a
        for a in uow.aanmeldingen.in_state(gemeente_id, frozenset(AanmeldingState))
        if a.created_at >= since
    ]
    by_state = Counter(a.state for a in fresh)
    signups = [(s, by_state[s]) for s in AanmeldingState if by_state[s]]
    waiting = sorted(
        (b.name if (b := network.buurt(buurt_id)) else buurt_id, n)
        for buurt_id, n in uow.aanmeldingen.waiting_per_buurt(gemeente_id).items()
        if n
    )
    per_kern: Counter[str] = Counter()
    for escalation in uow.escalations.recent(gemeente_id, _DIGEST_ESCALATION_LIMIT):
        if escalation.escalated_at < since:
            break  # newest first
        if escalation.forwarded_from is None:
            per_kern[_kern_name(network, escalation.source_group)] += 1
    short = []
    for group in network.groups_of_kind(GroupKind.BUURT):
        beheerders = sum(1 for m in uow.memberships.of_group(group.id) if m.role.is_beheerder)
        if beheerders < 2:
            short.append((group.name, beheerders))
    return texts.digest(
        tr,
        gemeente_name=network.gemeente.name,
        week=iso_week(now, network.gemeente.timezone),
        signups=signups,
        waiting=waiting,
        escalations=sorted(per_kern.items()),
        short_of_beheerders=sorted(short),
    )


def _kern_name(network: Network, group_id: GroupId) -> str:
    group = network.group(group_id)
    buurt = network.buurt(group.buurt_id) if group and group.buurt_id else None
    kern = network.kern(buurt.kern_id) if buurt else None
    return kern.name if kern else network.gemeente.name


# ---------------------------------------------------------------------------------------------
def retention(ctx: JobContext) -> JobReport:
    """Delete what each gemeente's ``retention_days`` says is kept long enough."""
    now = ctx.clock.now()
    counts: Counter[str] = Counter()
    with ctx.uow_factory() as uow:
        networks = uow.networks.all()
        for network in networks:
            gemeente_id = network.gemeente.id
            before = now - timedelta(days=network.gemeente.settings.retention_days)
            counts["escalations"] += uow.escalations.delete_before(gemeente_id, before)
            counts["meldingen"] += uow.meldingen.delete_before(gemeente_id, before)
            counts["audit"] += uow.audit.delete_before(gemeente_id, before)
            counts["warnings"] += uow.warnings.delete_lapsed_before(gemeente_id, before)
            decided = frozenset({AanmeldingState.DECLINED, AanmeldingState.JOINED})
            for aanmelding in uow.aanmeldingen.in_state(gemeente_id, decided):
                if (aanmelding.state_changed_at or aanmelding.created_at) < before:
                    uow.aanmeldingen.delete(aanmelding.id)
                    counts["aanmeldingen"] += 1
        longest = max(
            (n.gemeente.settings.retention_days for n in networks),
            default=GemeenteSettings().retention_days,
        )
        counts["outbox"] += uow.outbox.delete_delivered_before(now - timedelta(days=longest))
        # Spent sign-in links and ended sessions of the dashboard: nothing to keep at all.
        counts["dashboard"] += uow.dashboard.delete_expired(now)
        uow.commit()
    return JobReport("retention", dict(counts))


# ---------------------------------------------------------------------------------------------
#: How many reminders one run sends per gemeente at most (the rest follow an hour later).
_POLICE_REMINDER_LIMIT = 500


def police_followup_reminders(ctx: JobContext) -> JobReport:
    """Remind the escalating beheerder, once, to check with the wijkagent when an escalation
    marked for the police has had no follow-up for the gemeente's ``police_followup_hours``."""
    now = ctx.clock.now()
    counts: Counter[str] = Counter()
    with ctx.uow_factory() as uow:
        out = _outgoing(ctx, uow, "police-followup", now)
        for network in uow.networks.all():
            hours = network.gemeente.settings.police_followup_hours
            if hours <= 0:
                continue
            before = now - timedelta(hours=hours)
            due = uow.escalations.police_unfollowed_before(
                network.gemeente.id, before, _POLICE_REMINDER_LIMIT
            )
            for escalation in due:
                if not uow.escalations.mark_police_reminded(escalation.id, now):
                    continue
                counts[_remind_police_followup(ctx, uow, out, network, escalation, hours)] += 1
        uow.commit()
    return JobReport("police-followup", dict(counts))


def _remind_police_followup(
    ctx: JobContext,
    uow: UnitOfWork,
    out: Outgoing,
    network: Network,
    escalation: Escalation,
    hours: int,
) -> str:
    """Send one reminder; which way it went (``beheerder``, ``regie`` or ``unsent``)."""
    key = f"police-followup:{escalation.id}"
    group = network.group(escalation.source_group)
    buurt = network.buurt(group.buurt_id) if group and group.buurt_id else None
    named = followup_texts.Named(
        buurt.name if buurt else (group.name if group else "?"),
        escalation.escalated_at,
        short_id(escalation.id),
    )
    person = uow.persons.get(escalation.escalated_by) if escalation.escalated_by else None
    chat = private_chat(person, prefer=group.chat.platform if group else None) if person else None
    if person is not None and chat is not None:
        tr = person_translator(network, person, ctx.translators)
        out.send(chat, followup_texts.reminder(tr, named, escalation.text, hours), key=key)
        return "beheerder"

    def to_regie(tr: Translator) -> RichText:
        return followup_texts.reminder_to_regie(tr, named, escalation.text, hours)

    return "regie" if _tell_regie(ctx, out, network, key, to_regie) else "unsent"


#: The jobs by name, for the scheduler and the command line.
JOBS: dict[str, Job] = {
    "expire-invites": expire_invites,
    "remind-pending": remind_pending,
    "route-waiting": route_waiting,
    "police-followup": police_followup_reminders,
    "digest": weekly_digest,
    "retention": retention,
}
