"""The sign-up web form over HTTP (Starlette's TestClient) on a real SQLite database.

The network is the example Hof van Twente; submissions go through the real
``submit_aanmelding`` on a one-thread executor, as in the application.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from buurtbot.adapters.sql import SqlUnitOfWork, make_engine, make_session_factory
from buurtbot.adapters.web import WebForm, WebServer
from buurtbot.adapters.web.app import CSRF_COOKIE
from buurtbot.adapters.web.security import SubmissionLimiter
from buurtbot.bootstrap import prepare_database
from buurtbot.core.actions import SendText
from buurtbot.core.domain.aanmelding import Aanmelding, AanmeldingState
from buurtbot.core.i18n import Translators
from buurtbot.core.ids import GemeenteId, Platform
from buurtbot.core.ports import OutboxItem
from buurtbot.locales import load_all
from tests.world import FixedClock

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hof-van-twente.toml"
GEMEENTE = GemeenteId("hof-van-twente")
T = TypeVar("T")

VALID = {
    "name": "Ria Bakker",
    "postcode": "7471 AB",
    "house_number": "12a",
    "street": "",
    "contact": "phone",
    "phone": "06 1234 5678",
    "adult": "yes",
    "lives_here": "yes",
    "rules": "yes",
    "locale": "nl",
    "website": "",
}


@dataclass
class Site:
    client: TestClient
    clock: FixedClock
    uow: Callable[[], SqlUnitOfWork]
    woken: list[bool]

    def token(self, lang: str = "nl") -> str:
        page = self.client.get(f"/aanmelden?lang={lang}")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        return found.group(1)

    def post(self, fields: dict[str, str], *, lang: str = "nl") -> str:
        """Post ``fields`` with a fresh, genuine token; the final page's text."""
        data = {"csrf": self.token(lang), "lang": lang, **fields}
        response = self.client.post("/aanmelden", data=data)
        self.last_status = response.status_code
        return response.text

    def aanmeldingen(self) -> list[Aanmelding]:
        with self.uow() as uow:
            return uow.aanmeldingen.in_state(GEMEENTE, frozenset(AanmeldingState))

    def outbox(self) -> list[OutboxItem]:
        with self.uow() as uow:
            items = uow.outbox.due(self.clock.now() + timedelta(days=1), 100)
            uow.rollback()
            return items


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    prepare_database(url, [EXAMPLE])
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    executor = ThreadPoolExecutor(max_workers=1)
    clock = FixedClock(datetime(2026, 11, 29, 10, 0).astimezone())
    woken: list[bool] = []

    def run_blocking(fn: Callable[[], T]) -> Awaitable[T]:
        return asyncio.get_running_loop().run_in_executor(executor, fn)

    form = WebForm(
        uow_factory=lambda: SqlUnitOfWork(sessions),
        run_blocking=run_blocking,
        wake=lambda: woken.append(True),
        translators=Translators(load_all()),
        clock=clock,
        limiter=SubmissionLimiter(4, 600),
    )
    with TestClient(form.asgi(), base_url="http://testserver") as client:
        yield Site(client, clock, lambda: SqlUnitOfWork(sessions), woken)
    executor.shutdown()
    engine.dispose()


def error_of(page: str, field: str) -> str | None:
    """The error shown for ``field``, checked to be linked from the input by aria-describedby."""
    found = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    if found is None:
        return None
    tag = re.search(rf'<input[^>]*id="{field}"[^>]*>', page)
    assert tag is not None
    assert f"{field}-error" in tag.group(0)
    assert 'aria-invalid="true"' in tag.group(0)
    return found.group(1)


# -- rendering --------------------------------------------------------------------------------
def test_the_form_follows_accept_language_and_the_lang_switch(site: Site) -> None:
    dutch = site.client.get("/aanmelden", headers={"Accept-Language": "nl-NL,nl;q=0.9"})
    assert dutch.status_code == 200
    assert '<html lang="nl">' in dutch.text
    assert "Spelregels van buurtpreventie Hof van Twente" in dutch.text
    english = site.client.get("/aanmelden", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in english.text
    assert "House rules of buurtpreventie Hof van Twente" in english.text
    assert "Your name" in english.text
    switched = site.client.get("/aanmelden?lang=en", headers={"Accept-Language": "nl"})
    assert '<html lang="en">' in switched.text
    assert 'href="/aanmelden?lang=nl"' in switched.text
    # Without a preference, the gemeente's language.
    assert '<html lang="nl">' in site.client.get("/aanmelden").text


def test_root_redirects_and_healthz_answers(site: Site) -> None:
    root = site.client.get("/?lang=en", follow_redirects=False)
    assert root.status_code == 303
    assert root.headers["location"] == "/aanmelden?lang=en"
    health = site.client.get("/healthz")
    assert (health.status_code, health.text) == (200, "ok")


def test_every_input_has_a_label(site: Site) -> None:
    page = site.client.get("/aanmelden").text
    ids = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*id="([^"]+)"', page)
    assert {"name", "postcode", "house_number", "street", "phone", "adult", "rules"} <= set(ids)
    for element_id in ids:
        assert f'<label for="{element_id}">' in page, element_id


# -- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "name_error", "adult_error"),
    [
        ("nl", "Vul je naam in.", "Deelnemers zijn minimaal 18 jaar."),
        ("en", "Please give your name.", "Members must be 18 or older."),
    ],
)
def test_an_empty_form_shows_each_problem_at_its_field(
    site: Site, lang: str, name_error: str, adult_error: str
) -> None:
    page = site.post({}, lang=lang)
    assert site.last_status == 400
    assert error_of(page, "name") == name_error
    assert error_of(page, "adult") == adult_error
    for field in ("postcode", "house_number", "lives_here", "rules", "phone"):
        assert error_of(page, field), field
    assert error_of(page, "street") is None
    assert site.aanmeldingen() == []


def test_a_shared_postcode_asks_for_the_street(site: Site) -> None:
    page = site.post(VALID | {"postcode": "7472 AB"}, lang="en")
    assert "several neighbourhoods" in (error_of(page, "street") or "")
    assert 'value="7472 AB"' in page  # what was typed stays in the form


# -- abuse ------------------------------------------------------------------------------------
def test_missing_forged_or_expired_tokens_are_refused(site: Site) -> None:
    no_token = site.client.post("/aanmelden", data=VALID)
    assert no_token.status_code == 403
    assert "Dit formulier is verlopen" in no_token.text or "expired" in no_token.text

    token = site.token()
    body, _, signature = token.partition(".")
    forged = f"{body}.{'0' * len(signature)}"
    site.client.cookies.set(CSRF_COOKIE, forged, path="/aanmelden")
    assert site.client.post("/aanmelden", data=VALID | {"csrf": forged}).status_code == 403

    token = site.token()
    site.client.cookies.clear()
    assert site.client.post("/aanmelden", data=VALID | {"csrf": token}).status_code == 403

    token = site.token()
    site.clock.advance(hours=2, minutes=1)
    assert site.client.post("/aanmelden", data=VALID | {"csrf": token}).status_code == 403
    assert site.aanmeldingen() == []


def test_a_filled_honeypot_thanks_but_stores_nothing(site: Site) -> None:
    page = site.post(VALID | {"website": "http://spam.example"})
    assert site.last_status == 200
    assert "<h1>" in page
    assert 'name="csrf"' not in page
    assert site.aanmeldingen() == []
    assert site.outbox() == []


def test_too_many_posts_from_one_address_get_429(site: Site) -> None:
    for _ in range(4):
        site.post({}, lang="en")
        assert site.last_status == 400
    page = site.post(VALID, lang="en")
    assert site.last_status == 429
    assert "Too many sign-ups" in page
    assert site.aanmeldingen() == []


def test_oversized_fields_are_field_errors(site: Site) -> None:
    page = site.post(VALID | {"name": "x" * 101, "street": "s" * 5000, "phone": "0" * 31})
    assert site.last_status == 400
    assert "100" in (error_of(page, "name") or "")
    assert "100" in (error_of(page, "street") or "")
    assert error_of(page, "phone")
    assert site.aanmeldingen() == []


def test_control_characters_are_refused(site: Site) -> None:
    page = site.post(VALID | {"name": "Ria\x00Bakker"}, lang="en")
    assert site.last_status == 400
    assert "characters" in (error_of(page, "name") or "")


def test_html_and_odd_unicode_stay_text(site: Site) -> None:
    evil = '<script>alert(1)</script> "Ri\u0301a" \u202e🚓'
    page = site.post(VALID | {"name": evil, "postcode": "nope"})
    assert site.last_status == 400
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    site.post(VALID | {"name": evil})
    assert site.last_status == 200
    [stored] = site.aanmeldingen()
    assert stored.name == " ".join(evil.split())


# -- the real thing ---------------------------------------------------------------------------
def test_a_valid_sign_up_is_routed_and_the_regiegroep_told_without_the_phone(site: Site) -> None:
    page = site.post(VALID)
    assert site.last_status == 200
    assert '<html lang="nl">' in page
    [stored] = site.aanmeldingen()
    assert stored.buurt_id == "goor-centrum"
    assert stored.state is AanmeldingState.ROUTED
    assert stored.phone == "+31612345678"
    assert stored.channel.value == "web"
    assert site.woken == [True]
    sent = {item.key: item.action for item in site.outbox()}
    texts = [a.text.plain for a in sent.values() if isinstance(a, SendText)]
    regie = [t for t in texts if t.startswith("📝")]
    assert len(regie) == 1
    assert stored.id in regie[0]
    assert "Ria Bakker" in regie[0]
    assert "612345678" not in regie[0]
    assert "7471" not in regie[0]
    eigenaar = [t for t in texts if "+31612345678" in t]
    assert len(eigenaar) == 1  # the phone goes privately to the eigenaar only
    assert all(key.startswith(f"aanmelding:{stored.id}") for key in sent)


def test_telegram_contact_needs_no_phone(site: Site) -> None:
    site.post(VALID | {"contact": "telegram", "phone": "", "postcode": "7491 AB"}, lang="en")
    assert site.last_status == 200
    [stored] = site.aanmeldingen()
    assert stored.contact_platform is Platform.TELEGRAM
    assert stored.phone is None
    assert stored.buurt_id == "delden-stad"


async def test_a_taken_port_is_logged_and_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = WebServer(Starlette(), "127.0.0.1", taken.getsockname()[1])
        assert server.start() is False
    assert "cannot listen" in caplog.text
    await server.stop()  # nothing started, nothing to stop
