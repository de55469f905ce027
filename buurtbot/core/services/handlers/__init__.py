"""Handlers of the bot's commands and events, one module per flow.

Each module exposes ``COMMAND_HANDLERS`` (and ``BUTTON_HANDLERS`` keyed by the prefix of a
button's data); :mod:`buurtbot.core.services.bot` merges the tables.
"""
