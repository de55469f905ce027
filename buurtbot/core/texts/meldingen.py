"""What the bot says about meldingen: the guided questions, the posted melding, 112."""

from __future__ import annotations

from collections.abc import Iterable

from buurtbot.core.domain.melding import Called112, Melding
from buurtbot.core.i18n import Translator
from buurtbot.core.text import RichText, Span, bold, italic


def category_label(tr: Translator, slug: str) -> str:
    """The reader's word for a category; a gemeente's own category shows as configured."""
    _ = tr.gettext
    known = {
        "inbraak": _("Burglary"),
        "verdachte-persoon": _("Suspicious person"),
        "verdacht-voertuig": _("Suspicious vehicle"),
        "vandalisme": _("Vandalism"),
        "overig": _("Something else"),
    }
    return known.get(slug, slug.replace("-", " ").capitalize())


def ask_category(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        bold(_("New melding")),
        "\n",
        _("In an emergency, call 112 first. What did you see?"),
    )


def ask_where(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Where? A street, a house number or a landmark."))


def ask_when(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("When? Choose, or type a time."))


def when_label(tr: Translator, value: str) -> str:
    _ = tr.gettext
    return {
        "now": _("Right now"),
        "hour": _("In the last hour"),
        "today": _("Earlier today"),
    }.get(value, value)


def ask_subject(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Did you see a person, a vehicle, or both?"))


def subject_label(tr: Translator, value: str) -> str:
    _ = tr.gettext
    return {
        "person": _("A person"),
        "vehicle": _("A vehicle"),
        "both": _("Both"),
        "none": _("Neither"),
    }[value]


def ask_detail(tr: Translator, field: str) -> RichText:
    """One question of the signalement; every one may be skipped."""
    _ = tr.gettext
    questions = {
        "gender": _("The person: man, woman, or unknown?"),
        "height": _("About how tall? (e.g. 1.80 m, short, tall)"),
        "clothing": _("What was the person wearing? (colours, jacket, hood, shoes)"),
        "particulars": _("Anything that stands out? (beard, glasses, tattoo, a bag, a dog)"),
        "colour": _("The vehicle: what colour?"),
        "make": _("Which make? (e.g. Volkswagen, Ford)"),
        "type": _("Which type or model? (e.g. Golf, van, scooter)"),
        "plate": _("The licence plate, as far as you saw it?"),
    }
    hint = _("Send - to skip a question, /stop to cancel the melding.")
    return RichText.of(questions[field], "\n", italic(hint))


def gender_label(tr: Translator, value: str) -> str:
    _ = tr.gettext
    return {"man": _("Man"), "woman": _("Woman"), "unknown": _("Unknown")}[value]


def ask_112(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Has 112 been called?"))


def yes_no(tr: Translator, value: bool) -> str:
    _ = tr.gettext
    return _("Yes") if value else _("No")


def plate_not_recognised(tr: Translator, typed: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("{plate} does not look like a Dutch licence plate. I kept it as you typed it.").format(
            plate=typed
        )
    )


def melding_cancelled(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("The melding was cancelled; nothing was posted."))


def melding_expired(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Your earlier melding was not finished in time; start again with /melding.")
    )


def melding_busy(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("You are already making a melding: answer the last question, or send /stop.")
    )


def melding_post(
    tr: Translator, melding: Melding, reporter: str, called: Called112 | None
) -> RichText:
    """The finished melding as the group sees it, with the 112 status and a SAAR reminder."""
    _ = tr.gettext
    lines: list[str | Span | RichText] = [
        RichText.of(bold("🚨 " + _("Melding: {category}").format(
            category=category_label(tr, melding.category or "overig")
        ))),
        "\n",
    ]  # fmt: skip
    if melding.where:
        lines += [bold(_("Where:")), " ", melding.where, "\n"]
    if melding.when:
        lines += [bold(_("When:")), " ", when_label(tr, melding.when), "\n"]
    if melding.person is not None:
        p = melding.person
        details = [
            gender_label(tr, p.gender) if p.gender in ("man", "woman", "unknown") else p.gender,
            p.height,
            p.clothing,
            p.particulars,
        ]
        lines += [bold(_("Person:")), " ", "; ".join(d for d in details if d), "\n"]
    if melding.vehicle is not None:
        v = melding.vehicle
        plate = v.plate or (f"{v.plate_as_typed} (?)" if v.plate_as_typed else None)
        details = [v.colour, v.make, v.type, plate]
        lines += [bold(_("Vehicle:")), " ", "; ".join(d for d in details if d), "\n"]
    lines += [bold(_("Reported by:")), " ", reporter, "\n"]
    lines += [status_112(tr, called), "\n"]
    if called is None:
        lines.append(
            italic(
                _(
                    "Police only act on a 112 call (no urgency: 0900-8844). Called? Reply /112 "
                    "to this message."
                )
            )
        )
    else:
        lines.append(italic(_("112 has been called: there is no need to call again.")))
    return RichText.of(*lines)


def status_112(tr: Translator, called: Called112 | None) -> RichText:
    _ = tr.gettext
    if called is None:
        return RichText.of(bold(_("112:")), " ", _("not called yet"))
    return RichText.of(
        bold(_("112:")),
        " ",
        _("called by {name} at {time}").format(name=called.by_name, time=tr.time(called.at)),
    )


def called_112_announcement(tr: Translator, called: Called112) -> RichText:
    _ = tr.gettext
    return RichText.of(
        bold("☎ " + _("112 has been called")),
        " ",
        _(
            "by {name} at {time}. No need to call again; keep watching and report what you see."
        ).format(name=called.by_name, time=tr.time(called.at)),
    )


def already_called(tr: Translator, called: Called112) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("112 was already called at {time} by {name}.").format(
            time=tr.time(called.at), name=called.by_name
        )
    )


def photo_nudge(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("A reminder of the photo rule: share a photo of a person only when words are not "
          "enough. Gender, height, clothing and face, or a vehicle's colour, make, type and "
          "plate, usually say it all.")
    )  # fmt: skip


def chatter_nudge(tr: Translator, group: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("A friendly reminder: {group} is for reports only. Thanks and chat are best sent "
          "privately, so that alerts stand out.").format(group=group)
    )  # fmt: skip


def flagged_notice(tr: Translator, group: str, author: str, words: Iterable[str]) -> RichText:
    """For the beheerders: a possible breach of the language rule, with what to do."""
    _ = tr.gettext
    return RichText.of(
        bold(_("Language rule?")),
        " ",
        _("{author} used these words in {group}: {words}.").format(
            author=author, group=group, words=", ".join(words)
        ),
        "\n",
        _("To warn, reply to their message in the group with: /warn language"),
    )


def called_button_label(tr: Translator) -> str:
    _ = tr.gettext
    return "☎ " + _("112 called")
