"""Sign-up (aanmelding) to admission: the state changes and who is told what (flow 1).

Platform-neutral and chat-neutral: the bot dialogue and a later web form both call
:func:`submit_aanmelding`; the eigenaar's commands call :func:`admit`, :func:`decline` and
:func:`reroute`; the resident's ``/start <token>`` calls :func:`check_token` and
:func:`redeem`. Every message goes into the outbox of the caller's unit of work; the caller
commits.

Decisions, where the issue left room:

- **Blocked people sign up like anyone else.** Refusing at sign-up would tell a blocked
  person (or anyone typing their phone number) about the block. The block is checked when
  the eigenaar admits (the eigenaar is told why it is refused) and again at redemption
  (the resident gets the one generic "this invite does not work").
  A block is matched by the sign-up's platform account, by its phone number as a Signal
  account, and by the person already linked to the aanmelding. Names are never matched:
  too many residents share one.
- **A shared postcode without a street** is a validation problem (``STREET_REQUIRED``), so
  the form asks for the street; a street that matches none of the buurten makes the
  sign-up UNROUTABLE and the regiegroep decides.
- **Address minimisation.** At admission the postcode, house number and street are cleared
  (the buurt stays); the phone number stays only when the buurtgroep is on Signal (where
  the eigenaar adds people by number). When the invite is redeemed the phone number goes
  too: the platform account now carries it. A declined sign-up keeps only name and reason.
- **The regiegroep's notice is short**: name, buurt (or waiting list / outside every buurt)
  and the id. Phone number and address go privately to the eigenaar only.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import phonenumbers

from buurtbot.core.actions import AddMember, CreateInvite
from buurtbot.core.domain.aanmelding import (
    Aanmelding,
    AanmeldingState,
    Channel,
    Invite,
    hash_token,
    new_aanmelding_id,
    new_invite_token,
)
from buurtbot.core.domain.model import (
    Buurt,
    GemeenteRole,
    Group,
    GroupKind,
    GroupRole,
    Locale,
    Person,
)
from buurtbot.core.domain.moderation import Block
from buurtbot.core.domain.network import Network, normalise_street
from buurtbot.core.domain.postcode import InvalidPostcode, normalise_postcode
from buurtbot.core.domain.roster import Roster
from buurtbot.core.i18n import Translator, Translators, resolve_locale
from buurtbot.core.ids import BuurtId, ChatRef, GroupId, PersonId, Platform, PlatformIdentity
from buurtbot.core.ports import Capabilities, UnitOfWork
from buurtbot.core.services.outgoing import Outgoing
from buurtbot.core.services.situation import private_chat
from buurtbot.core.texts import signup as texts

#: Longest name and street kept.
MAX_NAME = 80
MAX_STREET = 80
#: Invite tokens: what ``new_invite_token`` makes, with room for other generators.
MAX_TOKEN = 64
#: Where a phone number without country code is read, and the longest text read as one.
PHONE_REGION = "NL"
MAX_PHONE_INPUT = 40
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HOUSE_NUMBER = re.compile(r"^[1-9][0-9]{0,4}(?:[ -]?[A-Za-z0-9]{1,4})?$")
#: Bad invite tokens one account may try per window before it must wait.
MAX_BAD_ATTEMPTS = 5
ATTEMPT_WINDOW = timedelta(hours=1)
ATTEMPT_KIND = "invite-token"


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
class Problem(enum.StrEnum):
    """Why a sign-up was not accepted; each has a localised explanation."""

    MISSING_NAME = "missing-name"
    BAD_POSTCODE = "bad-postcode"
    BAD_HOUSE_NUMBER = "bad-house-number"
    STREET_REQUIRED = "street-required"
    NOT_ADULT = "not-adult"
    NOT_LOCAL = "not-local"
    RULES_NOT_ACCEPTED = "rules-not-accepted"
    NO_CONTACT = "no-contact"
    BAD_PHONE = "bad-phone"


def normalise_phone(text: str) -> str | None:
    """A valid phone number in E.164 (``+31612345678``), or ``None``.

    Read with :mod:`phonenumbers`, Dutch by default: ``0612345678``, ``+31612345678``,
    ``0031612345678``, ``+31 (0)6 1234 5678``, with spaces, dashes, dots or brackets;
    landlines (``074-1234567``) too. A number must be valid for its country's numbering
    plan, not merely the right length.

    Foreign numbers are accepted when written with their country code (``+32 470 …``,
    ``0049 151 …``): a resident near the border may well have a Belgian or German mobile,
    and Signal reaches it all the same. A number with an extension is refused: no chat
    account has one.
    """
    if len(text) > MAX_PHONE_INPUT:
        return None
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_valid_number(number):
        return None
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def parse_address(text: str) -> tuple[str, str] | None:
    """``'7471 AB 12'``, ``'7471ab, 12-a'`` → ``('7471AB', '12-A')``; ``None`` when unclear."""
    match = re.match(r"^\s*([1-9][0-9]{3}\s*[A-Za-z]{2})[\s,]+(\S.*?)\s*$", text)
    if not match:
        return None
    try:
        postcode = normalise_postcode(match.group(1))
    except InvalidPostcode:
        return None
    number = match.group(2).upper()
    return (postcode, number) if _HOUSE_NUMBER.match(number) else None


def buurten_of_postcode(network: Network, postcode: str) -> tuple[Buurt, ...]:
    """Every buurt whose ranges hold ``postcode`` (several: the street decides); none for
    text that is not a postcode."""
    try:
        return network.buurten_at(postcode)
    except InvalidPostcode:
        return ()


@dataclass(frozen=True, slots=True)
class SignupForm:
    """What a resident filled in, from the bot dialogue or the web form.

    ``identity``: the account the bot dialogue ran on (``None`` on the web).
    ``contact_platform``: where the resident wants to be reached when no account is known.
    """

    name: str
    postcode: str
    house_number: str
    street: str | None
    phone: str | None
    contact_platform: Platform | None
    identity: PlatformIdentity | None
    locale: Locale
    adult: bool
    lives_here: bool
    rules_accepted: bool
    channel: Channel


@dataclass(frozen=True, slots=True)
class SignupResult:
    """The stored aanmelding, or the problems that kept it from being stored."""

    aanmelding: Aanmelding | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.aanmelding is not None


def validate(network: Network, form: SignupForm) -> tuple[Problem, ...]:
    """Every problem of ``form``, in the order a form shows its fields."""
    problems: list[Problem] = []
    if not " ".join(form.name.split()):
        problems.append(Problem.MISSING_NAME)
    postcode: str | None = None
    try:
        postcode = normalise_postcode(form.postcode)
    except InvalidPostcode:
        problems.append(Problem.BAD_POSTCODE)
    if not _HOUSE_NUMBER.match(form.house_number.strip().upper()):
        problems.append(Problem.BAD_HOUSE_NUMBER)
    street = (form.street or "").strip()
    if postcode is not None and not street and len(buurten_of_postcode(network, postcode)) > 1:
        problems.append(Problem.STREET_REQUIRED)
    if not form.adult:
        problems.append(Problem.NOT_ADULT)
    if not form.lives_here:
        problems.append(Problem.NOT_LOCAL)
    if not form.rules_accepted:
        problems.append(Problem.RULES_NOT_ACCEPTED)
    phone = (form.phone or "").strip()
    if phone and normalise_phone(phone) is None:
        problems.append(Problem.BAD_PHONE)
    elif not phone and form.contact_platform is None and form.identity is None:
        problems.append(Problem.NO_CONTACT)
    return tuple(problems)


# ---------------------------------------------------------------------------------------------
# Submitting and routing
# ---------------------------------------------------------------------------------------------
def submit_aanmelding(
    uow: UnitOfWork,
    network: Network,
    form: SignupForm,
    *,
    now: datetime,
    translators: Translators,
    capabilities: Mapping[Platform, Capabilities] | None = None,
    out: Outgoing | None = None,
) -> SignupResult:
    """Validate, store and route one sign-up, and queue the notices.

    The regiegroep always gets a short notice; a routed sign-up goes privately to the
    buurtgroep's eigenaar. Pass ``out`` to queue under the caller's event (the bot); else
    the notices are keyed by the aanmelding id.
    """
    problems = validate(network, form)
    if problems:
        return SignupResult(problems=problems)
    aanmelding_id = new_aanmelding_id()
    while uow.aanmeldingen.get(aanmelding_id) is not None:
        aanmelding_id = new_aanmelding_id()
    phone = normalise_phone(form.phone) if form.phone and form.phone.strip() else None
    aanmelding = Aanmelding(
        id=aanmelding_id,
        gemeente_id=network.gemeente.id,
        created_at=now,
        name=" ".join(form.name.split())[:MAX_NAME],
        locale=form.locale,
        channel=form.channel,
        adult_confirmed=form.adult,
        lives_or_works_here=form.lives_here,
        rules_accepted=form.rules_accepted,
        postcode=normalise_postcode(form.postcode),
        house_number=form.house_number.strip().upper(),
        street=" ".join((form.street or "").split())[:MAX_STREET] or None,
        phone=phone,
        contact_platform=form.contact_platform,
        identity=form.identity,
        state_changed_at=now,
    )
    out = out or Outgoing(uow, capabilities or {}, key=f"aanmelding:{aanmelding_id}", now=now)
    buurt = _route(network, aanmelding)
    aanmelding = _place(uow, network, aanmelding, buurt, now=now, out=out, translators=translators)
    return SignupResult(aanmelding=aanmelding)


def _route(network: Network, aanmelding: Aanmelding) -> Buurt | None:
    assert aanmelding.postcode is not None
    buurt = network.route(aanmelding.postcode, aanmelding.street)
    if buurt is None and aanmelding.street:
        # A street given for an unshared postcode is a detail, not a routing key.
        found = buurten_of_postcode(network, aanmelding.postcode)
        if len(found) == 1:
            return found[0]
        wanted = normalise_street(aanmelding.street)
        matches = [b for b in found if wanted in {normalise_street(s) for s in b.streets}]
        return matches[0] if len(matches) == 1 else None
    return buurt


def choose_group(network: Network, buurt_id: BuurtId, platform: Platform | None) -> Group | None:
    """The buurtgroep a resident of ``buurt_id`` joins: one on their platform if there is."""
    groups = network.buurtgroepen_of(buurt_id)
    on_platform = [g for g in groups if g.chat.platform is platform]
    candidates = on_platform or list(groups)
    return candidates[0] if candidates else None


def _contact_platform(aanmelding: Aanmelding) -> Platform | None:
    if aanmelding.contact_platform is not None:
        return aanmelding.contact_platform
    if aanmelding.identity is not None:
        return aanmelding.identity.platform
    return Platform.SIGNAL if aanmelding.phone else None


def _place(
    uow: UnitOfWork,
    network: Network,
    aanmelding: Aanmelding,
    buurt: Buurt | None,
    *,
    now: datetime,
    out: Outgoing,
    translators: Translators,
    by: PersonId | None = None,
    tell_regie: bool = True,
) -> Aanmelding:
    """Give ``aanmelding`` its buurt, group and state, save it, and tell who must know.

    The regiegroep hears of a sign-up placed without a decider (``by``), unless the caller
    tells it otherwise (``tell_regie=False``: the waiting-list job sends one count).
    """
    group = choose_group(network, buurt.id, _contact_platform(aanmelding)) if buurt else None
    if buurt is None:
        state = AanmeldingState.UNROUTABLE
    elif group is None:
        state = AanmeldingState.WAITING
    elif network.gemeente.settings.auto_route or by is not None:
        state = AanmeldingState.ROUTED
    else:
        state = AanmeldingState.RECEIVED
    aanmelding = replace(
        aanmelding,
        buurt_id=buurt.id if buurt else None,
        group_id=group.id if group else None,
        state=state,
        state_changed_at=now,
        decided_by=by,
    )
    uow.aanmeldingen.save(aanmelding)
    regie = regie_group(network)
    if regie is not None and by is None and tell_regie:
        tr = group_translator(network, regie, translators)
        out.send(regie.chat, texts.regie_notice(tr, aanmelding, _buurt_name(network, aanmelding)))
    if state is AanmeldingState.ROUTED:
        assert group is not None
        notify_eigenaar(uow, network, aanmelding, group, out=out, translators=translators)
    return aanmelding


def regie_group(network: Network) -> Group | None:
    found = network.groups_of_kind(GroupKind.REGIE)
    return found[0] if found else None


def group_translator(network: Network, group: Group, translators: Translators) -> Translator:
    locale = resolve_locale(person=None, group=group, gemeente=network.gemeente)
    return translators.get(locale, network.gemeente.timezone)


def person_translator(network: Network, person: Person, translators: Translators) -> Translator:
    locale = resolve_locale(person=person, group=None, gemeente=network.gemeente)
    return translators.get(locale, network.gemeente.timezone)


def _buurt_name(network: Network, aanmelding: Aanmelding) -> str | None:
    buurt = network.buurt(aanmelding.buurt_id) if aanmelding.buurt_id else None
    return buurt.name if buurt else None


def eigenaar_of(uow: UnitOfWork, group_id: GroupId) -> Person | None:
    owner = next(
        (m for m in uow.memberships.of_group(group_id) if m.role is GroupRole.EIGENAAR), None
    )
    return uow.persons.get(owner.person_id) if owner else None


def notify_eigenaar(
    uow: UnitOfWork,
    network: Network,
    aanmelding: Aanmelding,
    group: Group,
    *,
    out: Outgoing,
    translators: Translators,
) -> None:
    """The full sign-up, privately to the eigenaar, in the eigenaar's language.

    Without an eigenaar (or a way to reach them) the regiegroep is asked to step in.
    """
    owner = eigenaar_of(uow, group.id)
    chat = private_chat(owner, prefer=group.chat.platform) if owner else None
    if owner is None or chat is None:
        regie = regie_group(network)
        if regie is not None:
            tr = group_translator(network, regie, translators)
            out.send(regie.chat, texts.no_eigenaar(tr, aanmelding.id, group.name))
        return
    tr = person_translator(network, owner, translators)
    out.send(chat, texts.eigenaar_notice(tr, aanmelding, group.name))


# ---------------------------------------------------------------------------------------------
# Decisions of the eigenaar and the hoofdcoordinator
# ---------------------------------------------------------------------------------------------
def may_decide(uow: UnitOfWork, network: Network, person: Person, aanmelding: Aanmelding) -> bool:
    """The eigenaar of the sign-up's buurtgroep, or a hoofdcoordinator of the gemeente."""
    if aanmelding.gemeente_id != network.gemeente.id:
        return False
    if GemeenteRole.HOOFDCOORDINATOR in uow.persons.gemeente_roles(network.gemeente.id, person.id):
        return True
    if aanmelding.group_id is None:
        return False
    owner = eigenaar_of(uow, aanmelding.group_id)
    return owner is not None and owner.id == person.id


def blocking(uow: UnitOfWork, aanmelding: Aanmelding) -> Block | None:
    """The block in force on the resident, matched by account, phone or linked person."""
    candidates: set[PersonId] = set()
    if aanmelding.person_id is not None:
        candidates.add(aanmelding.person_id)
    accounts = [aanmelding.identity] if aanmelding.identity else []
    if aanmelding.phone:
        accounts.append(PlatformIdentity(Platform.SIGNAL, aanmelding.phone))
    for account in accounts:
        found = _person_of(uow, account)
        if found is not None:
            candidates.add(found.id)
    for person_id in sorted(candidates):
        block = uow.blocks.in_force(aanmelding.gemeente_id, person_id)
        if block is not None:
            return block
    return None


def _person_of(uow: UnitOfWork, identity: PlatformIdentity) -> Person | None:
    if identity.platform is Platform.CONSOLE:
        found = uow.persons.get(PersonId(identity.user_ref))
        if found is not None:
            return found
    return uow.persons.by_identity(identity)


class AdmitRefusal(enum.StrEnum):
    WRONG_STATE = "wrong-state"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class Admitted:
    aanmelding: Aanmelding
    token: str
    #: Where the instructions went: the resident's chat, or ``None`` (the eigenaar passes
    #: them on: a web sign-up has no account to write to).
    resident_chat: ChatRef | None


ADMITTABLE = frozenset({AanmeldingState.ROUTED, AanmeldingState.ADMITTED})
DECLINABLE = frozenset(
    {
        AanmeldingState.RECEIVED,
        AanmeldingState.ROUTED,
        AanmeldingState.WAITING,
        AanmeldingState.UNROUTABLE,
        AanmeldingState.ADMITTED,
    }
)
ROUTABLE = frozenset(
    {
        AanmeldingState.RECEIVED,
        AanmeldingState.ROUTED,
        AanmeldingState.WAITING,
        AanmeldingState.UNROUTABLE,
    }
)


def admit(
    uow: UnitOfWork,
    network: Network,
    aanmelding: Aanmelding,
    *,
    by: PersonId,
    now: datetime,
    out: Outgoing,
    translators: Translators,
    bot_usernames: Mapping[Platform, str] | None = None,
    bot_addresses: Mapping[Platform, str] | None = None,
) -> Admitted | AdmitRefusal:
    """Issue a single-use invite (stored as its hash) and tell the resident how to use it
    (``bot_usernames`` for Telegram deep links, ``bot_addresses`` for the Signal number).

    Admitting an already admitted sign-up issues a fresh invite and revokes the old ones
    (an invite that expired before the resident got to it).
    """
    if aanmelding.state not in ADMITTABLE or aanmelding.group_id is None:
        return AdmitRefusal.WRONG_STATE
    if blocking(uow, aanmelding) is not None:
        return AdmitRefusal.BLOCKED
    group = network.group(aanmelding.group_id)
    if group is None:
        return AdmitRefusal.WRONG_STATE
    _revoke_open_invites(uow, aanmelding, now)
    token = new_invite_token()
    uow.invites.add(
        Invite(
            token_hash=hash_token(token),
            aanmelding_id=aanmelding.id,
            gemeente_id=aanmelding.gemeente_id,
            group_id=group.id,
            created_at=now,
            expires_at=now + timedelta(days=network.gemeente.settings.invite_valid_days),
        )
    )
    keep_phone = group.chat.platform is Platform.SIGNAL
    aanmelding = replace(
        aanmelding,
        state=AanmeldingState.ADMITTED,
        state_changed_at=now,
        decided_by=by,
        postcode=None,
        house_number=None,
        street=None,
        phone=aanmelding.phone if keep_phone else None,
    )
    uow.aanmeldingen.save(aanmelding)
    platform = (
        aanmelding.identity.platform if aanmelding.identity else _contact_platform(aanmelding)
    )
    platform = platform or group.chat.platform
    username = (bot_usernames or {}).get(platform)
    address = (bot_addresses or {}).get(platform)
    if aanmelding.identity is not None:
        chat = ChatRef.private_with(aanmelding.identity)
        tr = translators.get(aanmelding.locale, network.gemeente.timezone)
        out.send(
            chat,
            texts.admitted(tr, group.name, network.gemeente.settings.invite_valid_days)
            + "\n\n"
            + texts.invite_instructions(tr, platform, token, username, address),
        )
        return Admitted(aanmelding, token, chat)
    return Admitted(aanmelding, token, None)


def _revoke_open_invites(uow: UnitOfWork, aanmelding: Aanmelding, now: datetime) -> None:
    for invite in uow.invites.for_aanmelding(aanmelding.id):
        if invite.used_at is None and invite.revoked_at is None:
            uow.invites.revoke(invite.token_hash, now)


def decline(
    uow: UnitOfWork,
    network: Network,
    aanmelding: Aanmelding,
    reason: str,
    *,
    by: PersonId,
    now: datetime,
    out: Outgoing,
    translators: Translators,
) -> Aanmelding | None:
    """Decline with ``reason``, told to the resident when the bot can reach them.

    ``None`` when the sign-up is past deciding. Address and phone are dropped.
    """
    if aanmelding.state not in DECLINABLE:
        return None
    _revoke_open_invites(uow, aanmelding, now)
    aanmelding = replace(
        aanmelding,
        state=AanmeldingState.DECLINED,
        state_changed_at=now,
        decided_by=by,
        decline_reason=reason,
        postcode=None,
        house_number=None,
        street=None,
        phone=None,
    )
    uow.aanmeldingen.save(aanmelding)
    if aanmelding.identity is not None:
        tr = translators.get(aanmelding.locale, network.gemeente.timezone)
        out.send(ChatRef.private_with(aanmelding.identity), texts.declined(tr, reason))
    return aanmelding


def find_buurt(network: Network, text: str) -> Buurt | None:
    """A buurt by id or by name, case and spacing free."""
    wanted = " ".join(text.casefold().split())
    for buurt in network.buurten:
        if wanted in (buurt.id.casefold(), " ".join(buurt.name.casefold().split())):
            return buurt
    return None


def reroute(
    uow: UnitOfWork,
    network: Network,
    aanmelding: Aanmelding,
    buurt: Buurt,
    *,
    by: PersonId,
    now: datetime,
    out: Outgoing,
    translators: Translators,
) -> Aanmelding | None:
    """Send the sign-up to ``buurt``: its eigenaar, or its waiting list. ``None`` when decided."""
    if aanmelding.state not in ROUTABLE:
        return None
    return _place(uow, network, aanmelding, buurt, now=now, out=out, translators=translators, by=by)


def route_from_waiting_list(
    uow: UnitOfWork,
    network: Network,
    aanmelding: Aanmelding,
    *,
    now: datetime,
    out: Outgoing,
    translators: Translators,
) -> Aanmelding | None:
    """Place a WAITING sign-up again now that its buurt may have a buurtgroep.

    Exactly what a fresh sign-up gets (ROUTED to the eigenaar, or RECEIVED for the
    hoofdcoordinator when the gemeente routes by hand), except that the regiegroep is not
    told one by one: the caller counts. ``None`` when it is not waiting or its buurt still
    has no buurtgroep (nothing changes then).
    """
    if aanmelding.state is not AanmeldingState.WAITING or aanmelding.buurt_id is None:
        return None
    buurt = network.buurt(aanmelding.buurt_id)
    if buurt is None or not network.buurtgroepen_of(buurt.id):
        return None
    return _place(
        uow, network, aanmelding, buurt, now=now, out=out, translators=translators, tell_regie=False
    )


# ---------------------------------------------------------------------------------------------
# Redemption
# ---------------------------------------------------------------------------------------------
class TokenRefusal(enum.StrEnum):
    """Why a token did not work: kept for tests and logs, never told (one answer for all)."""

    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    BLOCKED = "blocked"
    NOT_ADMITTED = "not-admitted"
    TOO_MANY = "too-many-attempts"


def _who(identity: PlatformIdentity) -> str:
    return str(identity)


def check_token(
    uow: UnitOfWork, identity: PlatformIdentity, token: str, *, now: datetime
) -> Invite | TokenRefusal:
    """The usable invite of ``token`` for ``identity``, or why not.

    A bad token counts as an attempt of the account; after :data:`MAX_BAD_ATTEMPTS` in
    :data:`ATTEMPT_WINDOW` nothing is looked up until the window has passed.
    """
    who = _who(identity)
    if uow.attempts.count(who, ATTEMPT_KIND, now - ATTEMPT_WINDOW) >= MAX_BAD_ATTEMPTS:
        return TokenRefusal.TOO_MANY
    refusal = _token_refusal(uow, identity, token, now)
    if isinstance(refusal, TokenRefusal):
        uow.attempts.record(who, ATTEMPT_KIND, now)
    return refusal


def _token_refusal(
    uow: UnitOfWork, identity: PlatformIdentity, token: str, now: datetime
) -> Invite | TokenRefusal:
    if len(token) > MAX_TOKEN or not _TOKEN.match(token):
        return TokenRefusal.MALFORMED
    invite = uow.invites.by_hash(hash_token(token))
    if invite is None:
        return TokenRefusal.UNKNOWN
    if invite.used_at is not None:
        return TokenRefusal.USED
    if invite.revoked_at is not None:
        return TokenRefusal.REVOKED
    if now >= invite.expires_at:
        return TokenRefusal.EXPIRED
    aanmelding = uow.aanmeldingen.get(invite.aanmelding_id)
    if aanmelding is None or aanmelding.state is not AanmeldingState.ADMITTED:
        return TokenRefusal.NOT_ADMITTED
    person = _person_of(uow, identity)
    if person is not None and uow.blocks.in_force(invite.gemeente_id, person.id) is not None:
        return TokenRefusal.BLOCKED
    if blocking(uow, aanmelding) is not None:
        return TokenRefusal.BLOCKED
    return invite


@dataclass(frozen=True, slots=True)
class Joined:
    aanmelding: Aanmelding
    person: Person
    group: Group


def redeem(
    uow: UnitOfWork,
    network: Network,
    invite: Invite,
    identity: PlatformIdentity,
    *,
    now: datetime,
    out: Outgoing,
    translators: Translators,
) -> Joined | TokenRefusal:
    """Use the invite (one concurrent redemption wins), link the account, join the group.

    The platform part follows the group's capabilities: a join-request link on a platform
    that has them (approving the request is the adapter's part), a direct add where the bot
    can add members, else the eigenaar is asked to add the resident by hand.
    """
    aanmelding = uow.aanmeldingen.get(invite.aanmelding_id)
    group = network.group(invite.group_id)
    if aanmelding is None or group is None or aanmelding.state is not AanmeldingState.ADMITTED:
        return TokenRefusal.NOT_ADMITTED
    if not uow.invites.use(invite.token_hash, now, identity):
        return TokenRefusal.USED
    person = _link_person(uow, network, aanmelding, identity)
    memberships = uow.memberships.of_group(group.id)
    roster = Roster(
        group, memberships, max_mede_beheerders=network.gemeente.settings.max_mede_beheerders
    )
    if roster.admit(person.id):
        uow.memberships.replace_group(group.id, roster.memberships)
    aanmelding = replace(
        aanmelding,
        state=AanmeldingState.JOINED,
        state_changed_at=now,
        person_id=person.id,
        phone=None,
        postcode=None,
        house_number=None,
        street=None,
    )
    uow.aanmeldingen.save(aanmelding)
    caps = out.capabilities(group.chat.platform)
    tr = person_translator(network, person, translators)
    owner = eigenaar_of(uow, group.id)
    owner_chat = private_chat(owner, prefer=group.chat.platform) if owner else None
    owner_tr = person_translator(network, owner, translators) if owner else tr
    by_hand = False
    member_account = identity if identity.platform is group.chat.platform else None
    join_link = caps.join_requests and member_account is not None
    if join_link:
        out.add(
            CreateInvite(
                chat=group.chat,
                name=aanmelding.id,
                expires_at=invite.expires_at,
                send_to=ChatRef.private_with(identity),
                message=texts.join_link(tr, group.name),
            )
        )
    elif caps.add_members and member_account is not None:
        out.add(AddMember(chat=group.chat, user=member_account))
    else:
        by_hand = True
    out.send(
        ChatRef.private_with(identity),
        texts.joined(tr, group.name, by_hand=by_hand, join_link=join_link),
    )
    if owner_chat is not None:
        out.send(
            owner_chat,
            texts.eigenaar_joined(owner_tr, person.display_name, group.name, by_hand=by_hand),
        )
    return Joined(aanmelding, person, group)


def _link_person(
    uow: UnitOfWork, network: Network, aanmelding: Aanmelding, identity: PlatformIdentity
) -> Person:
    """The resident as a person of the gemeente, with this account linked."""
    person = _person_of(uow, identity)
    if person is None and aanmelding.person_id is not None:
        person = uow.persons.get(aanmelding.person_id)
    if person is None:
        person = Person(
            id=PersonId(uuid.uuid4().hex),
            gemeente_id=network.gemeente.id,
            display_name=aanmelding.name,
            locale=aanmelding.locale,
            identities=frozenset({identity}),
        )
    else:
        person = replace(
            person,
            gemeente_id=person.gemeente_id or network.gemeente.id,
            display_name=person.display_name or aanmelding.name,
            locale=person.locale or aanmelding.locale,
            identities=person.identities | {identity},
        )
    uow.persons.save(person)
    return person
