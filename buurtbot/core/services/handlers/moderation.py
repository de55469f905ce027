"""Handlers of the moderation flow (see :mod:`.registry` for the tables a module may define)."""
