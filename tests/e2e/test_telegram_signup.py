"""From ``/signup`` in a private chat to a member of the buurtgroep, on Telegram: the deep
link, the join-request link that only the resident's own account gets through, and the
decline for anyone else who uses it."""

from __future__ import annotations

import re

from tests.e2e.telegram_rig import TelegramRig, token_in


async def step(tg: TelegramRig, handle: str, answer: str, expect: str, *, press: bool) -> None:
    """``handle`` answers (a button labelled ``answer``, or text) and the bot asks ``expect``."""
    mark = tg.mark(handle)
    if press:
        tg.press(handle, None, answer)
    else:
        tg.says(handle, None, answer)
    await tg.reply_to(handle, expect, after=mark)


async def sign_up(tg: TelegramRig, handle: str) -> str:
    """``handle`` signs up for Goor Centrum through the bot; returns the sign-up number."""
    tg.uid(handle, language="en")
    await step(tg, handle, "/signup", "What is your name?", press=False)
    await step(tg, handle, "Sanne Bosch", "postcode and house number", press=False)
    await step(tg, handle, "7471 BC 7", "Are you 18 or older?", press=False)
    await step(tg, handle, "Yes", "live or work in this neighbourhood", press=True)
    await step(tg, handle, "Yes", "Do you accept these house rules?", press=True)
    await step(tg, handle, "Yes", "Your sign-up has number", press=True)
    thanks = await tg.reply_to(handle, "Your sign-up has number")
    match = re.search(r"number ([A-Z0-9]+)", thanks.visible)
    assert match is not None
    return match.group(1)


async def test_a_deep_link_admits_only_the_resident_it_was_made_for(tg: TelegramRig) -> None:
    number = await sign_up(tg, "sanne")
    # The regiegroep hears of it without address or phone number.
    notice = await tg.reply_to("regie", number)
    assert "7471" not in notice.visible

    tg.says("anna", None, f"/admit {number}")
    invite = await tg.reply_to("sanne", "?start=")
    assert "https://t.me/buurt_test_bot?start=" in invite.visible
    token = token_in(invite.visible)
    assert len(token) <= 64

    # The deep link arrives as "/start <token>" in the private chat.
    await step(tg, "sanne", f"/start {token}", "One last step before you join.", press=False)
    await step(tg, "sanne", "Yes", "Are you 18 or older?", press=True)  # the house rules
    await step(tg, "sanne", "Yes", "You are now a member of Buurtpreventie Goor", press=True)

    # A join-request link for the group follows, made for her sign-up.
    centrum = tg.chats["goor-centrum"]
    link_message = await tg.reply_to("sanne", "https://t.me/+")
    link = next(u for u in re.findall(r"https://t\.me/\+\S+", link_message.visible))
    made = tg.standin.invite_links[link]
    assert made.chat_id == centrum
    assert made.creates_join_request

    # Her own account asks to join: approved.
    tg.standin.push_join_request(centrum, tg.uid("sanne"), link)
    await tg.until(lambda: tg.standin.join_requests[(centrum, tg.uid("sanne"))] == "approved")

    # Someone she forwarded the link to: declined, and the beheerders are told once.
    stranger = tg.uid("stranger")
    tg.standin.push_join_request(centrum, stranger, link)
    await tg.until(lambda: tg.standin.join_requests[(centrum, stranger)] == "declined")
    told = await tg.reply_to("anna", "stranger")
    assert told.visible.count("stranger") >= 1
    tg.standin.push_join_request(centrum, stranger, link)
    await tg.until(lambda: tg.standin.join_requests[(centrum, stranger)] == "declined")
    # Anything queued for Anna after that arrives after a second report would: one chat's
    # messages go out in order.
    await step(tg, "anna", "/whoami", "Anna Huisman", press=False)
    reports = [m for m in tg.said("anna") if "stranger" in m.visible]
    assert len(reports) == 1

    # The token is spent: using it again gets the one answer for every bad token.
    tg.says("sanne", None, f"/start {token}")
    await tg.reply_to("sanne", "This invite does not work.")


async def test_bad_tokens_get_one_answer_that_reveals_nothing(tg: TelegramRig) -> None:
    tg.uid("mallory", language="en")
    answers = []
    for bad in ("A" * 27, "x" * 64, "-" * 10, "A" * 200):
        mark = tg.mark("mallory")
        tg.says("mallory", None, f"/start {bad}")
        answers.append(await tg.reply_to("mallory", "", after=mark))
    first = {a.visible for a in answers}
    assert len(first) == 1, first
    assert "This invite does not work." in first.pop()
