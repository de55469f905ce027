"""Signing in to the regie dashboard: ``/dashboard``, one-time links and sessions (fakes)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from buurtbot.core.domain.audit import AuditAction
from buurtbot.core.domain.dashboard import TOKEN_LENGTH, access_hash
from buurtbot.core.domain.model import GemeenteRole, Locale
from buurtbot.core.services import dashboard as access
from buurtbot.core.services.dashboard import Refusal, Viewer
from tests.world import World, texts

URL = "https://buurtbot.example.nl"


@pytest.fixture
def world() -> World:
    w = World()
    w.bot.web_url = URL
    return w


def ask_link(world: World, handle: str) -> str:
    """``handle`` sends /dashboard privately; the token of the link the bot answers with."""
    [answer] = texts(world.says(handle, None, "/dashboard"))
    found = re.search(r"(https://\S+)", answer)
    assert found is not None, answer
    url = urlsplit(found.group(1))
    assert f"{url.scheme}://{url.netloc}" == URL
    assert url.path == "/dashboard/login"
    [token] = parse_qs(url.query)["token"]
    return token


def sign_in(world: World, token: str | None) -> tuple[str, Viewer] | Refusal:
    with world.uow_factory() as uow:
        result = access.sign_in(uow, token, world.clock.now())
        uow.commit()
    return result


def look(world: World, session: str | None) -> Viewer | Refusal:
    with world.uow_factory() as uow:
        return access.viewer(uow, session, world.clock.now())


def signed_in(world: World, handle: str) -> str:
    result = sign_in(world, ask_link(world, handle))
    assert not isinstance(result, Refusal), result
    return result[0]


@pytest.mark.parametrize("handle", ["hanneke", "ria", "mirjam"])
def test_each_regie_role_gets_a_link_that_signs_them_in_once(world: World, handle: str) -> None:
    token = ask_link(world, handle)
    assert len(token) == TOKEN_LENGTH  # 256 random bits
    # Only the hash is kept: the token itself is nowhere in storage.
    assert token not in world.store.state.dashboard
    assert token not in repr(world.store.state.dashboard)
    assert access_hash(token) in world.store.state.dashboard
    result = sign_in(world, token)
    assert not isinstance(result, Refusal)
    session, viewer = result
    assert viewer.person.id == world.person(handle).id
    assert viewer.network.gemeente.id == "hof-van-twente"
    assert sign_in(world, token) is Refusal.LINK_INVALID  # single use
    seen = look(world, session)
    assert isinstance(seen, Viewer)
    assert seen.person.id == world.person(handle).id


def test_the_link_message_names_the_gemeente_in_the_readers_language(world: World) -> None:
    world.set_language("hanneke", Locale.EN)
    [english] = texts(world.says("hanneke", None, "/dashboard"))
    assert "Dashboard of Hof van Twente" in english
    assert "10 minutes" in english
    world.set_language("hanneke", Locale.NL)
    [dutch] = texts(world.says("hanneke", None, "/dashboard"))
    assert "Dashboard van Hof van Twente" in dutch
    assert "10 minuten" in dutch


def test_a_link_expires_after_ten_minutes(world: World) -> None:
    token = ask_link(world, "hanneke")
    world.clock.advance(minutes=10)
    assert sign_in(world, token) is Refusal.LINK_INVALID
    fresh = ask_link(world, "hanneke")
    world.clock.advance(minutes=9, seconds=59)
    assert not isinstance(sign_in(world, fresh), Refusal)


@pytest.mark.parametrize(
    "token",
    [None, "", "x", "A" * 42, "A" * 44, "A" * 42 + "=", "A" * 42 + "é", "<script>" * 5 + "AAA"],
)
def test_malformed_or_unknown_tokens_are_refused(world: World, token: str | None) -> None:
    assert sign_in(world, token) is Refusal.LINK_INVALID
    assert look(world, token) is Refusal.NOT_SIGNED_IN


def test_a_forged_well_formed_token_is_refused(world: World) -> None:
    ask_link(world, "hanneke")
    assert sign_in(world, "A" * TOKEN_LENGTH) is Refusal.LINK_INVALID
    # A session token is no link, and a link no session.
    session = signed_in(world, "ria")
    assert sign_in(world, session) is Refusal.LINK_INVALID
    link = ask_link(world, "hanneke")
    assert look(world, link) is Refusal.NOT_SIGNED_IN


@pytest.mark.parametrize(
    ("handle", "where", "refused"),
    [
        ("anna", None, "does not allow"),  # an eigenaar, privately
        ("daan", None, "does not allow"),  # a resident
        ("hanneke", "regie", "private chat"),  # the right person in a group: the key would leak
        ("anna", "goor-centrum", "private chat"),
    ],
)
def test_others_and_other_places_get_no_link(
    world: World, handle: str, where: str | None, refused: str
) -> None:
    world.set_language(handle, Locale.EN)
    [answer] = texts(world.says(handle, where, "/dashboard"))
    assert "/dashboard/login" not in answer
    assert refused in answer.lower()
    assert world.store.state.dashboard == {}


def test_without_a_web_server_the_bot_says_so(world: World) -> None:
    world.bot.web_url = None
    world.set_language("hanneke", Locale.EN)
    [answer] = texts(world.says("hanneke", None, "/dashboard"))
    assert "not available" in answer
    assert world.store.state.dashboard == {}


def test_losing_the_role_ends_access_at_once(world: World) -> None:
    session = signed_in(world, "ria")
    link = ask_link(world, "ria")
    with world.uow_factory() as uow:
        uow.persons.set_gemeente_roles(world.spec.gemeente_id, world.person("ria").id, frozenset())
        uow.commit()
    assert look(world, session) is Refusal.NOT_ALLOWED
    assert sign_in(world, link) is Refusal.NOT_ALLOWED
    assert sign_in(world, link) is Refusal.LINK_INVALID  # spent all the same
    with world.uow_factory() as uow:
        uow.persons.set_gemeente_roles(
            world.spec.gemeente_id, world.person("ria").id, frozenset({GemeenteRole.POLITIE})
        )
        uow.commit()
    assert isinstance(look(world, session), Viewer)  # the role is back, so is the view


def test_a_session_ends_after_eight_hours_and_on_sign_out(world: World) -> None:
    session = signed_in(world, "hanneke")
    world.clock.advance(hours=7, minutes=59)
    assert isinstance(look(world, session), Viewer)
    world.clock.advance(minutes=1)
    assert look(world, session) is Refusal.NOT_SIGNED_IN
    other = signed_in(world, "hanneke")
    with world.uow_factory() as uow:
        access.sign_out(uow, other)
        uow.commit()
    assert look(world, other) is Refusal.NOT_SIGNED_IN


def test_a_forgotten_person_loses_every_link_and_session(world: World) -> None:
    session = signed_in(world, "ria")
    link = ask_link(world, "ria")
    with world.uow_factory() as uow:
        uow.persons.delete(world.person("ria").id)
        uow.commit()
    assert look(world, session) is Refusal.NOT_SIGNED_IN
    assert sign_in(world, link) is Refusal.LINK_INVALID
    assert world.store.state.dashboard == {}


def test_signing_in_is_in_the_audit_log_and_expired_entries_are_cleared(world: World) -> None:
    signed_in(world, "mirjam")
    [entry] = [e for e in world.store.state.audit if e.action is AuditAction.DASHBOARD_SIGNED_IN]
    assert entry.actor == world.person("mirjam").id
    world.clock.advance(hours=9)
    ask_link(world, "hanneke")  # issuing clears what has expired
    assert [a.kind.value for a in world.store.state.dashboard.values()] == ["link"]


def test_mydata_lists_live_links_and_sessions_but_never_a_token(world: World) -> None:
    world.set_language("ria", Locale.EN)
    session = signed_in(world, "ria")
    link = ask_link(world, "ria")
    answer = "\n".join(texts(world.says("ria", None, "/mydata")))
    assert "Your dashboard sign-in" in answer
    assert "Signed in on" in answer
    assert "Sign-in link sent on" in answer
    for secret in (session, link, access_hash(session), access_hash(link)):
        assert secret not in answer
    world.clock.advance(hours=9)
    later = "\n".join(texts(world.says("ria", None, "/mydata")))
    assert "Signed in on" not in later
