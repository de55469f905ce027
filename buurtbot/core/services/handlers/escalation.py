"""Handlers of the escalation flow (see :mod:`.registry` for the tables a module may define)."""
