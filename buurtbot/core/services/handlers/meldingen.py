"""Handlers of the meldingen flow (see :mod:`.registry` for the tables a module may define)."""
