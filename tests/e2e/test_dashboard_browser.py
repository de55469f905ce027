"""The regie dashboard in a real browser against the real ``buurtbot run``.

Hanneke (hoofdcoordinator) asks for a link on the console, opens it in headless Chromium
(Playwright), signs in, reads the map of a seeded data set, filters, clicks a buurt,
downloads the CSV and signs out. A spent link, an expired one and a person without a
regie role are refused. Screenshots of the map and the table, at desktop and phone width,
go to ``test-artifacts/``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from buurtbot.adapters.sql import SqlUnitOfWork, make_engine, make_session_factory
from buurtbot.bootstrap import prepare_database
from buurtbot.core.ids import PersonId
from buurtbot.core.services.dashboard import issue_link
from tests.dashboard_site import COUNTS_30_DAYS, EXAMPLE, GEMEENTE, seed
from tests.e2e.test_web_browser import ARTIFACTS, Bot, _require_browser
from tests.e2e.test_web_browser import browser as browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Bot]:
    """``buurtbot run`` on a database holding the example network and the seeded escalations."""
    _require_browser()
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    prepare_database(url, [EXAMPLE])
    engine = make_engine(url)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        [network] = uow.networks.all()
        seed(uow, network, now=datetime.now(UTC))
        uow.commit()
    engine.dispose()
    running = Bot(tmp_path)
    try:
        running.wait_until_serving()
        yield running
    finally:
        running.stop()


def link_for(bot: Bot, handle: str) -> str:
    """``handle`` sends /dashboard privately on the console; the link the bot answers with."""
    bot.type(f"/as {handle}")
    bot.type("/dashboard")
    return bot.expect(r"(http://127\.0\.0\.1:\d+/dashboard/login\?token=[A-Za-z0-9_-]{43})").group(
        1
    )


def sign_in(page: Page, link: str) -> None:
    page.goto(link)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r".*/dashboard(\?lang=\w\w)?$"))


def map_counts(page: Page) -> dict[str, int]:
    found: dict[str, int] = {}
    for shape in page.query_selector_all("svg.buurtkaart [data-buurt]"):
        buurt, count = shape.get_attribute("data-buurt"), shape.get_attribute("data-count")
        assert buurt is not None
        assert count is not None
        found[buurt] = int(count)
    return found


def rows(page: Page) -> int:
    return len(page.query_selector_all("#escalations tbody tr"))


def test_sign_in_read_filter_click_export_and_sign_out(seeded: Bot, browser: Browser) -> None:
    link = link_for(seeded, "hanneke")
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True, locale="nl-NL")
    page = context.new_page()
    sign_in(page, link)
    assert page.get_attribute("html", "lang") == "nl"
    counts = map_counts(page)
    assert {b: n for b, n in counts.items() if n} == COUNTS_30_DAYS
    assert rows(page) == 7
    assert "&lt;script&gt;" not in page.inner_text("#escalations")  # shown as text, once
    assert "<script>alert(1)</script>" in page.inner_text("#escalations")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#kaart").screenshot(path=str(ARTIFACTS / "dashboard-map-desktop.png"))
    page.screenshot(path=str(ARTIFACTS / "dashboard-desktop.png"), full_page=True)

    page.select_option("#category", "inbraak")
    page.click("#apply")
    page.wait_for_url(re.compile(r".*category=inbraak.*"))
    assert rows(page) == 2
    assert {b: n for b, n in map_counts(page).items() if n} == {"goor-centrum": 1, "goor-west": 1}

    page.goto(page.url.split("?")[0] + "?lang=nl")
    page.click('svg.buurtkaart a:has([data-buurt="goor-west"])')
    page.wait_for_url(re.compile(r".*buurt=goor-west.*"))
    assert rows(page) == 2
    assert "Ladder tegen de gevel" in page.inner_text("#escalations")
    page.locator("#tabel").screenshot(path=str(ARTIFACTS / "dashboard-table-desktop.png"))

    with page.expect_download() as download_info:
        page.click("#export")
    content = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    exported = list(csv.reader(io.StringIO(content)))
    assert len(exported) == 1 + 2
    assert all(row[3] == "Goor West" for row in exported[1:])

    page.click("#sign-out")
    assert "Je bent uitgelogd" in page.inner_text("h1")
    page.goto(page.url.split("/dashboard")[0] + "/dashboard")
    assert "Log eerst in" in page.inner_text("h1")
    context.close()


def test_the_dashboard_on_a_phone(seeded: Bot, browser: Browser) -> None:
    link = link_for(seeded, "ria")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, link + "&lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert {b: n for b, n in map_counts(page).items() if n} == COUNTS_30_DAYS
    # Nothing sticks out sideways: the table scrolls inside its box, the map shrinks.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1
    box = page.locator("svg.buurtkaart").bounding_box()
    assert box is not None
    assert box["width"] <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#kaart").screenshot(path=str(ARTIFACTS / "dashboard-map-phone.png"))
    page.locator("#tabel").screenshot(path=str(ARTIFACTS / "dashboard-table-phone.png"))
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    context.close()


def test_spent_and_expired_links_and_other_people_are_refused(
    seeded: Bot, browser: Browser, tmp_path: Path
) -> None:
    link = link_for(seeded, "mirjam")
    page = browser.new_page(viewport=DESKTOP, locale="nl-NL")
    sign_in(page, link)
    other = browser.new_page(viewport=DESKTOP, locale="nl-NL")  # someone who saw the link: too late
    other.goto(link)
    other.click("#sign-in")
    assert "Deze inloglink werkt niet" in other.inner_text("h1")

    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        stale = issue_link(
            uow,
            PersonId(f"{GEMEENTE}:hanneke"),
            GEMEENTE,
            datetime.now(UTC) - timedelta(minutes=11),
        )
        eigenaar = issue_link(uow, PersonId(f"{GEMEENTE}:anna"), GEMEENTE, datetime.now(UTC))
        uow.commit()
    engine.dispose()
    base = link.split("/dashboard")[0]
    other.goto(f"{base}/dashboard/login?token={stale}")
    other.click("#sign-in")
    assert "Deze inloglink werkt niet" in other.inner_text("h1")
    other.goto(f"{base}/dashboard/login?token={eigenaar}&lang=en")
    other.click("#sign-in")
    assert "No access" in other.inner_text("h1")

    seeded.type("/as anna")
    seeded.type("/dashboard")
    seeded.expect(r"/dashboard")  # the refusal names the command
    assert len(re.findall(r"/dashboard/login\?token=", "".join(seeded.output))) == 1
