"""The scheduled jobs (flow 6) on the in-memory fakes, with the world's fixed clock.

Every job is run twice where it matters: the second run must change nothing. Texts are
compared with what the text functions render in the reader's language, so the tests hold
whether or not a msgid has its Dutch translation yet.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from buurtbot.adapters.charts import MatplotlibChartRenderer
from buurtbot.core.actions import Action, SendImage, SendText
from buurtbot.core.domain.aanmelding import Aanmelding, AanmeldingState, Channel
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.dashboard import SESSION_VALID, AccessKind, DashboardAccess
from buurtbot.core.domain.escalation import Escalation, Scope
from buurtbot.core.domain.melding import Melding
from buurtbot.core.domain.model import Group, GroupKind, GroupRole, Locale, Membership, RoleSource
from buurtbot.core.domain.moderation import Warning, WarningReason
from buurtbot.core.domain.networkspec import file_group_id
from buurtbot.core.domain.weekly_chart import ChartSeries, IsoWeek, WeeklyChart
from buurtbot.core.ids import BuurtId, ChatRef, MessageRef, Platform
from buurtbot.core.ports import Capabilities, ChartRenderer
from buurtbot.core.services import jobs
from buurtbot.core.services import signup as service
from buurtbot.core.services.network_sync import apply_network
from buurtbot.core.text import RichText
from buurtbot.core.texts import jobs as job_texts
from buurtbot.core.texts import signup as signup_texts
from tests.images import PNG_SIGNATURE, tiny_png
from tests.world import TRANSLATORS, World, texts

NL = TRANSLATORS.get(Locale.NL)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def ctx(world: World) -> jobs.JobContext:
    return jobs.JobContext(world.uow_factory, TRANSLATORS, world.clock)


# -- helpers ------------------------------------------------------------------------------------
def private(world: World, handle: str, platform: Platform = Platform.TELEGRAM) -> ChatRef:
    return ChatRef.private_with(world.identity(handle, platform))


def said_to(actions: list[Action], chat: ChatRef) -> list[str]:
    return [a.text.plain for a in actions if isinstance(a, SendText) and a.chat == chat]


def submit(world: World, name: str = "Piet Pieters") -> Aanmelding:
    """A web sign-up for Goor Centrum (eigenaar Anna), routed at the world's time."""
    form = service.SignupForm(
        name=name,
        postcode="7471 AB",
        house_number="12",
        street=None,
        phone="06 1234 5678",
        contact_platform=None,
        identity=None,
        locale=Locale.NL,
        adult=True,
        lives_here=True,
        rules_accepted=True,
        channel=Channel.WEB,
    )
    with world.uow_factory() as uow:
        network = uow.networks.get(world.spec.network.gemeente.id)
        assert network is not None
        result = service.submit_aanmelding(
            uow, network, form, now=world.clock.now(), translators=TRANSLATORS, capabilities={}
        )
        uow.commit()
    world.new_actions()
    assert result.aanmelding is not None
    assert result.aanmelding.state is AanmeldingState.ROUTED
    return result.aanmelding


def stored(world: World, aanmelding: Aanmelding) -> Aanmelding:
    found = world.store.state.aanmeldingen[aanmelding.id]
    return found


def run(world: World, ctx: jobs.JobContext, job: jobs.Job) -> tuple[jobs.JobReport, list[Action]]:
    report = job(ctx)
    return report, world.new_actions()


# -- reminders ----------------------------------------------------------------------------------
def test_the_eigenaar_is_reminded_after_48_hours_once(world: World, ctx: jobs.JobContext) -> None:
    aanmelding = submit(world)
    world.clock.advance(hours=47)
    report, actions = run(world, ctx, jobs.remind_pending)
    assert actions == []
    assert not report.changed

    world.clock.advance(hours=2)
    report, actions = run(world, ctx, jobs.remind_pending)
    expected = job_texts.reminder_eigenaar(
        NL, "Piet Pieters", aanmelding.id, "Buurtpreventie Goor Centrum", 2
    ).plain
    assert said_to(actions, private(world, "anna")) == [expected]
    assert len(actions) == 1
    assert report.counts == {"eigenaar": 1}
    assert stored(world, aanmelding).reminders_sent == 1

    world.clock.advance(hours=1)
    report, actions = run(world, ctx, jobs.remind_pending)
    assert actions == []
    assert not report.changed


def test_after_7_days_the_hoofdcoordinator_is_reminded_once(
    world: World, ctx: jobs.JobContext
) -> None:
    aanmelding = submit(world)
    world.clock.advance(hours=49)
    jobs.remind_pending(ctx)
    world.new_actions()
    world.clock.advance(days=4)  # 6 days, 1 hour
    assert run(world, ctx, jobs.remind_pending)[1] == []

    world.clock.advance(days=1)  # 7 days, 1 hour
    report, actions = run(world, ctx, jobs.remind_pending)
    expected = job_texts.reminder_hoofdcoordinator(
        NL, "Piet Pieters", aanmelding.id, "Buurtpreventie Goor Centrum", 7
    ).plain
    assert said_to(actions, private(world, "hanneke")) == [expected]
    assert said_to(actions, private(world, "anna")) == []
    assert report.counts == {"hoofdcoordinator": 1}
    assert stored(world, aanmelding).reminders_sent == 2

    world.clock.advance(days=3)
    assert run(world, ctx, jobs.remind_pending)[1] == []


def test_a_sign_up_unreminded_for_over_a_week_gets_only_the_late_reminder(
    world: World, ctx: jobs.JobContext
) -> None:
    submit(world)
    world.clock.advance(days=9)  # the scheduler was down all that time
    report, actions = run(world, ctx, jobs.remind_pending)
    assert report.counts == {"hoofdcoordinator": 1}
    assert said_to(actions, private(world, "anna")) == []
    assert len(said_to(actions, private(world, "hanneke"))) == 1
    assert run(world, ctx, jobs.remind_pending)[1] == []


def test_decided_sign_ups_are_not_chased(world: World, ctx: jobs.JobContext) -> None:
    aanmelding = submit(world)
    world.says("anna", None, f"/admit {aanmelding.id}")
    world.new_actions()
    world.clock.advance(days=3)
    assert run(world, ctx, jobs.remind_pending)[1] == []


# -- expired invites ----------------------------------------------------------------------------
def test_an_expired_invite_is_revoked_and_the_eigenaar_told_once(
    world: World, ctx: jobs.JobContext
) -> None:
    aanmelding = submit(world)
    world.says("anna", None, f"/admit {aanmelding.id}")
    world.new_actions()
    [invite] = world.store.state.invites.values()

    world.clock.advance(days=6, hours=23)
    report, actions = run(world, ctx, jobs.expire_invites)
    assert actions == []
    assert not report.changed

    world.clock.advance(hours=1)
    report, actions = run(world, ctx, jobs.expire_invites)
    expected = job_texts.invite_expired(
        NL, "Piet Pieters", aanmelding.id, "Buurtpreventie Goor Centrum"
    ).plain
    assert said_to(actions, private(world, "anna")) == [expected]
    assert report.counts == {"revoked": 1, "told": 1}
    assert world.store.state.invites[invite.token_hash].revoked_at == world.clock.now()
    assert stored(world, aanmelding).state is AanmeldingState.ADMITTED

    report, actions = run(world, ctx, jobs.expire_invites)
    assert actions == []
    assert not report.changed

    # As the message says, admitting again sends a fresh invite.
    world.says("anna", None, f"/admit {aanmelding.id}")
    usable = [i for i in world.store.state.invites.values() if i.usable(world.clock.now())]
    assert len(usable) == 1


# -- a buurt founds its buurtgroep: the waiting list goes to its eigenaar ----------------------
def waiting_sign_up(world: World) -> Aanmelding:
    """A web sign-up from Markelo Buitengebied, which has no buurtgroep (yet)."""
    form = service.SignupForm(
        name="Wim Weiland", postcode="7476 AA", house_number="3", street=None,
        phone="06 8765 4321", contact_platform=None, identity=None, locale=Locale.NL,
        adult=True, lives_here=True, rules_accepted=True, channel=Channel.WEB,
    )  # fmt: skip
    with world.uow_factory() as uow:
        network = uow.networks.get(world.spec.gemeente_id)
        assert network is not None
        result = service.submit_aanmelding(
            uow, network, form, now=world.clock.now(), translators=TRANSLATORS, capabilities={}
        )
        uow.commit()
    world.new_actions()
    assert result.aanmelding is not None
    assert result.aanmelding.state is AanmeldingState.WAITING
    return result.aanmelding


def found_group(world: World, buurt_id: str, eigenaar: str) -> Group:
    """Reload the network file with a new buurtgroep for ``buurt_id``, led by ``eigenaar``."""
    spec = world.spec
    group = Group(
        id=file_group_id(spec.gemeente_id, buurt_id),
        gemeente_id=spec.gemeente_id,
        kind=GroupKind.BUURT,
        chat=ChatRef(Platform.TELEGRAM, "-1001000000099"),
        name="Buurtpreventie Markelo Buitengebied",
        buurt_id=BuurtId(buurt_id),
    )
    owner = Membership(group.id, spec.person_id(eigenaar), GroupRole.EIGENAAR,
                       RoleSource.NETWORK_FILE)  # fmt: skip
    new_spec = replace(
        spec,
        network=replace(spec.network, groups=(*spec.network.groups, group)),
        memberships=(*spec.memberships, owner),
    )
    with world.uow_factory() as uow:
        apply_network(uow, new_spec)
        uow.commit()
    world.spec = new_spec
    return group


def test_a_new_buurtgroep_gets_its_waiting_list_once(world: World, ctx: jobs.JobContext) -> None:
    aanmelding = waiting_sign_up(world)
    report, actions = run(world, ctx, jobs.route_waiting)  # no buurtgroep yet: it waits
    assert actions == []
    assert not report.changed
    assert stored(world, aanmelding).state is AanmeldingState.WAITING

    group = found_group(world, "markelo-buitengebied", eigenaar="daan")
    world.clock.advance(minutes=30)
    report, actions = run(world, ctx, jobs.route_waiting)
    routed = stored(world, aanmelding)
    assert routed.state is AanmeldingState.ROUTED
    assert routed.group_id == group.id
    assert routed.state_changed_at == world.clock.now()
    assert report.counts == {"routed": 1}
    # Exactly what a fresh sign-up's eigenaar gets, privately, with phone and address.
    expected = signup_texts.eigenaar_notice(NL, routed, group.name).plain
    assert said_to(actions, private(world, "daan")) == [expected]
    # The regiegroep hears it once, as a count.
    notice = job_texts.waiting_routed(NL, 1, ["Markelo Buitengebied"]).plain
    assert said_to(actions, world.group("regie").chat) == [notice]
    assert len(actions) == 2

    report, actions = run(world, ctx, jobs.route_waiting)
    assert actions == []
    assert not report.changed
    # From here it is an ordinary routed sign-up: the eigenaar decides, reminders follow.
    world.says("daan", None, f"/admit {aanmelding.id}")
    assert stored(world, aanmelding).state is AanmeldingState.ADMITTED


def test_the_regiegroep_hears_one_count_for_several(world: World, ctx: jobs.JobContext) -> None:
    first, second = waiting_sign_up(world), waiting_sign_up(world)
    found_group(world, "markelo-buitengebied", eigenaar="daan")
    report, actions = run(world, ctx, jobs.route_waiting)
    assert report.counts == {"routed": 2}
    assert len(said_to(actions, private(world, "daan"))) == 2
    notice = job_texts.waiting_routed(NL, 2, ["Markelo Buitengebied"]).plain
    assert said_to(actions, world.group("regie").chat) == [notice]
    assert {stored(world, a).state for a in (first, second)} == {AanmeldingState.ROUTED}


# -- warnings and "112 called" lapse by time, without a job -------------------------------------
def test_warnings_lapse_by_the_clock_without_a_job(world: World) -> None:
    gemeente = world.spec.network.gemeente
    eva = world.person("eva").id
    warning = Warning(
        "w-1",
        gemeente.id,
        eva,
        world.group("goor-centrum").id,
        WarningReason.LANGUAGE,
        "",
        world.person("anna").id,
        world.clock.now(),
        world.clock.now() + timedelta(days=gemeente.settings.warning_expiry_days),
    )
    with world.uow_factory() as uow:
        uow.warnings.add(warning)
        uow.commit()
    before = texts(world.says("eva", None, "/warns"))
    world.clock.advance(days=gemeente.settings.warning_expiry_days)
    after = texts(world.says("eva", None, "/warns"))
    assert before != after  # the active warning is gone from the member's own overview
    assert warning.active(world.clock.now() - timedelta(seconds=1))
    assert not warning.active(world.clock.now())


def test_112_called_lapses_by_the_clock_without_a_job(world: World) -> None:
    report = world.post("daan", "goor-centrum", "Man met koevoet bij nummer 12!")
    [first] = texts(world.reply("eva", "goor-centrum", "/112", report))
    world.clock.advance(minutes=world.spec.network.gemeente.settings.called_112_window_minutes)
    [still] = texts(world.reply("anna", "goor-centrum", "/112", report))
    assert still != first  # within the window: "already called"
    world.clock.advance(minutes=1)
    [again] = texts(world.reply("anna", "goor-centrum", "/112", report))
    assert again.startswith("☎ 112")  # lapsed: a new call is news again


# -- the weekly digest --------------------------------------------------------------------------
def test_the_digest_goes_to_the_regiegroep_once_a_week(world: World, ctx: jobs.JobContext) -> None:
    submit(world, "Piet Pieters")
    submit(world, "Mies Bakker")
    melding = world.post("daan", "goor-centrum", "Verdachte auto")
    world.reply("anna", "goor-centrum", "/escalate", melding, quoted="Verdachte auto",
                author="daan")  # fmt: skip
    with world.uow_factory() as uow:  # Goor West is left with one beheerder
        group = world.group("goor-west").id
        uow.memberships.replace_group(
            group,
            [
                replace(m, role=GroupRole.LID) if m.role is GroupRole.MEDE_BEHEERDER else m
                for m in uow.memberships.of_group(group)
            ],
        )
        uow.commit()
    world.new_actions()
    world.clock.advance(days=1)

    report, actions = run(world, ctx, jobs.weekly_digest)
    [digest] = said_to(actions, world.group("regie").chat)
    assert len(actions) == 1
    assert report.counts == {"sent": 1}
    week = jobs.iso_week(world.clock.now(), "Europe/Amsterdam")
    assert world.store.state.outbox[max(world.store.state.outbox)].key == (
        f"digest:hof-van-twente:{week}"
    )
    lines = digest.splitlines()
    assert NL.gettext("Sign-ups in the past week: {n}").format(n=2) in lines
    assert f"  • {signup_texts.state_name(NL, AanmeldingState.ROUTED)}: 2" in lines
    assert "  • Goor: 1" in lines
    assert "  • Buurtpreventie Goor West: 1" in lines
    assert not any("Goor Centrum" in line for line in lines)

    world.clock.advance(days=2)  # same ISO week
    report, actions = run(world, ctx, jobs.weekly_digest)
    assert actions == []
    assert not report.changed

    world.clock.advance(days=7)  # next week: nothing happened in it
    _, actions = run(world, ctx, jobs.weekly_digest)
    [later] = said_to(actions, world.group("regie").chat)
    assert NL.gettext("Sign-ups in the past week: {n}").format(n=0) in later.splitlines()
    assert NL.gettext("Escalations in the past week: none") in later.splitlines()


def test_iso_week_is_the_gemeentes_week() -> None:
    from datetime import UTC, datetime

    sunday_night_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Monday 00:30 in NL
    assert jobs.iso_week(sunday_night_utc, "Europe/Amsterdam") == "2026-W49"
    assert jobs.iso_week(sunday_night_utc, "UTC") == "2026-W48"


# -- the digest's chart -------------------------------------------------------------------------
class RecordingRenderer(ChartRenderer):
    """Keeps every chart it is asked to draw; draws with ``inner`` or fails when told."""

    def __init__(self, inner: ChartRenderer | None = None, *, fail: bool = False) -> None:
        self.inner = inner
        self.fail = fail
        self.charts: list[WeeklyChart] = []

    def weekly_counts_png(self, chart: WeeklyChart) -> bytes:
        self.charts.append(chart)
        if self.fail:
            raise RuntimeError("no fonts on this machine")
        return self.inner.weekly_counts_png(chart) if self.inner else tiny_png(640, 360)


def chart_ctx(world: World, renderer: ChartRenderer, *, images: bool = True) -> jobs.JobContext:
    platform = world.group("regie").chat.platform
    return jobs.JobContext(
        world.uow_factory,
        TRANSLATORS,
        world.clock,
        {platform: Capabilities(send_images=images)},
        charts=renderer,
    )


def escalated(world: World, slug: str, name: str, at: datetime, **changes: object) -> None:
    """An escalation from group ``slug`` at ``at``, stored as the escalation flow would."""
    group = world.group(slug)
    escalation = Escalation(
        f"e-{name}",
        world.spec.network.gemeente.id,
        group.id,
        MessageRef(group.chat, name),
        "Verdachte auto",
        world.person("anna").id,
        at,
        Scope.DEFAULT,
    )
    with world.uow_factory() as uow:
        uow.escalations.add(replace(escalation, **changes))  # type: ignore[arg-type]
        uow.commit()


def test_the_digest_chart_counts_original_escalations_per_kern_over_8_weeks(
    world: World,
) -> None:
    escalated(world, "goor-centrum", "w48-sunday", datetime(2026, 11, 29, 3, 0, tzinfo=UTC))
    # Sunday 23:59 in Goor is still week 48; 00:30 on Monday is week 49, the digest's own.
    escalated(world, "goor-west", "w48-late", datetime(2026, 11, 29, 22, 59, tzinfo=UTC))
    escalated(world, "delden-stad", "w49", datetime(2026, 11, 29, 23, 30, tzinfo=UTC))
    escalated(world, "delden-stad", "w41", datetime(2026, 10, 5, 10, 0, tzinfo=UTC))
    escalated(world, "markelo-dorp", "w40", datetime(2026, 10, 4, 21, 0, tzinfo=UTC))
    escalated(  # a forward down from the regiegroep is no escalation of its own
        world,
        "regie",
        "forward",
        datetime(2026, 11, 5, 12, 0, tzinfo=UTC),
        forwarded_from="e-w41",
    )
    world.new_actions()
    world.clock.at = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Goor
    renderer = RecordingRenderer(MatplotlibChartRenderer())

    report, actions = run(world, chart_ctx(world, renderer), jobs.weekly_digest)

    [chart] = renderer.charts
    assert chart.week_labels == ("41", "42", "43", "44", "45", "46", "47", "48")
    assert chart.series == (
        ChartSeries("Delden", (1, 0, 0, 0, 0, 0, 0, 0)),
        ChartSeries("Goor", (0, 0, 0, 0, 0, 0, 0, 2)),
    )
    assert chart.title == NL.gettext("Escalations per kern")
    assert (chart.x_label, chart.y_label) == (NL.gettext("Week"), NL.gettext("Escalations"))
    regie = world.group("regie").chat
    assert [type(a) for a in actions] == [SendText, SendImage]
    assert all(a.chat == regie for a in actions)
    image = actions[1]
    assert isinstance(image, SendImage)
    assert image.content.startswith(PNG_SIGNATURE)
    assert image.filename == "hof-van-twente-2026-W49.png"
    weeks = [IsoWeek(2026, n) for n in range(41, 49)]
    expected = job_texts.escalation_chart_caption(NL, gemeente_name="Hof van Twente", weeks=weeks)
    assert image.caption == expected
    assert "2026-W41" in expected.plain
    assert "2026-W48" in expected.plain
    keys = [r.key for r in world.store.state.outbox.values() if r.key.startswith("digest:")]
    assert sorted(keys) == [
        "digest:hof-van-twente:2026-W49",
        "digest:hof-van-twente:2026-W49:chart",
    ]
    assert report.counts == {"sent": 1, "charts": 1}

    world.clock.advance(hours=5)  # the same week: nothing again, not even drawn
    report, actions = run(world, chart_ctx(world, renderer), jobs.weekly_digest)
    assert actions == []
    assert not report.changed
    assert len(renderer.charts) == 1


def test_without_images_the_digest_is_text_alone(world: World) -> None:
    renderer = RecordingRenderer()
    report, actions = run(world, chart_ctx(world, renderer, images=False), jobs.weekly_digest)
    assert [type(a) for a in actions] == [SendText]
    assert renderer.charts == []
    assert report.counts == {"sent": 1, "charts": 0}


def test_a_week_without_escalations_still_gets_its_chart(world: World) -> None:
    renderer = RecordingRenderer()
    _, actions = run(world, chart_ctx(world, renderer), jobs.weekly_digest)
    [chart] = renderer.charts
    assert chart.series == ()
    assert chart.empty
    assert chart.empty_note == NL.gettext("No escalations in these weeks")
    assert [type(a) for a in actions] == [SendText, SendImage]


def test_a_chart_that_cannot_be_drawn_leaves_the_text(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    renderer = RecordingRenderer(fail=True)
    with caplog.at_level(logging.ERROR, logger=jobs.__name__):
        report, actions = run(world, chart_ctx(world, renderer), jobs.weekly_digest)
    [text] = said_to(actions, world.group("regie").chat)
    assert text.startswith(NL.gettext("Weekly overview {gemeente}, {week}").split("{")[0])
    assert [type(a) for a in actions] == [SendText]
    assert report.counts == {"sent": 1, "charts": 0}
    assert "could not be drawn" in caplog.text
    assert "no fonts on this machine" in caplog.text
    # The digest is made once a week: the chart is not tried again that week.
    report, actions = run(world, chart_ctx(world, renderer), jobs.weekly_digest)
    assert actions == []
    assert len(renderer.charts) == 1


# -- retention ----------------------------------------------------------------------------------
def test_retention_deletes_what_is_old_and_keeps_what_is_recent(
    world: World, ctx: jobs.JobContext
) -> None:
    gemeente = world.spec.network.gemeente
    days = gemeente.settings.retention_days
    now = world.clock.now()
    old, recent = now - timedelta(days=days + 1), now - timedelta(days=days - 1)
    group = world.group("goor-centrum")
    anna, eva = world.person("anna").id, world.person("eva").id
    with world.uow_factory() as uow:
        for name, at in (("old", old), ("recent", recent)):
            uow.meldingen.save(Melding(f"m-{name}", gemeente.id, group.id, at))
            uow.escalations.add(
                Escalation(
                    f"e-{name}",
                    gemeente.id,
                    group.id,
                    MessageRef(group.chat, name),
                    "text kept only for a while",
                    anna,
                    at,
                    Scope.DEFAULT,
                    melding_id=f"m-{name}",
                )
            )
            uow.audit.add(AuditEntry(gemeente.id, at, AuditAction.WARNED, anna, eva, group.id))
            uow.warnings.add(
                Warning(
                    f"w-{name}",
                    gemeente.id,
                    eva,
                    group.id,
                    WarningReason.OTHER,
                    "",
                    anna,
                    at - timedelta(days=10),
                    at,
                )
            )
            action = SendText(chat=group.chat, text=RichText.of(name))
            uow.outbox.add(action, key=f"sent-{name}", at=at)
        uow.outbox.add(SendText(chat=private(world, "anna"), text=RichText.of("x")),
                       key="pending-old", at=old)  # fmt: skip
        uow.commit()
    sent = {r.id for r in world.store.state.outbox.values() if r.key.startswith("sent-")}
    with world.uow_factory() as uow:
        for item_id in sent:
            uow.outbox.delivered(item_id, now)
        uow.commit()
    declined = replace(submit(world), state=AanmeldingState.DECLINED, state_changed_at=old)
    kept = replace(submit(world, "Mies"), state=AanmeldingState.JOINED, state_changed_at=recent)
    with world.uow_factory() as uow:
        uow.aanmeldingen.save(declined)
        uow.aanmeldingen.save(kept)
        uow.commit()
    hanneke = world.person("hanneke").id
    with world.uow_factory() as uow:  # one dashboard session that has ended, one that lives
        for name, at in (("ended", now - timedelta(hours=9)), ("live", now - timedelta(hours=1))):
            uow.dashboard.add(
                DashboardAccess(
                    name * 8, AccessKind.SESSION, hanneke, gemeente.id, at, at + SESSION_VALID
                )
            )
        uow.commit()

    report = jobs.retention(ctx)
    assert report.counts == {
        "escalations": 1,
        "meldingen": 1,
        "audit": 1,
        "warnings": 1,
        "aanmeldingen": 1,
        "outbox": 1,
        "dashboard": 1,
    }
    state = world.store.state
    assert list(state.dashboard) == ["live" * 8]
    assert set(state.meldingen) == {"m-recent"}
    assert set(state.escalations) == {"e-recent"}
    assert [a.at for a in state.audit] == [recent]
    assert set(state.warnings) == {"w-recent"}
    assert set(state.aanmeldingen) == {kept.id}
    assert {r.key for r in state.outbox.values()} >= {"sent-recent", "pending-old"}
    assert "sent-old" not in {r.key for r in state.outbox.values()}

    again = jobs.retention(ctx)
    assert not again.changed


def test_retention_never_deletes_a_warning_that_still_counts(
    world: World, ctx: jobs.JobContext
) -> None:
    gemeente = world.spec.network.gemeente
    group = world.group("goor-centrum").id
    long_ago = world.clock.now() - timedelta(days=gemeente.settings.retention_days + 30)
    with world.uow_factory() as uow:
        uow.warnings.add(
            Warning("w-1", gemeente.id, world.person("eva").id, group, WarningReason.OTHER, "",
                    world.person("anna").id, long_ago, world.clock.now() + timedelta(days=1))
        )  # fmt: skip
        uow.commit()
    assert not jobs.retention(ctx).changed
    assert "w-1" in world.store.state.warnings


def test_every_job_has_a_name() -> None:
    assert set(jobs.JOBS) == {
        "expire-invites",
        "remind-pending",
        "route-waiting",
        "police-followup",
        "digest",
        "retention",
    }
