"""Short replies of the general commands and the refusals."""

from __future__ import annotations

from collections.abc import Iterable

from buurtbot.core.commands import Command
from buurtbot.core.domain.model import GemeenteRole, GroupKind, GroupRole, Locale, Person
from buurtbot.core.i18n import Translator
from buurtbot.core.policy import Place, Refusal
from buurtbot.core.text import RichText, bold, code
from buurtbot.core.texts.commands import shown_name


def language_name(locale: Locale) -> str:
    """Each language in its own words, so a reader recognises theirs whatever is set now."""
    return {Locale.NL: "Nederlands", Locale.EN: "English"}[locale]


def place_name(tr: Translator, place: Place) -> str:
    _ = tr.gettext
    return {
        Place.PRIVATE: _("a private chat with me"),
        Place.BUURTGROEP: _("a buurtgroep"),
        Place.COORDINATORENGROEP: _("the coordinatorengroep"),
        Place.REGIEGROEP: _("the regiegroep"),
        Place.UNKNOWN_CHAT: _("a chat outside the network"),
    }[place]


def group_role_name(tr: Translator, role: GroupRole) -> str:
    _ = tr.gettext
    return {
        GroupRole.LID: _("member"),
        GroupRole.MEDE_BEHEERDER: _("mede-beheerder"),
        GroupRole.EIGENAAR: _("eigenaar (owner)"),
    }[role]


def gemeente_role_name(tr: Translator, role: GemeenteRole) -> str:
    _ = tr.gettext
    return {
        GemeenteRole.COORDINATOR: _("coordinator"),
        GemeenteRole.HOOFDCOORDINATOR: _("hoofdcoordinator"),
        GemeenteRole.CONTACTPERSOON: _("contactpersoon"),
        GemeenteRole.POLITIE: _("police liaison"),
    }[role]


def group_kind_name(tr: Translator, kind: GroupKind) -> str:
    _ = tr.gettext
    return {
        GroupKind.BUURT: _("buurtgroep"),
        GroupKind.COORDINATOREN: _("coordinatorengroep"),
        GroupKind.REGIE: _("regiegroep"),
    }[kind]


def refusal(tr: Translator, typed: str, why: Refusal, places: Iterable[Place] = ()) -> RichText:
    """Why a command was not carried out (``typed``: the name as the person typed it)."""
    _ = tr.gettext
    name = "/" + typed
    if why is Refusal.WRONG_PLACE:
        where = ", ".join(place_name(tr, p) for p in places)
        if not where:
            return RichText.of(_("{command} cannot be used here.").format(command=name))
        return RichText.of(
            _("{command} does not work here. It works in: {places}.").format(
                command=name, places=where
            )
        )
    texts = {
        Refusal.UNKNOWN_PERSON: _(
            "I do not know you yet, so I cannot do {command} for you. "
            "Sign up for your neighbourhood's group first."
        ),
        Refusal.NOT_A_MEMBER: _("Only members of this group can use {command}."),
        Refusal.NOT_A_BEHEERDER: _("Only the beheerders of this group can use {command}."),
        Refusal.NOT_THE_EIGENAAR: _("Only the eigenaar of the group can use {command}."),
        Refusal.NOT_ALLOWED: _("Your role does not allow {command}."),
    }
    return RichText.of(texts[why].format(command=name))


def unknown_command(tr: Translator, name: str) -> RichText:
    _ = tr.gettext
    help_name = shown_name(Command.HELP, tr.locale)
    return RichText.of(
        _("I do not know the command {command}. {help} lists what you can do here.").format(
            command="/" + name, help=help_name
        )
    )


def not_available(tr: Translator, typed: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("{command} is not available in this version of the bot yet.").format(command="/" + typed)
    )


def something_went_wrong(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Sorry, something went wrong on my side. Nothing was changed; please try again "
          "in a moment. In an emergency, always call 112.")
    )  # fmt: skip


def private_hint(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I only understand commands. {help} shows what you can do.").format(
            help=shown_name(Command.HELP, tr.locale)
        )
    )


def welcome(tr: Translator, gemeente_name: str | None, known: bool) -> RichText:
    _ = tr.gettext
    if gemeente_name:
        hello = _("Hello! I am the buurtpreventie bot of {gemeente}.").format(
            gemeente=gemeente_name
        )
    else:
        hello = _("Hello! I am the buurtpreventie bot.")
    what = _(
        "Residents use me to warn their neighbourhood about suspicious situations, and "
        "the beheerders use me to pass what matters on to the regiegroep and the police."
    )
    if known:
        nxt = _("{help} shows what you can do, {rules} the house rules.")
    else:
        nxt = _(
            "To join your neighbourhood's group, sign up first. {help} shows what you can "
            "do, {rules} the house rules."
        )
    return RichText.of(
        bold(hello),
        "\n",
        what,
        "\n",
        nxt.format(
            help=shown_name(Command.HELP, tr.locale), rules=shown_name(Command.RULES, tr.locale)
        ),
        "\n",
        _("In an emergency, always call 112 first."),
    )


def language_prompt(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Which language do you want me to use?"))


def language_set(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("From now on I will write to you in English."))


def language_unknown(tr: Translator, given: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I do not know the language {given}. Choose one of: {choices}.").format(
            given=given, choices="nl, en"
        )
    )


def chat_id(tr: Translator, platform: str, chat: str, private: bool) -> RichText:
    _ = tr.gettext
    kind = _("private chat") if private else _("group")
    return RichText.of(
        _("This {kind} on {platform} has the id:").format(kind=kind, platform=platform),
        " ",
        code(chat),
    )


def numbered_choice(tr: Translator, labels: Iterable[str]) -> RichText:
    """Options as a numbered list, for platforms without buttons."""
    _ = tr.gettext
    listed = "\n".join(f"{n}. {label}" for n, label in enumerate(labels, start=1))
    return RichText.of("\n", listed, "\n", _("Reply with the number of your choice."))


def choice_out_of_range(tr: Translator, count: int) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Please reply with a number from 1 to {count}.").format(count=count))


def whoami(
    tr: Translator,
    *,
    name: str,
    gemeente_name: str | None,
    groups: Iterable[tuple[str, GroupKind, GroupRole]],
    gemeente_roles: Iterable[GemeenteRole],
) -> RichText:
    """A person's own standing: their groups with role, their gemeente roles, their language."""
    _ = tr.gettext
    lines: list[str | RichText] = [RichText.of(bold(name or _("(no name)"))), "\n"]
    if gemeente_name:
        lines.append(_("Gemeente: {gemeente}").format(gemeente=gemeente_name) + "\n")
    memberships = [
        f"• {group} ({group_kind_name(tr, kind)}): {group_role_name(tr, role)}"
        for group, kind, role in groups
    ]
    if memberships:
        lines.append(_("Groups:") + "\n" + "\n".join(memberships) + "\n")
    else:
        lines.append(_("You are not a member of any group yet.") + "\n")
    roles = sorted(gemeente_role_name(tr, r) for r in gemeente_roles)
    if roles:
        lines.append(_("Roles in the gemeente: {roles}").format(roles=", ".join(roles)) + "\n")
    lines.append(_("Language: {language}").format(language=language_name(tr.locale)))
    return RichText.of(*lines)


def whoami_unknown(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I do not know you yet. Sign up for your neighbourhood's group to take part.")
    )


def nothing_to_cancel(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("There is nothing to cancel."))


def stopped(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Stopped. Nothing of it was kept."))


def person_name(tr: Translator, person: Person | None) -> str:
    """How the bot names someone: their name, else their handle, else "(no name)"."""
    _ = tr.gettext
    if person is not None and (person.display_name or person.handle):
        return person.display_name or person.handle or ""
    return _("(no name)")
