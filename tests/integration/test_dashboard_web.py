"""The regie dashboard over HTTP (Starlette's TestClient) on a real SQLite database.

Sign-in with one-time links, the session cookie, the pages and their filters, the CSV and
what hostile input does to them. The browser tests (tests/e2e) drive the same pages."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from buurtbot.adapters.web.dashboard import SESSION_COOKIE
from buurtbot.core.domain.dashboard import access_hash
from buurtbot.core.ids import PersonId
from tests.dashboard_site import (
    COUNTS_30_DAYS,
    GEMEENTE,
    Site,
    csrf_of,
    dashboard_site,
)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with dashboard_site(tmp_path) as s:
        yield s


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(site.app, base_url="http://testserver") as c:
        yield c


def sign_in(client: TestClient, site: Site, handle: str = "hanneke", lang: str = "nl") -> None:
    page = client.get(site.link(handle) + f"&lang={lang}")
    assert page.status_code == 200, page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    done = client.post(
        "/dashboard/login",
        data={"token": token.group(1), "csrf": csrf_of(page.text), "lang": lang},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/dashboard?lang={lang}"  # chosen on the link


def counts_on_map(page: str) -> dict[str, int]:
    return {
        buurt: int(n) for buurt, n in re.findall(r'data-buurt="([^"]+)" data-count="(\d+)"', page)
    }


def table_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)">', page)


# -- signing in -------------------------------------------------------------------------------
def test_opening_the_link_does_not_spend_it_pressing_the_button_does(
    client: TestClient, site: Site
) -> None:
    link = site.link("hanneke")
    for _ in range(3):  # a link preview, a mail scanner, the person
        shown = client.get(link)
        assert shown.status_code == 200
        assert 'id="sign-in"' in shown.text
    token = re.search(r'name="token" value="([^"]+)"', shown.text)
    assert token is not None
    done = client.post(
        "/dashboard/login",
        data={"token": token.group(1), "csrf": csrf_of(shown.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    cookie = next(
        h for h in done.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age", "samesite"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "path=/dashboard" in cookie.lower()
    assert "max-age=28800" in cookie.lower()
    assert "secure" not in attributes  # plain http here; see the https test
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Hanneke" in page.text
    # The same link again: spent.
    again = client.post(
        "/dashboard/login",
        data={"token": token.group(1), "csrf": csrf_of(client.get(link).text)},
        follow_redirects=False,
    )
    assert again.status_code == 403
    assert "Deze inloglink werkt niet" in again.text


def test_behind_https_the_session_cookie_is_secure(tmp_path: Path) -> None:
    with (
        dashboard_site(tmp_path, secure=True) as site,
        TestClient(site.app, base_url="https://testserver") as client,
    ):
        sign_in(client, site)
        cookie = client.cookies.jar._cookies["testserver.local"]["/dashboard"][SESSION_COOKIE]
        assert cookie.secure
        assert client.get("/dashboard").status_code == 200


def test_an_expired_link_a_forged_one_and_a_missing_csrf_are_refused(
    client: TestClient, site: Site
) -> None:
    link = site.link("ria")
    page = client.get(link)
    site.clock.advance(minutes=11)
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    late = client.post(
        "/dashboard/login", data={"token": token.group(1), "csrf": csrf_of(page.text)}
    )
    assert late.status_code == 403
    assert client.get("/dashboard/login?token=" + "A" * 43).status_code == 200  # looks fine...
    forged = client.post(
        "/dashboard/login",
        data={"token": "A" * 43, "csrf": csrf_of(client.get(site.link("ria")).text)},
    )
    assert forged.status_code == 403  # ...but is no link
    assert client.get("/dashboard/login?token=short").status_code == 403
    no_csrf = client.post("/dashboard/login", data={"token": token.group(1)})
    assert no_csrf.status_code == 403
    assert client.get("/dashboard").status_code == 403


def test_a_person_without_a_regie_role_is_refused(client: TestClient, site: Site) -> None:
    page = client.get(site.link("anna") + "&lang=en")  # an eigenaar, not regie
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    refused = client.post(
        "/dashboard/login", data={"token": token.group(1), "csrf": csrf_of(page.text), "lang": "en"}
    )
    assert refused.status_code == 403
    assert "No access" in refused.text
    assert SESSION_COOKIE not in client.cookies


def test_losing_the_role_loses_the_dashboard_on_the_next_request(
    client: TestClient, site: Site
) -> None:
    sign_in(client, site, "ria", lang="en")
    assert client.get("/dashboard?lang=en").status_code == 200
    with site.uow() as uow:
        uow.persons.set_gemeente_roles(GEMEENTE, PersonId(f"{GEMEENTE}:ria"), frozenset())
        uow.commit()
    for path in ("/dashboard", "/dashboard/aanmeldingen", "/dashboard/export.csv"):
        refused = client.get(path + "?lang=en")
        assert refused.status_code == 403, path
        assert "No access" in refused.text


def test_signing_out_ends_the_session(client: TestClient, site: Site) -> None:
    sign_in(client, site)
    page = client.get("/dashboard")
    session = client.cookies[SESSION_COOKIE]
    out = client.post("/dashboard/logout", data={"csrf": csrf_of(page.text), "lang": "en"})
    assert out.status_code == 200
    assert "You are signed out" in out.text
    assert SESSION_COOKIE not in client.cookies
    client.cookies.set(SESSION_COOKIE, session, path="/dashboard")  # kept by an attacker
    assert client.get("/dashboard").status_code == 403
    with site.uow() as uow:
        assert uow.dashboard.session(access_hash(session), site.clock.now()) is None


def test_the_session_expires_after_eight_hours(client: TestClient, site: Site) -> None:
    sign_in(client, site)
    site.clock.advance(hours=8)
    page = client.get("/dashboard")
    assert page.status_code == 403
    assert "Log eerst in" in page.text


# -- the pages --------------------------------------------------------------------------------
def test_the_map_counts_the_last_30_days_per_buurt(client: TestClient, site: Site) -> None:
    sign_in(client, site)
    page = client.get("/dashboard").text
    counts = counts_on_map(page)
    assert {b: n for b, n in counts.items() if n} == COUNTS_30_DAYS
    assert len(counts) == len(site.network.buurten)  # every buurt is on the map, zero or not
    assert "7 escalaties" in page
    assert len(table_ids(page)) == 7
    wider = counts_on_map(client.get("/dashboard?period=90").text)
    assert wider["markelo-dorp"] == 2


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("buurt=goor-centrum", 3),
        ("kern=goor", 5),
        ("kern=delden", 1),
        ("category=inbraak", 2),
        ("called_112=yes", 1),
        ("called_112=no", 6),
        ("period=7", 5),
        ("from=2026-11-26&to=2026-11-28", 3),
        ("kern=goor&category=inbraak&called_112=no", 1),
        ("buurt=bentelo-dorp", 0),
    ],
)
def test_the_table_and_timeline_follow_the_filters(
    client: TestClient, site: Site, query: str, rows: int
) -> None:
    sign_in(client, site)
    page = client.get(f"/dashboard?{query}").text
    assert len(table_ids(page)) == rows
    timeline = [int(n) for n in re.findall(r'<rect [^>]*data-count="(\d+)"', page)]
    assert sum(timeline) == rows
    if rows == 0:
        assert 'id="none-found"' in page
    if query.startswith(("buurt=", "kern=")) and "&" not in query:
        # A chosen place never hides the rest of the map.
        assert {b: n for b, n in counts_on_map(page).items() if n} == COUNTS_30_DAYS


def test_clicking_a_buurt_lists_only_its_escalations(client: TestClient, site: Site) -> None:
    sign_in(client, site)
    page = client.get("/dashboard").text
    href = re.search(r'<a href="([^"]*buurt=goor-west[^"]*)"', page)
    assert href is not None
    chosen = client.get(href.group(1).replace("&amp;", "&")).text
    assert len(table_ids(chosen)) == 2
    assert "Ladder tegen de gevel" in chosen
    assert "Bekraste" not in chosen


def test_texts_from_chats_are_escaped_and_odd_filters_are_ignored(
    client: TestClient, site: Site
) -> None:
    sign_in(client, site)
    page = client.get('/dashboard?buurt="><script>x</script>&page=-1&called_112=maybe').text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "onbruikbaar" in page  # the notice about the ignored values
    assert len(table_ids(page)) == 7


def test_the_table_pages_by_fifty(client: TestClient, site: Site) -> None:
    from tests.dashboard_site import Seeded, seed

    with site.uow() as uow:
        seed(uow, site.network, tuple(Seeded("hengevelde-dorp", 0.01 * i) for i in range(1, 61)))
        uow.commit()
    sign_in(client, site)
    first = client.get("/dashboard?buurt=hengevelde-dorp").text
    assert len(table_ids(first)) == 50
    assert 'rel="next"' in first
    second = client.get("/dashboard?buurt=hengevelde-dorp&page=2").text
    assert len(table_ids(second)) == 10
    assert not set(table_ids(first)) & set(table_ids(second))
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second


def test_the_csv_has_every_row_without_phone_numbers_or_formulas(
    client: TestClient, site: Site
) -> None:
    sign_in(client, site, lang="en")
    response = client.get("/dashboard/export.csv?kern=goor&lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        'filename="escalaties-hof-van-twente-2026-10-31-2026-11-29.csv"'
        in (response.headers["content-disposition"])
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "id", "date and time", "kern", "buurt", "category", "sent to", "112 called at", "message",
    ]  # fmt: skip
    assert len(rows) == 1 + 5
    body = response.content.decode("utf-8-sig")
    assert "1234 5678" not in body
    assert "0612345678" not in body
    assert "[phone number removed]" in body
    assert "'=HYPERLINK" in body  # a formula is shown as text
    assert all(row[2] == "Goor" for row in rows[1:])


def test_the_sign_up_health_and_log_pages(client: TestClient, site: Site) -> None:
    sign_in(client, site, lang="en")
    signups = client.get("/dashboard/aanmeldingen?lang=en")
    assert signups.status_code == 200
    assert "No sign-ups are waiting." in signups.text
    groups = client.get("/dashboard/groepen?lang=en").text
    assert 'id="groups"' in groups
    assert "Buurtpreventie Goor Centrum" in groups
    log = client.get("/dashboard/logboek?lang=en").text
    assert "Hanneke" in log
    assert "signed in to the dashboard" in log


def test_the_page_follows_the_language_choice(client: TestClient, site: Site) -> None:
    sign_in(client, site, lang="en")
    assert '<html lang="en">' in client.get("/dashboard?lang=en").text
    dutch = client.get("/dashboard?lang=nl").text
    assert '<html lang="nl">' in dutch
    assert "Escalaties per dag" in dutch


def test_no_page_carries_scripts_and_every_page_forbids_them(
    client: TestClient, site: Site
) -> None:
    sign_in(client, site)
    for path in (
        "/dashboard",
        "/dashboard/aanmeldingen",
        "/dashboard/groepen",
        "/dashboard/logboek",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        assert "<script" not in response.text.lower()


# -- fuzzing ----------------------------------------------------------------------------------
PARAMS = st.sampled_from(
    ["from", "to", "period", "kern", "buurt", "category", "called_112", "page", "lang", "x"]
)
VALUES = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["goor", "goor-west", "2026-02-30", "9999-12-31", "0001-01-01", "0", "-1",
                     "99999", "yes", "nee", "<b>x</b>", "\x00", "%00", "../../etc"]),
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=st.lists(st.tuples(PARAMS, VALUES), max_size=8))
def test_any_query_gives_a_page_never_an_error(
    client: TestClient, site: Site, params: list[tuple[str, str]]
) -> None:
    if SESSION_COOKIE not in client.cookies:
        sign_in(client, site)
    for path in ("/dashboard", "/dashboard/export.csv"):
        response = client.get(path, params=params)
        assert response.status_code == 200, (path, params, response.text[:300])
        if path == "/dashboard":
            assert "<script" not in response.text.lower()
            assert "<b>x</b>" not in response.text
