"""What the bot tells the regiegroep when it cannot reach a chat any more."""

from __future__ import annotations

from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText

#: Platform error texts can be long (a whole JSON body); the regiegroep needs the gist.
MAX_REASON_LENGTH = 200


def _short(reason: str) -> str:
    reason = " ".join(reason.split()) or "?"
    if len(reason) > MAX_REASON_LENGTH:
        return reason[: MAX_REASON_LENGTH - 1] + "…"
    return reason


def group_unreachable(tr: Translator, chat_name: str, reason: str) -> RichText:
    """A group chat refused the bot's messages (removed from it, chat deleted)."""
    _ = tr.gettext
    return RichText.of(
        _(
            "I could not deliver messages to {chat}: {reason}. "
            "Please check that the bot is still a member there."
        ).format(chat=chat_name, reason=_short(reason))
    )


def person_unreachable(tr: Translator, person_name: str, reason: str) -> RichText:
    """A private chat refused the bot's messages (blocked, account gone)."""
    _ = tr.gettext
    return RichText.of(
        _(
            "I could not deliver messages to {person} in a private chat: {reason}. "
            "They may have blocked the bot; please contact them another way."
        ).format(person=person_name, reason=_short(reason))
    )
