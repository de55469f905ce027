"""Use cases of the core: each works through the ports of :mod:`buurtbot.core.ports`."""
