"""The words of the sign-up web page, in the reader's language.

Validation problems reuse the bot's texts (:func:`buurtbot.core.texts.signup.problem`), so a
resident reads the same explanation on the web as in the chat; only what a page needs on
top of that lives here. Templates get plain strings and never translate themselves, so the
catalog extraction (``babel.cfg``: Python only) sees every message.
"""

from __future__ import annotations

from buurtbot.core.i18n import Translator


def page(tr: Translator, gemeente_name: str | None) -> dict[str, str]:
    """Every label of the form, the thank-you page and the error pages."""
    _ = tr.gettext
    title = (
        _("Sign up for buurtpreventie {gemeente}").format(gemeente=gemeente_name)
        if gemeente_name
        else _("Sign up for buurtpreventie")
    )
    return {
        "title": title,
        "intro": _("Fill in this form to join the neighbourhood watch group of your "
                   "neighbourhood. The eigenaar of the group decides on your sign-up."),
        "errors_heading": _("Please check the fields marked below."),
        "name": _("Your name"),
        "postcode": _("Postcode"),
        "postcode_hint": _("For example: 7471 AB"),
        "house_number": _("House number"),
        "house_number_hint": _("For example: 12 or 12a"),
        "street": _("Street (optional)"),
        "street_hint": _("Only needed when we ask for it: some postcodes are shared by "
                         "several neighbourhoods."),
        "contact": _("How can we reach you?"),
        "contact_phone": _("By phone (Signal or a call)"),
        "contact_telegram": _("I'll contact the bot on Telegram"),
        "contact_signal": _("I'll contact the bot on Signal"),
        "phone": _("Phone number"),
        "phone_hint": _("For example 06 1234 5678; a foreign number with its country code"),
        "conditions": _("Conditions"),
        "adult": _("I am 18 or older"),
        "lives_here": _("I live or work in this neighbourhood"),
        "rules": _("I accept the house rules above"),
        "locale": _("Language for our messages to you"),
        "honeypot": _("Leave this field empty"),
        "submit": _("Send my sign-up"),
        "language_switch": _("Language"),
        "thanks_title": _("Thank you for signing up"),
        "thanks_body": _("We have received your sign-up. The eigenaar of your "
                         "neighbourhood's group decides on it and lets you know how to join."),
        "emergency": _("In an emergency, always call 112 first."),
        "forbidden_title": _("This form has expired"),
        "forbidden_body": _("For your safety the form works for a limited time. Please "
                            "open the form again and send it once more."),
        "back": _("Back to the form"),
        "too_many_title": _("Too many sign-ups"),
        "too_many_body": _("Too many sign-ups came from your connection. Please try again "
                           "in a few minutes."),
    }  # fmt: skip


def too_long(tr: Translator, limit: int) -> str:
    _ = tr.gettext
    return _("Please use at most {n} characters.").format(n=limit)


def bad_characters(tr: Translator) -> str:
    _ = tr.gettext
    return _("This contains characters we cannot store; please retype it.")


def outside_area(tr: Translator) -> str:
    _ = tr.gettext
    return _("This postcode is outside the area we serve.")
