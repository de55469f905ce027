"""The public sign-up form (``/aanmelden``): an HTML page for residents without the bot.

It is a thin adapter: validation, routing and the notices are
:func:`buurtbot.core.services.signup.submit_aanmelding`'s, run on the application's one
database thread. The page itself adds what a public web form needs on top: length caps,
CSRF tokens, a honeypot and a per-address rate limit (see :mod:`.security`).
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from buurtbot.adapters.web import texts
from buurtbot.core.domain.aanmelding import Channel
from buurtbot.core.domain.model import Locale
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.postcode import InvalidPostcode, normalise_postcode
from buurtbot.core.i18n import Translator, Translators
from buurtbot.core.ids import Platform
from buurtbot.core.ports import Capabilities, Clock, UnitOfWorkFactory
from buurtbot.core.services.signup import (
    Problem,
    SignupForm,
    buurten_of_postcode,
    submit_aanmelding,
    validate,
)
from buurtbot.core.text import RichText
from buurtbot.core.texts import rules as rules_texts
from buurtbot.core.texts import signup as signup_texts

from .security import CsrfTokens, SubmissionLimiter

log = logging.getLogger(__name__)
T = TypeVar("T")

CSRF_COOKIE = "buurtbot_csrf"
CSRF_FIELD = "csrf"
HONEYPOT_FIELD = "website"
#: Longest accepted input per field; longer is a field error, never a crash or a cut.
MAX_LENGTHS = {"name": 100, "postcode": 10, "house_number": 10, "street": 100, "phone": 30}
#: Where each problem of the core is shown.
PROBLEM_FIELDS = {
    Problem.MISSING_NAME: "name",
    Problem.BAD_POSTCODE: "postcode",
    Problem.BAD_HOUSE_NUMBER: "house_number",
    Problem.STREET_REQUIRED: "street",
    Problem.NOT_ADULT: "adult",
    Problem.NOT_LOCAL: "lives_here",
    Problem.RULES_NOT_ACCEPTED: "rules",
    Problem.NO_CONTACT: "phone",
    Problem.BAD_PHONE: "phone",
}
CONTACTS = {"phone": None, "telegram": Platform.TELEGRAM, "signal": Platform.SIGNAL}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class Blocking(Protocol):
    """Runs storage work on the application's database thread."""

    def __call__(self, fn: Callable[[], T], /) -> Awaitable[T]: ...


@dataclass
class WebForm:
    """The dependencies of the form; :meth:`asgi` makes the Starlette application."""

    uow_factory: UnitOfWorkFactory
    run_blocking: Blocking
    wake: Callable[[], None]
    translators: Translators
    clock: Clock
    capabilities: Mapping[Platform, Capabilities] = field(default_factory=dict)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    limiter: SubmissionLimiter = field(default_factory=lambda: SubmissionLimiter(10, 600))
    token_max_age: timedelta = timedelta(hours=2)
    #: Send the CSRF cookie only over HTTPS (set behind a TLS proxy).
    secure_cookie: bool = False
    #: More routes served next to the form (the regie dashboard's).
    extra_routes: list[BaseRoute] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.csrf = CsrfTokens(self.secret, self.clock.now, max_age=self.token_max_age)
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("buurtbot.adapters.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self.home, methods=["GET"]),
                Route("/healthz", self.healthz, methods=["GET"]),
                Route("/aanmelden", self.show_form, methods=["GET"]),
                Route("/aanmelden", self.submit, methods=["POST"]),
                Route("/aanmelden/bedankt", self.thanks, methods=["GET"]),
                *self.extra_routes,
            ],
        )

    # -- routes ---------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/aanmelden{query}", status_code=303)

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def show_form(self, request: Request) -> Response:
        gemeente, default = await self.run_blocking(self._gemeente)
        locale = choose_locale(request, default)
        return self._form_page(request, locale, gemeente, values={"locale": locale.value})

    async def thanks(self, request: Request) -> Response:
        gemeente, default = await self.run_blocking(self._gemeente)
        locale = choose_locale(request, default)
        return self._message_page(request, locale, gemeente, "thanks", status=200)

    async def submit(self, request: Request) -> Response:
        gemeente, default = await self.run_blocking(self._gemeente)
        client = request.client.host if request.client else "unknown"
        allowed = self.limiter.allow(client)
        try:
            async with request.form(max_files=0, max_fields=40) as data:
                values = _text_values(data)
        except HTTPException as exc:  # malformed or oversized bodies: Starlette's own 400
            return PlainTextResponse(exc.detail, status_code=exc.status_code)
        # The page answers in the language the form was filled in, even when refusing.
        locale = Locale.parse(values.get("lang")) or choose_locale(request, default)
        if not allowed:
            return self._message_page(request, locale, gemeente, "too_many", status=429)
        if not self.csrf.valid(values.get(CSRF_FIELD), request.cookies.get(CSRF_COOKIE)):
            return self._message_page(request, locale, gemeente, "forbidden", status=403)
        if values.get(HONEYPOT_FIELD, "").strip():
            log.info("sign-up form: honeypot filled, nothing stored")
            return self._to_thanks(locale)
        tr = self.translators.get(locale)
        errors = _field_errors(tr, values)
        form = _signup_form(values, locale)
        outcome = await self.run_blocking(lambda: self._store(form, tr, check_only=bool(errors)))
        for name, message in outcome.items():
            errors.setdefault(name, message)
        if errors:
            return self._form_page(request, locale, gemeente, values=values, errors=errors)
        self.wake()
        return self._to_thanks(locale)

    # -- storage (on the database thread) ---------------------------------------------------
    def _gemeente(self) -> tuple[str | None, Locale]:
        """The gemeente's name and language when one is served, else neutral defaults."""
        with self.uow_factory() as uow:
            networks = uow.networks.all()
        if len(networks) == 1:
            return networks[0].gemeente.name, networks[0].gemeente.default_locale
        return None, Locale.NL

    def _store(self, form: SignupForm, tr: Translator, *, check_only: bool) -> dict[str, str]:
        """Submit ``form`` (or only validate it); the field errors, empty when stored."""
        with self.uow_factory() as uow:
            network = _network_for(uow.networks.all(), form.postcode)
            if network is None:
                return {"postcode": texts.outside_area(tr)}
            if check_only:
                problems = validate(network, form)
            else:
                result = submit_aanmelding(
                    uow,
                    network,
                    form,
                    now=self.clock.now(),
                    translators=self.translators,
                    capabilities=self.capabilities,
                )
                problems = result.problems
                if result.ok:
                    uow.commit()
        errors: dict[str, str] = {}
        for problem in problems:
            errors.setdefault(PROBLEM_FIELDS[problem], signup_texts.problem(tr, problem.value))
        return errors

    # -- pages ----------------------------------------------------------------------------
    def _form_page(
        self,
        request: Request,
        locale: Locale,
        gemeente: str | None,
        *,
        values: Mapping[str, str],
        errors: Mapping[str, str] | None = None,
    ) -> Response:
        tr = self.translators.get(locale)
        token = self.csrf.issue()
        body = self.templates.get_template("form.html").render(
            t=texts.page(tr, gemeente),
            lang=locale.value,
            switch=_switch_links("/aanmelden", locale),
            rules=rich_to_html(rules_texts.house_rules(tr, gemeente)),
            values={k: v for k, v in values.items() if k not in (CSRF_FIELD, HONEYPOT_FIELD)},
            errors=errors or {},
            csrf=token,
            csrf_field=CSRF_FIELD,
            honeypot=HONEYPOT_FIELD,
            max=MAX_LENGTHS,
        )
        response = HTMLResponse(body, status_code=400 if errors else 200, headers=_headers())
        response.set_cookie(
            CSRF_COOKIE,
            token,
            max_age=int(self.token_max_age.total_seconds()),
            path="/aanmelden",
            httponly=True,
            samesite="strict",
            secure=self.secure_cookie,
        )
        return response

    def _message_page(
        self, request: Request, locale: Locale, gemeente: str | None, which: str, *, status: int
    ) -> Response:
        t = texts.page(self.translators.get(locale), gemeente)
        body = self.templates.get_template("message.html").render(
            t=t,
            lang=locale.value,
            switch=_switch_links(request.url.path, locale),
            heading=t[f"{which}_title"],
            message=t[f"{which}_body"],
            back=f"/aanmelden?{urlencode({'lang': locale.value})}",
        )
        return HTMLResponse(body, status_code=status, headers=_headers())

    def _to_thanks(self, locale: Locale) -> Response:
        query = urlencode({"lang": locale.value})
        return RedirectResponse(f"/aanmelden/bedankt?{query}", status_code=303)


def create_web_app(form: WebForm) -> Starlette:
    return form.asgi()


# -- helpers --------------------------------------------------------------------------------
def choose_locale(request: Request, default: Locale) -> Locale:
    """``?lang=`` first, then the browser's Accept-Language, then the gemeente's language."""
    chosen = Locale.parse(request.query_params.get("lang"))
    if chosen is not None:
        return chosen
    return accept_language(request.headers.get("accept-language", "")) or default


def accept_language(header: str) -> Locale | None:
    """The best of our locales in an Accept-Language header (``en-GB,en;q=0.8,nl;q=0.5``)."""
    ranked: list[tuple[float, int, Locale]] = []
    for position, item in enumerate(header[:500].split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        locale = Locale.parse(tag)
        if locale is not None and quality > 0:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else None


def rich_to_html(text: RichText) -> Markup:
    """The core's rich text as escaped HTML: bold spans ``<strong>``, newlines ``<br>``."""
    parts: list[str] = []
    for span in text.spans:
        html = str(escape(span.text)).replace("\n", "<br>\n")
        if span.code:
            html = f"<code>{html}</code>"
        if span.italic:
            html = f"<em>{html}</em>"
        if span.bold:
            html = f"<strong>{html}</strong>"
        parts.append(html)
    return Markup("".join(parts))  # noqa: S704 - every span was escaped above


def _headers() -> dict[str, str]:
    return {**SECURITY_HEADERS, "Cache-Control": "no-store"}


def _switch_links(path: str, current: Locale) -> list[dict[str, Any]]:
    return [
        {"href": f"{path}?{urlencode({'lang': loc.value})}", "code": loc.value,
         "label": {"nl": "Nederlands", "en": "English"}[loc.value], "current": loc is current}
        for loc in Locale
    ]  # fmt: skip


def _text_values(data: FormData) -> dict[str, str]:
    """The form's text fields (the first of each name); a file instead of text counts as empty."""
    values: dict[str, str] = {}
    for key, value in data.multi_items():
        if key not in values:
            values[key] = value if isinstance(value, str) else ""
    return values


def _field_errors(tr: Translator, values: Mapping[str, str]) -> dict[str, str]:
    """What the core cannot judge: sizes and characters no database or eigenaar wants."""
    errors: dict[str, str] = {}
    for name, limit in MAX_LENGTHS.items():
        value = values.get(name, "")
        if len(value) > limit:
            errors[name] = texts.too_long(tr, limit)
        elif any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in value):
            errors[name] = texts.bad_characters(tr)
    return errors


def _signup_form(values: Mapping[str, str], page_locale: Locale) -> SignupForm:
    contact = values.get("contact", "phone")
    phone = values.get("phone", "").strip()
    return SignupForm(
        name=values.get("name", "")[: MAX_LENGTHS["name"]],
        postcode=values.get("postcode", "")[: MAX_LENGTHS["postcode"]],
        house_number=values.get("house_number", "")[: MAX_LENGTHS["house_number"]],
        street=values.get("street", "").strip()[: MAX_LENGTHS["street"]] or None,
        phone=phone[: MAX_LENGTHS["phone"]] or None,
        contact_platform=CONTACTS.get(contact),
        identity=None,
        locale=Locale.parse(values.get("locale")) or page_locale,
        adult=values.get("adult") == "yes",
        lives_here=values.get("lives_here") == "yes",
        rules_accepted=values.get("rules") == "yes",
        channel=Channel.WEB,
    )


def _network_for(networks: list[Network], postcode: str) -> Network | None:
    """The gemeente whose buurten hold ``postcode``; the only one when just one is served."""
    try:
        normal = normalise_postcode(postcode)
    except InvalidPostcode:
        normal = None
    if normal is not None:
        for network in networks:
            if buurten_of_postcode(network, normal):
                return network
    if len(networks) == 1:
        return networks[0]
    if normal is None and networks:
        return networks[0]  # only to report the form's problems: nothing is stored
    return None
