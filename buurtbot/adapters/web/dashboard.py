"""The regie dashboard (``/dashboard``): the gemeente's escalations on a map, in a
timeline and a table, the sign-up queue, the health of the groups and the log.

A thin adapter, like the sign-up form: who may look is decided by
:mod:`buurtbot.core.services.dashboard` on every request, what is shown by
:mod:`buurtbot.core.services.overview`; both run on the application's database thread.
What the web adds:

- **Sign-in.** ``GET /dashboard/login?token=…`` only shows a button; the ``POST`` spends
  the link. Link previews and mail scanners fetch links, and must not spend them.
- **The session** is a random token in a cookie: ``HttpOnly`` (no script reads it),
  ``SameSite=Strict`` (no other site's page sends it), ``Secure`` behind https, scoped to
  ``/dashboard``, and valid for :data:`~buurtbot.core.domain.dashboard.SESSION_VALID`.
- **POSTs** (sign-in, sign-out) carry the form's double-submit CSRF token.
- **Pages** have no scripts at all and a Content-Security-Policy that allows none; every
  text from a chat or a network file is escaped by the templates (autoescape), and the
  CSV neither carries phone numbers nor starts a cell with a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

import jinja2
import phonenumbers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from buurtbot.adapters.web import dashboard_texts as texts
from buurtbot.adapters.web.app import SECURITY_HEADERS as FORM_HEADERS
from buurtbot.adapters.web.app import Blocking, accept_language
from buurtbot.adapters.web.buurtkaart_svg import MapLabels, render_map
from buurtbot.adapters.web.security import CsrfTokens
from buurtbot.adapters.web.timeline_svg import render_timeline
from buurtbot.core.domain.buurtkaart import MapLayout, MapMode, layout
from buurtbot.core.domain.dashboard import SESSION_VALID, well_formed
from buurtbot.core.domain.model import Locale
from buurtbot.core.domain.network import Network
from buurtbot.core.i18n import Translator, Translators
from buurtbot.core.ids import GemeenteId
from buurtbot.core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from buurtbot.core.services import dashboard as access
from buurtbot.core.services import overview
from buurtbot.core.services.dashboard import Refusal, Viewer
from buurtbot.core.texts import signup as signup_texts

log = logging.getLogger(__name__)
T = TypeVar("T")

SESSION_COOKIE = "buurtbot_session"
CSRF_COOKIE = "buurtbot_dashboard_csrf"
CSRF_FIELD = "csrf"
PATH = "/dashboard"
#: The sign-up form's headers (no scripts, no framing, no referrer), never cached.
SECURITY_HEADERS = {**FORM_HEADERS, "Cache-Control": "no-store"}
#: Query values longer than this are not read at all.
MAX_PARAM = 200
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SPACES = re.compile(r"\s+")


@dataclass
class Dashboard:
    """The dashboard's dependencies; :meth:`routes` go into the web server's application."""

    uow_factory: UnitOfWorkFactory
    run_blocking: Blocking
    translators: Translators
    clock: Clock
    csrf: CsrfTokens
    #: Send cookies only over HTTPS (set when the public address is https://).
    secure_cookie: bool = False
    _layouts: dict[GemeenteId, tuple[Network, MapLayout]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("buurtbot.adapters.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route(PATH, self.escalations, methods=["GET"]),
            Route(f"{PATH}/", self.escalations, methods=["GET"]),
            Route(f"{PATH}/login", self.login_page, methods=["GET"]),
            Route(f"{PATH}/login", self.login, methods=["POST"]),
            Route(f"{PATH}/logout", self.logout, methods=["POST"]),
            Route(f"{PATH}/aanmeldingen", self.signups, methods=["GET"]),
            Route(f"{PATH}/groepen", self.groups, methods=["GET"]),
            Route(f"{PATH}/logboek", self.audit, methods=["GET"]),
            Route(f"{PATH}/export.csv", self.export, methods=["GET"]),
        ]

    # -- signing in and out ----------------------------------------------------------------
    async def login_page(self, request: Request) -> Response:
        locale = _guess_locale(request)
        tr = self.translators.get(locale)
        token = _param(request, "token")
        if not well_formed(token):
            return self._refusal(tr, "link-invalid", status=403)
        csrf = self.csrf.issue()
        t = texts.sign_in(tr)
        body = self.templates.get_template("dashboard_login.html").render(
            lang=locale.value,
            chosen=Locale.parse(_param(request, "lang")) is not None,
            heading=t["heading"],
            t=t,
            emergency=texts.page(tr, "")["emergency"],
            token=token,
            csrf=csrf,
            csrf_field=CSRF_FIELD,
        )
        response = HTMLResponse(body, headers=SECURITY_HEADERS)
        self._set_csrf_cookie(response, csrf)
        return response

    async def login(self, request: Request) -> Response:
        values = await _form(request)
        chosen = Locale.parse(values.get("lang"))
        locale = chosen or _guess_locale(request)
        tr = self.translators.get(locale)
        if not self.csrf.valid(values.get(CSRF_FIELD), request.cookies.get(CSRF_COOKIE)):
            return self._refusal(tr, "expired-form", status=403)
        now = self.clock.now()

        def spend() -> tuple[str, Viewer] | Refusal:
            with self.uow_factory() as uow:
                result = access.sign_in(uow, values.get("token"), now)
                uow.commit()  # a refused link is spent too
                return result

        result = await self.run_blocking(spend)
        if isinstance(result, Refusal):
            return self._refusal(tr, result.value, status=403)
        session, viewer = result
        log.info("dashboard: %s signed in", viewer.person.id)
        # A language chosen on the link stays; else the person's own (or the browser's).
        query = f"?{urlencode({'lang': chosen.value})}" if chosen else ""
        response = RedirectResponse(f"{PATH}{query}", 303)
        response.set_cookie(
            SESSION_COOKIE,
            session,
            max_age=int(SESSION_VALID.total_seconds()),
            path=PATH,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookie,
        )
        response.delete_cookie(CSRF_COOKIE, path=PATH)
        return response

    async def logout(self, request: Request) -> Response:
        values = await _form(request)
        locale = Locale.parse(values.get("lang")) or _guess_locale(request)
        tr = self.translators.get(locale)
        if not self.csrf.valid(values.get(CSRF_FIELD), request.cookies.get(CSRF_COOKIE)):
            return self._refusal(tr, "expired-form", status=403)

        def end() -> None:
            with self.uow_factory() as uow:
                access.sign_out(uow, request.cookies.get(SESSION_COOKIE))
                uow.commit()

        await self.run_blocking(end)
        response = self._refusal(tr, "signed-out", status=200)
        response.delete_cookie(SESSION_COOKIE, path=PATH)
        response.delete_cookie(CSRF_COOKIE, path=PATH)
        return response

    # -- pages -----------------------------------------------------------------------------
    async def escalations(self, request: Request) -> Response:
        params = _params(request)

        def load(uow: UnitOfWork, viewer: Viewer, tr: Translator) -> dict[str, Any]:
            network = viewer.network
            today = self.clock.now().astimezone(tr.tz).date()
            f = overview.parse_filter(params, network, today)
            data = overview.escalation_overview(uow, network, f)
            return {"f": f, "data": data}

        return await self._page(request, "dashboard_escalations.html", "overview", load)

    async def signups(self, request: Request) -> Response:
        def load(uow: UnitOfWork, viewer: Viewer, tr: Translator) -> dict[str, Any]:
            return {"data": overview.signup_overview(uow, viewer.network, self.clock.now())}

        return await self._page(request, "dashboard_signups.html", "signups", load)

    async def groups(self, request: Request) -> Response:
        def load(uow: UnitOfWork, viewer: Viewer, tr: Translator) -> dict[str, Any]:
            return {"data": overview.health_overview(uow, viewer.network)}

        return await self._page(request, "dashboard_groups.html", "groups", load)

    async def audit(self, request: Request) -> Response:
        def load(uow: UnitOfWork, viewer: Viewer, tr: Translator) -> dict[str, Any]:
            return {"lines": overview.audit_overview(uow, viewer.network, tr)}

        return await self._page(request, "dashboard_audit.html", "audit", load)

    async def export(self, request: Request) -> Response:
        params = _params(request)
        now = self.clock.now()

        def load(
            uow: UnitOfWork, viewer: Viewer, tr: Translator
        ) -> tuple[overview.DashboardFilter, list[overview.EscalationRow]]:
            f = overview.parse_filter(params, viewer.network, now.astimezone(tr.tz).date())
            return f, list(overview.export_rows(uow, viewer.network, f))

        found = await self._with_viewer(request, load)
        if isinstance(found, Response):
            return found
        (f, rows), viewer, tr = found
        name = f"escalaties-{viewer.network.gemeente.id}-{f.first}-{f.last}.csv"
        headers = {
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{_ascii(name)}"',
        }
        return Response(_csv(tr, rows), media_type="text/csv; charset=utf-8", headers=headers)

    # -- plumbing --------------------------------------------------------------------------
    async def _with_viewer(
        self, request: Request, work: Callable[[UnitOfWork, Viewer, Translator], T]
    ) -> tuple[T, Viewer, Translator] | Response:
        """Run ``work`` for the signed-in viewer in one unit of work, or the refusal page."""
        token = request.cookies.get(SESSION_COOKIE)
        lang = Locale.parse(_param(request, "lang"))
        header = request.headers.get("accept-language", "")
        now = self.clock.now()

        def run() -> tuple[T, Viewer, Translator] | tuple[Refusal, Locale]:
            with self.uow_factory() as uow:
                who = access.viewer(uow, token, now)
                if isinstance(who, Refusal):
                    return who, lang or accept_language(header) or Locale.NL
                gemeente = who.network.gemeente
                locale = lang or who.person.locale or accept_language(header)
                tr = self.translators.get(locale or gemeente.default_locale, gemeente.timezone)
                return work(uow, who, tr), who, tr

        found = await self.run_blocking(run)
        if isinstance(found[0], Refusal):
            refusal, locale = found[0], found[1]
            assert isinstance(locale, Locale)
            response = self._refusal(self.translators.get(locale), refusal.value, status=403)
            if refusal is Refusal.NOT_SIGNED_IN and token:
                response.delete_cookie(SESSION_COOKIE, path=PATH)
            return response
        return found  # type: ignore[return-value]

    async def _page(
        self,
        request: Request,
        template: str,
        section: str,
        load: Callable[[UnitOfWork, Viewer, Translator], dict[str, Any]],
    ) -> Response:
        found = await self._with_viewer(request, load)
        if isinstance(found, Response):
            return found
        values, viewer, tr = found
        network = viewer.network
        t = texts.page(tr, network.gemeente.name)
        csrf = self.csrf.issue()
        context: dict[str, Any] = {
            "t": t,
            "tr": tr,
            "texts": texts,
            "lang": tr.locale.value,
            "section": section,
            "network": network,
            "viewer": viewer,
            "csrf": csrf,
            "csrf_field": CSRF_FIELD,
            "switch": _switch(request, tr.locale),
            "nav": _nav(t, section, tr.locale),
            "state_name": lambda state: signup_texts.state_name(tr, state),
            **values,
        }
        if section == "overview":
            context.update(self._overview_extras(network, tr, t, values["f"], values["data"]))
        body = self.templates.get_template(template).render(**context)
        response = HTMLResponse(body, headers=SECURITY_HEADERS)
        self._set_csrf_cookie(response, csrf)
        return response

    def _overview_extras(
        self,
        network: Network,
        tr: Translator,
        t: Mapping[str, str],
        f: overview.DashboardFilter,
        data: overview.EscalationOverview,
    ) -> dict[str, Any]:
        lang = tr.locale.value

        def link(**changes: str | None) -> str:
            return f"{PATH}?{urlencode({**f.params(**changes), 'lang': lang})}"

        the_map = render_map(
            self._layout(network),
            data.per_buurt,
            href=lambda buurt: link(buurt=buurt, kern=None) + "#tabel",
            selected=f.buurt,
            labels=MapLabels(
                aria_label=t["map_aria"],
                legend_title=t["legend"],
                buurt_title=lambda name, n: texts.buurt_count(tr, name, n),
            ),
        )
        timeline = render_timeline(
            data.timeline,
            aria_label=t["timeline"],
            describe=lambda day, n: f"{day.isoformat()}: {texts.total(tr, n)}",
        )
        periods = [
            (texts.period_label(tr, days), link(**{"from": None, "to": None}) + f"&period={days}")
            for days in overview.PERIODS
        ]
        return {
            "the_map": the_map,
            "timeline": timeline,
            "periods": periods,
            "link": link,
            "export_link": f"{PATH}/export.csv?{urlencode({**f.params(), 'lang': lang})}",
            "categories": [
                (slug, texts.category(tr, slug)) for slug in network.gemeente.settings.categories
            ],
            "schematic": self._layout(network).mode is MapMode.SCHEMATIC,
            "total": texts.total(tr, data.total),
            "busiest": max((n for _, n in data.timeline), default=0),
        }

    def _layout(self, network: Network) -> MapLayout:
        """The map's layout, made once per version of the network (networks are cached
        per revision, so the same object means the same network)."""
        cached = self._layouts.get(network.gemeente.id)
        if cached is None or cached[0] is not network:
            cached = (network, layout(network))
            self._layouts[network.gemeente.id] = cached
        return cached[1]

    def _refusal(self, tr: Translator, which: str, *, status: int) -> HTMLResponse:
        heading, message = texts.refusal(tr, which)
        body = self.templates.get_template("dashboard_message.html").render(
            lang=tr.locale.value,
            heading=heading,
            message=message,
            emergency=texts.page(tr, "")["emergency"],
        )
        return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)

    def _set_csrf_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            max_age=int(SESSION_VALID.total_seconds()),
            path=PATH,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookie,
        )


# -- helpers --------------------------------------------------------------------------------
def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value is not None and len(value) <= MAX_PARAM else None


def _params(request: Request) -> dict[str, str]:
    """The first value of each parameter; over-long values are left out."""
    found: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key not in found and len(value) <= MAX_PARAM:
            found[key] = value
    return found


def _guess_locale(request: Request) -> Locale:
    return (
        Locale.parse(_param(request, "lang"))
        or accept_language(request.headers.get("accept-language", ""))
        or Locale.NL
    )


async def _form(request: Request) -> dict[str, str]:
    try:
        async with request.form(max_files=0, max_fields=10) as data:
            return {
                k: v for k, v in data.multi_items() if isinstance(v, str) and len(v) <= MAX_PARAM
            }
    except HTTPException:
        return {}


def _switch(request: Request, current: Locale) -> list[dict[str, Any]]:
    params = _params(request)
    return [
        {
            "href": f"{request.url.path}?{urlencode({**params, 'lang': loc.value})}",
            "code": loc.value,
            "label": {"nl": "Nederlands", "en": "English"}[loc.value],
            "current": loc is current,
        }
        for loc in Locale
    ]


def _nav(t: Mapping[str, str], section: str, locale: Locale) -> list[dict[str, Any]]:
    query = urlencode({"lang": locale.value})
    return [
        {"href": f"{path}?{query}", "label": t[label], "current": name == section}
        for name, path, label in (
            ("overview", PATH, "nav_overview"),
            ("signups", f"{PATH}/aanmeldingen", "nav_signups"),
            ("groups", f"{PATH}/groepen", "nav_groups"),
            ("audit", f"{PATH}/logboek", "nav_audit"),
        )
    ]


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)


def without_phone_numbers(text: str, replacement: str) -> str:
    """``text`` with every phone number in it (Dutch or international) replaced."""
    out: list[str] = []
    last = 0
    for match in phonenumbers.PhoneNumberMatcher(
        text, "NL", leniency=phonenumbers.Leniency.POSSIBLE
    ):
        out.append(text[last : match.start])
        out.append(replacement)
        last = match.end
    out.append(text[last:])
    return "".join(out)


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text: no formula, however the message began."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv(tr: Translator, rows: list[overview.EscalationRow]) -> str:
    _ = tr.gettext
    removed = _("[phone number removed]")
    buffer = io.StringIO()
    buffer.write("\ufeff")  # spreadsheet programs read UTF-8 only with the mark
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [_("id"), _("date and time"), _("kern"), _("buurt"), _("category"), _("sent to"),
         _("112 called at"), _("message")]
    )  # fmt: skip
    for row in rows:
        writer.writerow(
            [
                row.id,
                _local(row.at, tr),
                _cell(row.kern),
                _cell(row.buurt),
                texts.category(tr, row.category),
                texts.scope(tr, row.scope),
                _local(row.called_112_at, tr) if row.called_112_at else "",
                _cell(_SPACES.sub(" ", without_phone_numbers(row.text, removed)).strip()),
            ]
        )
    return buffer.getvalue()


def _local(moment: datetime | None, tr: Translator) -> str:
    return moment.astimezone(tr.tz).strftime("%Y-%m-%d %H:%M") if moment else ""
