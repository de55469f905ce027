"""The house rules (spelregels) and the SAAR method, in the reader's language."""

from __future__ import annotations

from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText, bold


def saar(tr: Translator) -> RichText:
    """The four steps every resident should know by heart."""
    _ = tr.gettext
    return RichText.of(
        bold(_("SAAR: what to do when you see something suspicious")),
        "\n",
        bold("S"), " ", _("Signal: notice what is going on and remember the details."), "\n",
        bold("A"), " ", _("Alert: call 112. The police only act on a 112 call."), "\n",
        bold("A"), " ", _("App: tell the group what you saw and whether 112 was called."), "\n",
        bold("R"), " ", _("React: only when it is safe, e.g. step outside and be seen."), "\n",
        _("No urgency? Call the police on 0900-8844."),
    )  # fmt: skip


def house_rules(tr: Translator, gemeente_name: str | None) -> RichText:
    """The spelregels of the seed, written for a phone screen."""
    _ = tr.gettext
    title = (
        _("House rules of buurtpreventie {gemeente}").format(gemeente=gemeente_name)
        if gemeente_name
        else _("House rules of buurtpreventie")
    )
    rules = [
        _("You are 18 or older."),
        _("You live or work in the neighbourhood of this group."),
        _("This is a residents' initiative, not a police service."),
        _("The police only act on a call to 112. No urgency? Call 0900-8844."),
        _("Called 112? Say so in the group, so that not everyone calls."),
        _("Mind your language: no cursing, insults or discrimination."),
        _("Do not take the law into your own hands and break no laws: "
          "no phone in your hand while driving."),
        _("Send a photo of a suspect only when a description in words is not enough. "
          "Describe people by gender, height, clothing and face; vehicles by colour, "
          "make, type and licence plate."),
        _("Use the group only for what it is for: no chatting, no private messages."),
    ]  # fmt: skip
    consequences = [
        _("Breaking these rules can lead to removal from the group."),
        _("Where the rules are silent, the beheerder decides, if needed together with the "
          "police and the gemeente."),
    ]  # fmt: skip
    parts: list[str | RichText] = [RichText.of(bold(title)), "\n"]
    parts.extend(f"{n}. {rule}\n" for n, rule in enumerate(rules, start=1))
    parts.append("\n")
    parts.append(saar(tr))
    parts.append("\n\n")
    parts.append("\n".join(consequences))
    return RichText.of(*parts)
