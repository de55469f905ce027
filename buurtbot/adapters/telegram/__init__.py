"""The Telegram adapter (python-telegram-bot 22). So far: the pure mapping module."""

from buurtbot.adapters.telegram.mapping import CAPABILITIES, to_event, to_html

__all__ = ["CAPABILITIES", "to_event", "to_html"]
