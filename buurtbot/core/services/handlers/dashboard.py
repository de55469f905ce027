"""``/dashboard``: a one-time sign-in link to the regie dashboard, in a private chat.

Policy lets only regie roles ask (hoofdcoordinator, contactpersoon, politie), and only
privately: the link is a key, and a group chat would hand it to everyone there.
"""

from __future__ import annotations

from urllib.parse import urlencode

from buurtbot.core.commands import Command
from buurtbot.core.domain.dashboard import LINK_VALID
from buurtbot.core.domain.model import Locale
from buurtbot.core.events import CommandReceived
from buurtbot.core.services.dashboard import issue_link
from buurtbot.core.services.handlers.registry import CommandHandler
from buurtbot.core.services.situation import Situation
from buurtbot.core.texts import dashboard as texts

#: Where a sign-in link leads, below the web server's public address.
SIGN_IN_PATH = "/dashboard/login"


def sign_in_url(web_url: str, token: str, locale: Locale) -> str:
    """The link, in the reader's language: the sign-in page cannot know them before."""
    query = urlencode({"token": token, "lang": locale.value})
    return f"{web_url.rstrip('/')}{SIGN_IN_PATH}?{query}"


def dashboard(s: Situation, cmd: CommandReceived) -> None:
    if s.web_url is None:
        s.reply(texts.not_served(s.tr), to=cmd.message)
        return
    if s.network is None or s.person is None:
        s.reply(texts.no_gemeente(s.tr), to=cmd.message)
        return
    token = issue_link(s.uow, s.person.id, s.network.gemeente.id, s.now)
    minutes = int(LINK_VALID.total_seconds() // 60)
    url = sign_in_url(s.web_url, token, s.tr.locale)
    s.reply(texts.sign_in_link(s.tr, s.network.gemeente.name, url, minutes), to=cmd.message)


COMMAND_HANDLERS: dict[Command, CommandHandler] = {Command.DASHBOARD: dashboard}
