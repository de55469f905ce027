"""The unit of work: one session, one transaction, all repositories on it."""

from __future__ import annotations

from datetime import timedelta
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from buurtbot.adapters.sql.dashboard import SqlDashboardAccess, SqlOverview
from buurtbot.adapters.sql.repositories import (
    DEFAULT_OUTBOX_LEASE,
    NetworkCache,
    SqlAanmeldingRepository,
    SqlAttempts,
    SqlAuditLog,
    SqlBlockRepository,
    SqlBotState,
    SqlDialogues,
    SqlEscalationRepository,
    SqlInviteRepository,
    SqlMeldingRepository,
    SqlMembershipRepository,
    SqlNetworkRepository,
    SqlNudges,
    SqlOutbox,
    SqlPendingChoices,
    SqlPersonRepository,
    SqlProcessedEvents,
    SqlWarningRepository,
)
from buurtbot.core.ports import UnitOfWork


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit: the repositories hand out domain
    objects, never rows, so there is nothing to refresh and no lazy load after the block."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


class SqlUnitOfWork(UnitOfWork):
    """A transaction over all SQL repositories, entered with ``with``.

    A fresh session per ``with`` block; leaving the block rolls back whatever was not
    committed and closes the session, so one instance can be entered again later.
    ``outbox_lease`` is passed to :class:`SqlOutbox`; pass one ``network_cache`` to every
    unit of work of a database so they share network snapshots.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        outbox_lease: timedelta = DEFAULT_OUTBOX_LEASE,
        network_cache: NetworkCache | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._outbox_lease = outbox_lease
        self._network_cache = network_cache or NetworkCache()
        self._session: Session | None = None

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use")
        session = self._session_factory()
        self._session = session
        self.networks = SqlNetworkRepository(session, self._network_cache)
        self.persons = SqlPersonRepository(session)
        self.memberships = SqlMembershipRepository(session)
        self.events = SqlProcessedEvents(session)
        self.choices = SqlPendingChoices(session)
        self.outbox = SqlOutbox(session, lease=self._outbox_lease)
        self.meldingen = SqlMeldingRepository(session)
        self.escalations = SqlEscalationRepository(session)
        self.warnings = SqlWarningRepository(session)
        self.blocks = SqlBlockRepository(session)
        self.audit = SqlAuditLog(session)
        self.dialogues = SqlDialogues(session)
        self.nudges = SqlNudges(session)
        self.aanmeldingen = SqlAanmeldingRepository(session)
        self.invites = SqlInviteRepository(session)
        self.attempts = SqlAttempts(session)
        self.bot_state = SqlBotState(session)
        self.dashboard = SqlDashboardAccess(session)
        self.overview = SqlOverview(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.rollback()
            finally:
                session.close()

    @property
    def session(self) -> Session:
        """The open session (for adapters' own queries inside the same transaction)."""
        if self._session is None:
            raise RuntimeError("use the unit of work inside a 'with' block")
        return self._session

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
