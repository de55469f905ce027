"""The web adapter: the public sign-up form, served next to the bot on the same event loop."""

from buurtbot.adapters.web.app import WebForm, create_web_app
from buurtbot.adapters.web.server import WebServer

__all__ = ["WebForm", "WebServer", "create_web_app"]
