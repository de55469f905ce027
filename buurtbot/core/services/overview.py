"""The regie dashboard's picture of a gemeente: what it shows, worked out from storage.

Everything here is plain data for the web adapter to render. Filters come from a query
string a person can edit, so :func:`parse_filter` accepts anything: a value it cannot use
is dropped (and named in :attr:`DashboardFilter.ignored`) rather than refused.

The map counts every buurt (a chosen kern or buurt only highlights it); the timeline and
the table follow every filter. Both counts are grouped in the database, so however many
escalations a period holds, Python sees a row per buurtgroep and a row per day.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from buurtbot.core.domain.aanmelding import Aanmelding, AanmeldingState
from buurtbot.core.domain.model import GroupKind
from buurtbot.core.domain.network import Network
from buurtbot.core.i18n import Translator
from buurtbot.core.ids import BuurtId, GroupId, KernId
from buurtbot.core.ports import EscalationQuery, EscalationSummary, UnitOfWork
from buurtbot.core.services.handlers.moderation import audit_lines

#: The periods offered as one click, in days.
PERIODS = (7, 30, 90, 365)
DEFAULT_PERIOD = 30
#: The longest period anyone may ask for (retention keeps less anyway).
MAX_PERIOD = timedelta(days=3 * 366)
PAGE_SIZE = 50
#: Pages beyond this are not offered (use a narrower filter or the CSV).
MAX_PAGE = 200
#: The most rows one CSV export holds.
CSV_LIMIT = 100_000
AUDIT_LIMIT = 200
#: Sign-ups the regiegroep still waits on someone for.
OPEN_STATES = frozenset(
    {
        AanmeldingState.RECEIVED,
        AanmeldingState.ROUTED,
        AanmeldingState.UNROUTABLE,
        AanmeldingState.ADMITTED,
    }
)
#: A buurtgroep with fewer beheerders than this is flagged (the seed: an eigenaar and a
#: mede-beheerder, so one absence never leaves a group unattended).
MIN_BEHEERDERS = 2
#: Days outside these are typing errors (and would overflow the date arithmetic).
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOL = {"yes": True, "ja": True, "1": True, "no": False, "nee": False, "0": False}


@dataclass(frozen=True, slots=True)
class DashboardFilter:
    """What the viewer chose; ``first``/``last`` are whole days in the gemeente's zone."""

    first: date
    last: date
    kern: KernId | None = None
    buurt: BuurtId | None = None
    category: str | None = None
    called_112: bool | None = None
    page: int = 1
    #: Query parameters that were given but could not be used.
    ignored: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def params(self, **changes: str | None) -> dict[str, str]:
        """The filter as query parameters (``changes`` replace or, with ``None``, drop)."""
        values: dict[str, str | None] = {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "kern": self.kern,
            "buurt": self.buurt,
            "category": self.category,
            "called_112": None if self.called_112 is None else ("yes" if self.called_112 else "no"),
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}


def parse_filter(params: Mapping[str, str], network: Network, today: date) -> DashboardFilter:
    """The filter a query string asks for; what makes no sense falls back to the default."""
    ignored: list[str] = []
    last = _day(params.get("to"), ignored, "to") or today
    first = _day(params.get("from"), ignored, "from")
    period = params.get("period")
    if period is not None:
        if _number(period) and 1 <= int(period) <= MAX_PERIOD.days:
            first = last - timedelta(days=int(period) - 1)
        else:
            ignored.append("period")
    if first is None:
        first = last - timedelta(days=DEFAULT_PERIOD - 1)
    if first > last:
        first, last = last, first
    if last - first >= MAX_PERIOD:
        first = last - MAX_PERIOD + timedelta(days=1)
        ignored.append("from")
    kern = _known(params.get("kern"), {k.id for k in network.kernen}, ignored, "kern")
    buurt = _known(params.get("buurt"), {b.id for b in network.buurten}, ignored, "buurt")
    category = _known(
        params.get("category"), set(network.gemeente.settings.categories), ignored, "category"
    )
    called = params.get("called_112")
    called_112 = None
    if called:
        called_112 = _BOOL.get(called.strip().lower())
        if called_112 is None:
            ignored.append("called_112")
    page = 1
    raw_page = params.get("page")
    if raw_page:
        if _number(raw_page) and 1 <= int(raw_page) <= MAX_PAGE:
            page = int(raw_page)
        else:
            ignored.append("page")
    return DashboardFilter(
        first=first,
        last=last,
        kern=KernId(kern) if kern else None,
        buurt=BuurtId(buurt) if buurt else None,
        category=category,
        called_112=called_112,
        page=page,
        ignored=tuple(dict.fromkeys(ignored)),
    )


def _number(value: str) -> bool:
    return value.isascii() and value.isdecimal() and len(value) <= 4


def _day(value: str | None, ignored: list[str], name: str) -> date | None:
    if not value:
        return None
    if _DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if EARLIEST <= day <= LATEST:
                return day
    ignored.append(name)
    return None


def _known(value: str | None, known: set[str], ignored: list[str], name: str) -> str | None:
    if not value:
        return None
    if value in known:
        return value
    ignored.append(name)
    return None


# -- escalations: map, timeline, table, CSV -----------------------------------------------------
@dataclass(frozen=True, slots=True)
class EscalationRow:
    """One escalation as the table and the CSV show it."""

    id: str
    at: datetime
    kern: str
    buurt: str
    category: str | None
    scope: str
    called_112_at: datetime | None
    text: str


@dataclass(frozen=True, slots=True)
class EscalationOverview:
    per_buurt: dict[BuurtId, int]
    #: Every day of the period with its count (zero included), oldest first.
    timeline: list[tuple[date, int]]
    total: int
    rows: list[EscalationRow]
    has_next: bool


def escalation_overview(
    uow: UnitOfWork, network: Network, f: DashboardFilter
) -> EscalationOverview:
    """The map's counts, the timeline and one page of the table."""
    wanted = place_groups(network, f)
    per_group = uow.overview.counts_per_group(query_for(network, f, groups=None))
    per_buurt: Counter[BuurtId] = Counter()
    for group, buurt in _buurt_of_group(network).items():
        per_buurt[buurt] += per_group.get(group, 0)
    per_day: dict[date, int] = {}
    if wanted is None or wanted:
        place = query_for(network, f, groups=wanted)
        per_day = uow.overview.counts_per_day(place, network.gemeente.timezone)
    timeline = [(day, per_day.get(day, 0)) for day in _days(f.first, f.last)]
    rows: list[EscalationSummary] = []
    if wanted is None or wanted:
        rows = uow.overview.escalations(
            query_for(network, f, groups=wanted),
            limit=PAGE_SIZE + 1,
            offset=(f.page - 1) * PAGE_SIZE,
        )
    return EscalationOverview(
        per_buurt={b: n for b, n in per_buurt.items() if n},
        timeline=timeline,
        total=sum(per_day.values()),
        rows=[describe(network, r) for r in rows[:PAGE_SIZE]],
        has_next=len(rows) > PAGE_SIZE,
    )


def export_rows(uow: UnitOfWork, network: Network, f: DashboardFilter) -> Iterator[EscalationRow]:
    """Every escalation the filter selects (up to :data:`CSV_LIMIT`), newest first."""
    wanted = place_groups(network, f)
    if wanted is not None and not wanted:
        return
    query = query_for(network, f, groups=wanted)
    batch = 1000
    for offset in range(0, CSV_LIMIT, batch):
        found = uow.overview.escalations(query, limit=batch, offset=offset)
        for summary in found:
            yield describe(network, summary)
        if len(found) < batch:
            return


def place_groups(network: Network, f: DashboardFilter) -> frozenset[GroupId] | None:
    """The buurtgroepen of the chosen buurt or kern; ``None`` when no place is chosen."""
    if f.buurt is not None:
        return frozenset(g.id for g in network.buurtgroepen_of(f.buurt))
    if f.kern is not None:
        buurten = {b.id for b in network.buurten_in(f.kern)}
        return frozenset(
            g.id
            for g in network.groups_of_kind(GroupKind.BUURT)
            if g.buurt_id is not None and g.buurt_id in buurten
        )
    return None


def query_for(
    network: Network, f: DashboardFilter, *, groups: frozenset[GroupId] | None
) -> EscalationQuery:
    zone = ZoneInfo(network.gemeente.timezone)
    return EscalationQuery(
        gemeente_id=network.gemeente.id,
        since=datetime.combine(f.first, time(0), zone),
        until=datetime.combine(f.last + timedelta(days=1), time(0), zone),
        groups=groups,
        category=f.category,
        called_112=f.called_112,
    )


def describe(network: Network, summary: EscalationSummary) -> EscalationRow:
    group = network.group(summary.source_group)
    buurt = network.buurt(group.buurt_id) if group and group.buurt_id else None
    kern = network.kern(buurt.kern_id) if buurt else None
    return EscalationRow(
        id=summary.id,
        at=summary.escalated_at,
        kern=kern.name if kern else "",
        buurt=buurt.name if buurt else (group.name if group else summary.source_group),
        category=summary.category,
        scope=summary.scope,
        called_112_at=summary.called_112_at,
        text=summary.text,
    )


def _buurt_of_group(network: Network) -> dict[GroupId, BuurtId]:
    return {
        g.id: g.buurt_id for g in network.groups_of_kind(GroupKind.BUURT) if g.buurt_id is not None
    }


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# -- sign-ups and group health ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SignupRow:
    id: str
    name: str
    state: AanmeldingState
    buurt: str | None
    group: str | None
    waiting_since: datetime
    age: timedelta


@dataclass(frozen=True, slots=True)
class SignupOverview:
    open: list[SignupRow]
    #: (buurt name, sign-ups waiting for a buurtgroep there), largest first.
    waiting_lists: list[tuple[str, int]]


def signup_overview(uow: UnitOfWork, network: Network, now: datetime) -> SignupOverview:
    """Sign-ups somebody still has to act on, oldest first, and the buurten's waiting lists."""
    rows = [
        _signup_row(network, a, now)
        for a in uow.aanmeldingen.in_state(network.gemeente.id, OPEN_STATES)
    ]
    waiting = [
        (b.name if (b := network.buurt(buurt_id)) else buurt_id, n)
        for buurt_id, n in uow.aanmeldingen.waiting_per_buurt(network.gemeente.id).items()
        if n
    ]
    waiting.sort(key=lambda item: (-item[1], item[0]))
    return SignupOverview(sorted(rows, key=lambda r: r.waiting_since), waiting)


def _signup_row(network: Network, a: Aanmelding, now: datetime) -> SignupRow:
    since = a.state_changed_at or a.created_at
    buurt = network.buurt(a.buurt_id) if a.buurt_id else None
    group = network.group(a.group_id) if a.group_id else None
    return SignupRow(
        id=a.id,
        name=a.name,
        state=a.state,
        buurt=buurt.name if buurt else None,
        group=group.name if group else None,
        waiting_since=since,
        age=max(now - since, timedelta(0)),
    )


@dataclass(frozen=True, slots=True)
class GroupHealth:
    kern: str
    buurt: str
    group: str
    platform: str
    members: int
    beheerders: int
    open_signups: int

    @property
    def short_of_beheerders(self) -> bool:
        return self.beheerders < MIN_BEHEERDERS


@dataclass(frozen=True, slots=True)
class HealthOverview:
    groups: list[GroupHealth]
    #: Buurten without any buurtgroep (their sign-ups wait on a waiting list).
    without_group: list[str] = field(default_factory=list)

    @property
    def short(self) -> list[GroupHealth]:
        return [g for g in self.groups if g.short_of_beheerders]

    @property
    def unhandled(self) -> int:
        return sum(g.open_signups for g in self.groups)


def health_overview(uow: UnitOfWork, network: Network) -> HealthOverview:
    """Every buurtgroep with its beheerders and unhandled sign-ups, weakest first."""
    sizes = uow.overview.group_sizes(network.gemeente.id)
    routed = Counter(
        a.group_id
        for a in uow.aanmeldingen.in_state(network.gemeente.id, frozenset({AanmeldingState.ROUTED}))
        if a.group_id is not None
    )
    groups: list[GroupHealth] = []
    with_group: set[BuurtId] = set()
    for group in network.groups_of_kind(GroupKind.BUURT):
        buurt = network.buurt(group.buurt_id) if group.buurt_id else None
        kern = network.kern(buurt.kern_id) if buurt else None
        if buurt is not None:
            with_group.add(buurt.id)
        members, beheerders = sizes.get(group.id, (0, 0))
        groups.append(
            GroupHealth(
                kern=kern.name if kern else "",
                buurt=buurt.name if buurt else "",
                group=group.name,
                platform=group.chat.platform.value,
                members=members,
                beheerders=beheerders,
                open_signups=routed[group.id],
            )
        )
    groups.sort(key=lambda g: (g.beheerders >= MIN_BEHEERDERS, -g.open_signups, g.kern, g.buurt))
    without = sorted(b.name for b in network.buurten if b.id not in with_group)
    return HealthOverview(groups, without)


def audit_overview(uow: UnitOfWork, network: Network, tr: Translator) -> list[str]:
    """The newest audit entries in words, as ``/log`` shows them (more of them)."""
    return audit_lines(uow, network, tr, uow.audit.recent(network.gemeente.id, AUDIT_LIMIT))
