"""What the bot says about sign-ups, admission and invites, in the reader's language.

Names, ids, reasons and addresses people typed travel as plain spans, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from buurtbot.core.commands import Command
from buurtbot.core.domain.aanmelding import Aanmelding, AanmeldingState
from buurtbot.core.i18n import Translator
from buurtbot.core.ids import Platform
from buurtbot.core.text import RichText, bold, code
from buurtbot.core.texts.commands import shown_name


def _cmd(tr: Translator, command: Command) -> str:
    return shown_name(command, tr.locale)


def yes_no(tr: Translator, yes: bool) -> str:
    _ = tr.gettext
    return _("Yes") if yes else _("No")


def state_name(tr: Translator, state: AanmeldingState) -> str:
    _ = tr.gettext
    return {
        AanmeldingState.RECEIVED: _("received"),
        AanmeldingState.ROUTED: _("with the eigenaar"),
        AanmeldingState.WAITING: _("on the waiting list"),
        AanmeldingState.UNROUTABLE: _("outside every buurt"),
        AanmeldingState.ADMITTED: _("admitted"),
        AanmeldingState.DECLINED: _("declined"),
        AanmeldingState.JOINED: _("joined"),
    }[state]


# -- validation ---------------------------------------------------------------------------------
def problem(tr: Translator, which: str) -> str:
    """One validation problem (a :class:`~buurtbot.core.services.signup.Problem` value)."""
    _ = tr.gettext
    return {
        "missing-name": _("Please give your name."),
        "bad-postcode": _("That is not a Dutch postcode (like 7471 AB)."),
        "bad-house-number": _("Please give your house number (like 12 or 12a)."),
        "street-required": _("This postcode is shared by several neighbourhoods: please "
                             "give your street as well."),
        "not-adult": _("Members must be 18 or older."),
        "not-local": _("Members must live or work in the neighbourhood."),
        "rules-not-accepted": _("Members must accept the house rules."),
        "no-contact": _("Please give a phone number or the app you want to use."),
        "bad-phone": _(
            "That is not a phone number I can use (like 06 1234 5678, or +32 470 12 34 56 "
            "for a foreign one)."
        ),
    }.get(which, which)  # fmt: skip


def problems(tr: Translator, which: Sequence[str]) -> RichText:
    return RichText.of("\n".join(problem(tr, p) for p in which))


# -- the bot dialogue ---------------------------------------------------------------------------
def no_gemeente(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("I cannot tell which gemeente you want to sign up for. Please use "
                         "the sign-up form of your gemeente."))  # fmt: skip


def ask_name(tr: Translator, gemeente_name: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        bold(_("Sign up for buurtpreventie {gemeente}").format(gemeente=gemeente_name)),
        "\n",
        _("A few questions, then the eigenaar of your neighbourhood's group decides. "
          "{cancel} stops at any time."
          ).format(cancel=_cmd(tr, Command.CANCEL)),
        "\n\n",
        _("What is your name?"),
    )  # fmt: skip


def ask_address(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Your postcode and house number? For example: 7471 AB 12"))


def address_not_understood(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("I could not read that as a postcode and house number. For example: 7471 AB 12")
    )


def ask_street(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Several neighbourhoods share this postcode. What is your street?"))


def ask_adult(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Are you 18 or older?"))


def ask_local(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Do you live or work in this neighbourhood?"))


def ask_rules(tr: Translator, rules: RichText) -> RichText:
    _ = tr.gettext
    return RichText.of(rules, "\n\n", bold(_("Do you accept these house rules?")))


def signup_stopped(tr: Translator, which: str) -> RichText:
    """The resident answered no to a condition of membership: nothing was stored."""
    _ = tr.gettext
    return RichText.of(problem(tr, which), " ", _("Your sign-up has stopped; nothing was stored."))


def signup_answer_with_option(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Please answer with one of the options."))


def submitted(tr: Translator, aanmelding: Aanmelding, buurt_name: str | None) -> RichText:
    """The resident's confirmation: what happens next depends on where the sign-up went."""
    _ = tr.gettext
    head = _("Thank you, {name}! Your sign-up has number {id}.").format(
        name=aanmelding.name, id=aanmelding.id
    )
    if aanmelding.state is AanmeldingState.ROUTED and buurt_name:
        nxt = _(
            "It has gone to the eigenaar of the group of {buurt}, who decides on it. "
            "When you are admitted, I send you an invite here."
        ).format(buurt=buurt_name)
    elif aanmelding.state is AanmeldingState.WAITING and buurt_name:
        nxt = _(
            "{buurt} has no group yet: you are on its waiting list. The regiegroep lets "
            "you know when a group starts."
        ).format(buurt=buurt_name)
    elif aanmelding.state is AanmeldingState.UNROUTABLE:
        nxt = _(
            "Your address is outside the neighbourhoods I know; the regiegroep looks at "
            "your sign-up and lets you know."
        )
    else:
        nxt = _(
            "The regiegroep sends it to the right group; when you are admitted, I send "
            "you an invite here."
        )
    return RichText.of(bold(head), "\n", nxt)  # fmt: skip


# -- notices to the regiegroep and the eigenaar -------------------------------------------------
def regie_notice(tr: Translator, aanmelding: Aanmelding, buurt_name: str | None) -> RichText:
    """Short on purpose: no phone number, no address, only where the sign-up went."""
    _ = tr.gettext
    if aanmelding.state is AanmeldingState.UNROUTABLE:
        where = _("outside every buurt")
    elif aanmelding.state is AanmeldingState.WAITING:
        where = _("{buurt} (waiting list)").format(buurt=buurt_name or "?")
    else:
        where = buurt_name or "?"
    line = _("New sign-up {id}: {name}, {where}.").format(
        id=aanmelding.id, name=aanmelding.name, where=where
    )
    return RichText.of("📝 ", line)


def no_eigenaar(tr: Translator, aanmelding_id: str, group_name: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Sign-up {id} is for {group}, but I cannot reach its eigenaar. Please pass it on."
          ).format(id=aanmelding_id, group=group_name)
    )  # fmt: skip


def eigenaar_notice(tr: Translator, aanmelding: Aanmelding, group_name: str) -> RichText:
    """Everything the eigenaar needs to decide (and, on Signal, to add the number)."""
    _ = tr.gettext
    lines = [
        _("Name: {name}").format(name=aanmelding.name),
        _("Address: {postcode} {number}").format(
            postcode=aanmelding.postcode or "", number=aanmelding.house_number or ""
        ),
    ]
    if aanmelding.street:
        lines.append(_("Street: {street}").format(street=aanmelding.street))
    if aanmelding.phone:
        lines.append(_("Phone: {phone}").format(phone=aanmelding.phone))
    if aanmelding.identity is not None:
        lines.append(_("Signed up via the bot on {platform}").format(
            platform=aanmelding.identity.platform.value))  # fmt: skip
    elif aanmelding.contact_platform is not None:
        lines.append(_("Wants to use {platform}").format(
            platform=aanmelding.contact_platform.value))  # fmt: skip
    lines.append(_("18 or older, lives or works here, accepts the house rules: confirmed."))
    how = _("Admit with {admit} {id}, or decline with {decline} {id} <reason>.").format(
        admit=_cmd(tr, Command.ADMIT), decline=_cmd(tr, Command.DECLINE), id=aanmelding.id
    )
    return RichText.of(
        bold(_("New sign-up {id} for {group}").format(id=aanmelding.id, group=group_name)),
        "\n",
        "\n".join(lines),
        "\n",
        how,
    )


def eigenaar_joined(tr: Translator, name: str, group_name: str, *, by_hand: bool) -> RichText:
    _ = tr.gettext
    said = _("{name} has accepted the invite to {group}.").format(name=name, group=group_name)
    if by_hand:
        more = _("I cannot add members on this platform: please add them to the group.")
        return RichText.of("✅ ", said, " ", more)
    return RichText.of("✅ ", said)


# -- admission and invites ----------------------------------------------------------------------
def deep_link(token: str, bot_username: str) -> str:
    """The Telegram link that opens the bot with ``/start <token>``."""
    return f"https://t.me/{bot_username}?start={token}"


def invite_instructions(
    tr: Translator,
    platform: Platform,
    token: str,
    bot_username: str | None,
    bot_address: str | None = None,
) -> RichText:
    """How to redeem the invite on ``platform``: a link where one exists, else what to type
    (and, on Signal, to which number: ``bot_address``, where known)."""
    _ = tr.gettext
    if platform is Platform.TELEGRAM and bot_username:
        return RichText.of(_("Open this link to join: {link}").format(
            link=deep_link(token, bot_username)))  # fmt: skip
    if platform is Platform.SIGNAL and bot_address:
        return RichText.of(
            _("Send this message on Signal to the bot's number, {number}:").format(
                number=bot_address
            ),
            "\n",
            code(f"START {token}"),
        )
    if platform is Platform.SIGNAL:
        return RichText.of(
            _("Send this message to the bot's number on Signal:"), "\n", code(f"START {token}")
        )
    return RichText.of(_("Send this to the bot:"), "\n", code(f"/start {token}"))


def admitted(tr: Translator, group_name: str, days: int) -> RichText:
    _ = tr.gettext
    valid = tr.ngettext(
        "The invite works once and for {n} day.",
        "The invite works once and for {n} days.",
        days,
    ).format(n=days)
    return RichText.of(
        bold(_("Welcome! You have been admitted to {group}.").format(group=group_name)),
        "\n",
        valid,
    )


def declined(tr: Translator, reason: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Your sign-up for buurtpreventie was not accepted. The reason given:"),
        "\n",
        reason,
    )


def joined(tr: Translator, group_name: str, *, by_hand: bool, join_link: bool) -> RichText:
    _ = tr.gettext
    head = _("You are now a member of {group}.").format(group=group_name)
    if join_link:
        more = _("You will get a link to the group; your request to join is approved for "
                 "you only.")  # fmt: skip
    elif by_hand:
        more = _("The eigenaar adds you to the group shortly.")
    else:
        more = _("I am adding you to the group now.")
    return RichText.of(bold(head), "\n", more, "\n", _("In an emergency, always call 112 first."))


def join_link(tr: Translator, group_name: str) -> RichText:
    """Precedes the join link the platform made; the link itself follows on the next line."""
    _ = tr.gettext
    return RichText.of(
        _("Your link to {group}: tap it and ask to join. I approve the request for your "
          "account only; the link works once.").format(group=group_name)
    )  # fmt: skip


def bad_token(tr: Translator) -> RichText:
    """The one answer for every token that does not work: it must reveal nothing."""
    _ = tr.gettext
    return RichText.of(_("This invite does not work. Ask the eigenaar of your group for a new "
                         "one."))  # fmt: skip


def too_many_attempts(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Too many attempts. Please try again later."))


def redeem_ask_rules(tr: Translator, rules: RichText) -> RichText:
    _ = tr.gettext
    return RichText.of(
        bold(_("One last step before you join.")), "\n\n", rules, "\n\n",
        bold(_("Do you accept these house rules?")),
    )  # fmt: skip


def redeem_refused(tr: Translator) -> RichText:
    _ = tr.gettext
    return RichText.of(_("Then I cannot add you to the group. Your invite stays valid until "
                         "it expires, should you change your mind."))  # fmt: skip


# -- the eigenaar's and the hoofdcoordinator's commands -----------------------------------------
def usage(tr: Translator, command: Command) -> RichText:
    _ = tr.gettext
    name = _cmd(tr, command)
    if command is Command.DECLINE:
        return RichText.of(_("Use {command} <number> <reason>.").format(command=name))
    if command is Command.ROUTE:
        return RichText.of(_("Use {command} <number> <buurt>.").format(command=name))
    return RichText.of(_("Use {command} <number>.").format(command=name))


def unknown_aanmelding(tr: Translator, given: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("I know no sign-up {id}.").format(id=given))


def not_yours(tr: Translator, aanmelding_id: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Sign-up {id} is not for your group: only its eigenaar or the hoofdcoordinator "
          "decides.").format(id=aanmelding_id)
    )  # fmt: skip


def wrong_state(tr: Translator, aanmelding_id: str, state: AanmeldingState) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Sign-up {id} cannot be handled that way: it is {state}.").format(
            id=aanmelding_id, state=state_name(tr, state)
        )
    )


def admit_blocked(tr: Translator, aanmelding_id: str, reason: str) -> RichText:
    _ = tr.gettext
    return RichText.of(
        _("Sign-up {id} cannot be admitted: this person is blocked in the gemeente "
          "(reason: {reason}). Only the regiegroep can lift the block."
          ).format(id=aanmelding_id, reason=reason or "-")
    )  # fmt: skip


def admit_confirmed(
    tr: Translator, name: str, aanmelding_id: str, instructions: RichText | None
) -> RichText:
    """``instructions`` is set when the resident cannot be reached: the eigenaar passes it on."""
    _ = tr.gettext
    head = _("{name} ({id}) is admitted.").format(name=name, id=aanmelding_id)
    if instructions is None:
        return RichText.of("✅ ", head, " ", _("I have sent them the invite."))
    return RichText.of(
        "✅ ", head, " ",
        _("They signed up on the web, so I cannot reach them: please pass this on "
          "(it works once):"),
        "\n", instructions,
    )  # fmt: skip


def decline_confirmed(tr: Translator, name: str, aanmelding_id: str, told: bool) -> RichText:
    _ = tr.gettext
    head = _("Sign-up {id} of {name} is declined.").format(id=aanmelding_id, name=name)
    if told:
        return RichText.of(head, " ", _("I have told them the reason."))
    return RichText.of(head, " ", _("I cannot reach them: please let them know yourself."))


def route_confirmed(tr: Translator, aanmelding_id: str, buurt_name: str, waiting: bool) -> RichText:
    _ = tr.gettext
    if waiting:
        return RichText.of(_("Sign-up {id} is on the waiting list of {buurt}.").format(
            id=aanmelding_id, buurt=buurt_name))  # fmt: skip
    return RichText.of(_("Sign-up {id} went to the eigenaar of {buurt}.").format(
        id=aanmelding_id, buurt=buurt_name))  # fmt: skip


def unknown_buurt(tr: Translator, given: str) -> RichText:
    _ = tr.gettext
    return RichText.of(_("I know no buurt {buurt}.").format(buurt=given))


def pending(
    tr: Translator,
    routed: Sequence[tuple[Aanmelding, str]],
    unrouted: Sequence[tuple[Aanmelding, str]],
    waiting: Sequence[tuple[str, int]],
) -> RichText:
    """``routed``: sign-ups with the caller's groups; the rest only for the hoofdcoordinator."""
    _ = tr.gettext
    if not routed and not unrouted and not waiting:
        return RichText.of(_("No sign-ups are waiting for you."))
    parts: list[str | RichText] = []
    if routed:
        parts += [RichText.of(bold(_("Waiting for your decision"))), "\n"]
        parts += [f"{a.id} · {a.name} · {group} · {tr.date(a.created_at)}\n" for a, group in routed]
    if unrouted:
        parts += [RichText.of(bold(_("To be routed"))), "\n"]
        parts += [f"{a.id} · {a.name} · {where}\n" for a, where in unrouted]
    if waiting:
        parts += [RichText.of(bold(_("Waiting lists"))), "\n"]
        parts += [f"{buurt}: {n}\n" for buurt, n in waiting]
    return RichText.of(*parts)
