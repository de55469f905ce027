"""Gentle reminders of the house rules, on messages in a buurtgroep. Never a punishment:
beheerders decide; the bot only points out. No message text is kept."""

from __future__ import annotations

from buurtbot.core.domain.model import GroupKind
from buurtbot.core.domain.wording import flagged_words, is_chatter
from buurtbot.core.events import MessageReceived
from buurtbot.core.services.handlers.registry import MessageHandler
from buurtbot.core.services.situation import Situation, private_chat
from buurtbot.core.texts import meldingen as texts

PHOTO = "photo"
CHATTER = "chatter"


def _in_buurtgroep(s: Situation) -> bool:
    return s.group is not None and s.group.kind is GroupKind.BUURT and s.person is not None


def photo_rule(s: Situation, msg: MessageReceived) -> bool:
    """A photo gets a short reminder of the photo rule, once a day per person."""
    if msg.has_photo and _in_buurtgroep(s):
        assert s.person is not None
        if s.uow.nudges.first_today(s.person.id, PHOTO, s.now.astimezone(s.tr.tz).date()):
            s.reply(texts.photo_nudge(s.tr), to=msg.message)
    return False


def language_rule(s: Situation, msg: MessageReceived) -> bool:
    """Cursing or slurs are flagged privately to the group's beheerders (not the author)."""
    if not msg.text or not _in_buurtgroep(s):
        return False
    assert s.group is not None and s.person is not None and s.network is not None
    words = flagged_words(msg.text, s.network.gemeente.settings.extra_flagged_words)
    if not words:
        return False
    author = s.person.display_name or s.event.sender.display_name or "?"
    for membership in s.uow.memberships.of_group(s.group.id):
        if not membership.role.is_beheerder or membership.person_id == s.person.id:
            continue
        beheerder = s.uow.persons.get(membership.person_id)
        if beheerder is None:
            continue
        tr = s.translator_for(beheerder)
        chat = private_chat(beheerder, prefer=s.group.chat.platform)
        if chat is not None:
            s.out.send(chat, texts.flagged_notice(tr, s.group.name, author, words))
    return False


def chatter_rule(s: Situation, msg: MessageReceived) -> bool:
    """Thanks and emoji-only chatter get a private nudge, once a day, where the gemeente
    has switched this on."""
    if not msg.text or not _in_buurtgroep(s):
        return False
    assert s.group is not None and s.person is not None and s.network is not None
    if not s.network.gemeente.settings.chatter_nudge or not is_chatter(msg.text):
        return False
    if s.uow.nudges.first_today(s.person.id, CHATTER, s.now.astimezone(s.tr.tz).date()):
        chat = private_chat(s.person, prefer=s.group.chat.platform)
        if chat is not None:
            s.out.send(chat, texts.chatter_nudge(s.tr, s.group.name))
    return False


MESSAGE_HANDLERS: list[MessageHandler] = [photo_rule, language_rule, chatter_rule]
