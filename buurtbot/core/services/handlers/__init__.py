"""Handlers of the bot's commands and events, one module per flow.

Each module fills the tables described in :mod:`.registry`; the bot merges them in the
order of :data:`ALL_MODULES`.
"""

from buurtbot.core.services.handlers import (
    dashboard,
    escalation,
    followup,
    general,
    joins,
    meldingen,
    moderation,
    nudges,
    privacy,
    roles,
    signup,
)

ALL_MODULES = (
    general,
    meldingen,
    escalation,
    followup,
    moderation,
    joins,
    nudges,
    signup,
    roles,
    privacy,
    dashboard,
)
