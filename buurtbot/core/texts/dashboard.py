"""What the bot says when a regie member asks for the dashboard."""

from __future__ import annotations

from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText, bold


def sign_in_link(tr: Translator, gemeente: str, url: str, minutes: int) -> RichText:
    _ = tr.gettext
    return RichText.of(
        bold(_("Dashboard of {gemeente}").format(gemeente=gemeente)),
        "\n",
        _("Open this link and press the button to sign in. It works once, for {n} minutes:")
        .format(n=minutes),
        "\n",
        url,
        "\n",
        _("Do not pass it on: whoever opens it sees what the regiegroep sees."),
    )  # fmt: skip


def not_served(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("The dashboard is not available: this bot runs without its web server. Ask whoever "
          "runs the bot to set BUURTBOT_WEB_PUBLIC_URL.")
    )  # fmt: skip


def no_gemeente(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I could not tell which gemeente's dashboard you mean: your account is not linked "
          "to one gemeente.")
    )  # fmt: skip
