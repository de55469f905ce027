"""Signing in to the regie dashboard without a password, and checking every request.

``/dashboard`` in a private chat sends a one-time link (:func:`issue_link`); opening it
and pressing the button trades it for a session (:func:`sign_in`); every page asks
:func:`viewer` who is looking. The button is there because chat apps and mail scanners
open links to preview them: a plain GET never spends a link.

A session is checked against the person's roles on every request, so whoever loses the
regie role (or is forgotten) loses the dashboard at once, not when the session ends.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.dashboard import (
    DASHBOARD_ROLES,
    LINK_VALID,
    SESSION_VALID,
    AccessKind,
    DashboardAccess,
    access_hash,
    new_access_token,
    well_formed,
)
from buurtbot.core.domain.model import GemeenteRole, Person
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import GemeenteId, PersonId
from buurtbot.core.ports import UnitOfWork


class Refusal(enum.StrEnum):
    """Why the dashboard says no; each has its own page."""

    #: The link is unknown, used, or expired (indistinguishable on purpose).
    LINK_INVALID = "link-invalid"
    #: No session, or it ended or expired.
    NOT_SIGNED_IN = "not-signed-in"
    #: The person holds no regie role (any more).
    NOT_ALLOWED = "not-allowed"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at the dashboard, and at which gemeente."""

    person: Person
    network: Network
    roles: frozenset[GemeenteRole]
    session_hash: str


def issue_link(uow: UnitOfWork, person: PersonId, gemeente: GemeenteId, now: datetime) -> str:
    """A new sign-in link's token (kept only as its hash); expired links and sessions of
    everyone are cleared on the way, so the table holds only live ones."""
    uow.dashboard.delete_expired(now)
    token = new_access_token()
    uow.dashboard.add(
        DashboardAccess(
            token_hash=access_hash(token),
            kind=AccessKind.LINK,
            person_id=person,
            gemeente_id=gemeente,
            created_at=now,
            expires_at=now + LINK_VALID,
        )
    )
    return token


def sign_in(uow: UnitOfWork, token: str | None, now: datetime) -> tuple[str, Viewer] | Refusal:
    """Spend the link ``token``: a session token and its viewer, or why not.

    The link is spent even when the person lost the role in the meantime: it was theirs,
    and it must not work later either."""
    if token is None or not well_formed(token):
        return Refusal.LINK_INVALID
    link = uow.dashboard.take_link(access_hash(token), now)
    if link is None:
        return Refusal.LINK_INVALID
    found = _viewer_of(uow, link.person_id, link.gemeente_id, session_hash="")
    if found is None:
        return Refusal.NOT_ALLOWED
    session = new_access_token()
    uow.dashboard.add(
        DashboardAccess(
            token_hash=access_hash(session),
            kind=AccessKind.SESSION,
            person_id=link.person_id,
            gemeente_id=link.gemeente_id,
            created_at=now,
            expires_at=now + SESSION_VALID,
        )
    )
    uow.audit.add(
        AuditEntry(
            gemeente_id=link.gemeente_id,
            at=now,
            action=AuditAction.DASHBOARD_SIGNED_IN,
            actor=link.person_id,
        )
    )
    return session, Viewer(found.person, found.network, found.roles, access_hash(session))


def viewer(uow: UnitOfWork, token: str | None, now: datetime) -> Viewer | Refusal:
    """Who the session ``token`` (from the cookie) belongs to, if they may still look."""
    if token is None or not well_formed(token):
        return Refusal.NOT_SIGNED_IN
    session_hash = access_hash(token)
    session = uow.dashboard.session(session_hash, now)
    if session is None:
        return Refusal.NOT_SIGNED_IN
    found = _viewer_of(uow, session.person_id, session.gemeente_id, session_hash=session_hash)
    return Refusal.NOT_ALLOWED if found is None else found


def sign_out(uow: UnitOfWork, token: str | None) -> None:
    if token is not None and well_formed(token):
        uow.dashboard.end(access_hash(token))


def _viewer_of(
    uow: UnitOfWork, person_id: PersonId, gemeente_id: GemeenteId, *, session_hash: str
) -> Viewer | None:
    person = uow.persons.get(person_id)
    network = uow.networks.get(gemeente_id)
    if person is None or network is None:
        return None
    roles = uow.persons.gemeente_roles(gemeente_id, person_id) & DASHBOARD_ROLES
    if not roles:
        return None
    return Viewer(person, network, frozenset(roles), session_hash)
