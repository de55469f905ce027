"""The words of the regie dashboard's pages, in the reader's language.

Like :mod:`.texts`, templates get plain strings and never translate themselves, so the
catalog extraction (Python only) sees every message. Labels the bot already has (the
categories, scopes, sign-up states) are the bot's own texts, so both say the same.
"""

from __future__ import annotations

from datetime import timedelta

from buurtbot.core.domain.escalation import Scope
from buurtbot.core.i18n import Translator
from buurtbot.core.texts import escalation as escalation_texts
from buurtbot.core.texts import meldingen as melding_texts


def page(tr: Translator, gemeente: str) -> dict[str, str]:
    """Every fixed label of the dashboard."""
    _ = tr.gettext
    return {
        "title": _("Dashboard {gemeente}").format(gemeente=gemeente),
        "nav": _("Sections"),
        "nav_overview": _("Escalations"),
        "nav_signups": _("Sign-ups"),
        "nav_groups": _("Groups"),
        "nav_audit": _("Log"),
        "sign_out": _("Sign out"),
        "signed_in_as": _("Signed in as"),
        "language_switch": _("Language"),
        "map": _("Map"),
        "map_aria": _("Map of the buurten of {gemeente}, coloured by the number of "
                      "escalations").format(gemeente=gemeente),
        "legend": _("Escalations"),
        "schematic": _("A schematic map: buurten are grouped by kern and placed next to "
                       "their neighbours, not to scale."),
        "timeline": _("Escalations per day"),
        "busiest": _("busiest day"),
        "table": _("Escalations"),
        "filters": _("Filter"),
        "period": _("Period"),
        "from": _("From"),
        "to": _("To"),
        "kern": _("Kern"),
        "buurt": _("Buurt"),
        "category": _("Category"),
        "called_112": _("112 called"),
        "any": _("all"),
        "yes": _("yes"),
        "no": _("no"),
        "apply": _("Apply"),
        "reset": _("Clear filters"),
        "export": _("Download as CSV"),
        "when": _("When"),
        "scope": _("Sent to"),
        "message": _("Message"),
        "none_found": _("No escalations match these filters."),
        "next": _("Older"),
        "previous": _("Newer"),
        "ignored": _("Some filter values could not be used and were left out."),
        "show_all": _("Show all buurten"),
        "signups": _("Sign-ups waiting for a decision"),
        "signups_none": _("No sign-ups are waiting."),
        "number": _("No."),
        "name": _("Name"),
        "state": _("State"),
        "group": _("Group"),
        "waiting": _("Waiting for"),
        "waiting_lists": _("Waiting lists (buurten without a buurtgroep)"),
        "waiting_none": _("Nobody is on a waiting list."),
        "people": _("People"),
        "groups": _("Buurtgroepen"),
        "platform": _("Platform"),
        "members": _("Members"),
        "beheerders": _("Beheerders"),
        "open_signups": _("Unhandled sign-ups"),
        "short": _("fewer than 2 beheerders"),
        "no_group": _("Buurten without a buurtgroep"),
        "audit": _("Log"),
        "audit_none": _("The log is empty."),
        "emergency": _("In an emergency, always call 112 first."),
    }  # fmt: skip


def period_label(tr: Translator, days: int) -> str:
    return tr.ngettext("last {n} day", "last {n} days", days).format(n=days)


def total(tr: Translator, n: int) -> str:
    return tr.ngettext("{n} escalation", "{n} escalations", n).format(n=n)


def buurt_count(tr: Translator, name: str, n: int) -> str:
    return tr.ngettext("{name}: {n} escalation", "{name}: {n} escalations", n).format(
        name=name, n=n
    )


def short_groups(tr: Translator, n: int) -> str:
    return tr.ngettext(
        "{n} buurtgroep has fewer than 2 beheerders.",
        "{n} buurtgroepen have fewer than 2 beheerders.",
        n,
    ).format(n=n)


def unhandled(tr: Translator, n: int) -> str:
    return tr.ngettext(
        "{n} sign-up waits for an eigenaar.", "{n} sign-ups wait for an eigenaar.", n
    ).format(n=n)


def age(tr: Translator, waited: timedelta) -> str:
    """``3 days`` or ``5 hours``: how long a sign-up has been waiting."""
    if waited >= timedelta(days=1):
        return tr.ngettext("{n} day", "{n} days", waited.days).format(n=waited.days)
    hours = int(waited.total_seconds() // 3600)
    return tr.ngettext("{n} hour", "{n} hours", hours).format(n=hours)


def category(tr: Translator, slug: str | None) -> str:
    _ = tr.gettext
    return melding_texts.category_label(tr, slug) if slug else _("no category")


def scope(tr: Translator, value: str) -> str:
    try:
        return escalation_texts.scope_label(tr, Scope(value))
    except ValueError:
        return value


def refusal(tr: Translator, which: str) -> tuple[str, str]:
    """Heading and explanation of a page that says no (or says goodbye)."""
    _ = tr.gettext
    ask = _("Send /dashboard to the bot in a private chat for a new sign-in link.")
    pages = {
        "link-invalid": (
            _("This sign-in link does not work"),
            _("A sign-in link works once and for 10 minutes. This one was used already, "
              "has expired or is not complete.") + " " + ask,
        ),
        "not-signed-in": (
            _("Please sign in"),
            _("The dashboard is for the regiegroep and the police liaison. Your session "
              "has ended or you have not signed in.") + " " + ask,
        ),
        "not-allowed": (
            _("No access"),
            _("The dashboard is only for the regiegroep's hoofdcoordinator and contactpersonen "
              "and for the police liaison. Your account does not (or no longer) have that "
              "role."),
        ),
        "signed-out": (
            _("You are signed out"),
            _("Your session has ended. Close this window if you share this device.") + " " + ask,
        ),
        "expired-form": (
            _("This page has expired"),
            _("For your safety the page works for a limited time. Please open the sign-in "
              "link again."),
        ),
    }  # fmt: skip
    return pages[which]


def sign_in(tr: Translator) -> dict[str, str]:
    _ = tr.gettext
    return {
        "heading": _("Sign in to the dashboard"),
        "explain": _("Press the button to sign in. The link then stops working, so nobody "
                     "else can use it."),
        "button": _("Sign in"),
    }  # fmt: skip
