"""Storage on SQLAlchemy 2.0: SQLite for a single host, PostgreSQL for more than one worker."""

from buurtbot.adapters.sql.engine import default_database_url, make_engine
from buurtbot.adapters.sql.migrate import current_revision, downgrade, head_revision, upgrade
from buurtbot.adapters.sql.repositories import (
    FORGOTTEN_PERSON,
    NetworkCache,
    SqlAanmeldingRepository,
    SqlAttempts,
    SqlAuditLog,
    SqlBlockRepository,
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
from buurtbot.adapters.sql.uow import SqlUnitOfWork, make_session_factory

__all__ = [
    "FORGOTTEN_PERSON",
    "NetworkCache",
    "SqlAanmeldingRepository",
    "SqlAttempts",
    "SqlAuditLog",
    "SqlBlockRepository",
    "SqlDialogues",
    "SqlEscalationRepository",
    "SqlInviteRepository",
    "SqlMeldingRepository",
    "SqlMembershipRepository",
    "SqlNetworkRepository",
    "SqlNudges",
    "SqlOutbox",
    "SqlPendingChoices",
    "SqlPersonRepository",
    "SqlProcessedEvents",
    "SqlUnitOfWork",
    "SqlWarningRepository",
    "current_revision",
    "default_database_url",
    "downgrade",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "upgrade",
]
