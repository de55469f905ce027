"""Meldingen: the guided ``/melding`` dialogue, and ``/112`` ("112 has been called").

The dialogue runs in the buurtgroep where it was started, one question at a time, with
buttons where the platform has them and numbered replies elsewhere. Only the finished
melding is posted; the answers along the way live in the dialogue and are dropped after.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from buurtbot.core.actions import Button, EditText
from buurtbot.core.commands import Command
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.dialogue import Dialogue
from buurtbot.core.domain.kenteken import normalise_plate
from buurtbot.core.domain.melding import (
    Called112,
    Melding,
    PersonDescription,
    VehicleDescription,
)
from buurtbot.core.domain.model import Group
from buurtbot.core.events import CommandReceived, MessageReceived
from buurtbot.core.ids import GroupId, MessageRef
from buurtbot.core.services.handlers.registry import (
    ButtonHandler,
    CommandHandler,
    DialogueHandler,
)
from buurtbot.core.services.situation import Situation
from buurtbot.core.text import split
from buurtbot.core.texts import escalation as escalation_texts
from buurtbot.core.texts import meldingen as texts
from buurtbot.core.texts import replies

FLOW = "melding"
BUTTON = "melding"
CALLED_BUTTON = "112"
#: A melding left half-way is forgotten after this long.
DIALOGUE_TIMEOUT = timedelta(minutes=20)
#: Longest answer kept for one question.
MAX_ANSWER = 200

PERSON_FIELDS = ("gender", "height", "clothing", "particulars")
VEHICLE_FIELDS = ("colour", "make", "type", "plate")
#: Categories that answer "a person or a vehicle?" by themselves.
IMPLIED_SUBJECT = {"verdachte-persoon": "person", "verdacht-voertuig": "vehicle"}
SKIP = frozenset({"-", "–", "skip", "overslaan", "geen", "none", "?"})


def post_key(melding_id: str) -> str:
    """The outbox key of a melding's post in the group: a reply to it finds the melding."""
    return f"melding:{melding_id}:post"


def melding_of_post_key(key: str | None) -> str | None:
    if key and key.startswith("melding:") and key.endswith(":post"):
        return key[len("melding:") : -len(":post")]
    return None


# ---------------------------------------------------------------------------------------------
# The guided dialogue
# ---------------------------------------------------------------------------------------------
def start_melding(s: Situation, cmd: CommandReceived) -> None:
    assert s.person is not None and s.network is not None  # the policy admits members only
    current = s.uow.dialogues.get(cmd.chat, s.person.id)
    if current is not None and current.flow == FLOW and current.expires_at > s.now:
        s.reply(texts.melding_busy(s.tr), to=cmd.message)
        return
    dialogue = Dialogue(
        chat=cmd.chat,
        person=s.person.id,
        flow=FLOW,
        step="category",
        started_at=s.now,
        expires_at=s.now + DIALOGUE_TIMEOUT,
    )
    s.uow.dialogues.put(dialogue)
    _ask(s, dialogue)


def cancel(s: Situation, cmd: CommandReceived) -> None:
    """``/stop`` ends whichever guided flow the person is in, here."""
    dialogue = s.uow.dialogues.get(cmd.chat, s.person.id) if s.person is not None else None
    if s.person is not None and dialogue is not None:
        s.uow.dialogues.drop(cmd.chat, s.person.id)
        s.uow.choices.take(cmd.chat, s.person.id)
        cancelled = (
            texts.melding_cancelled(s.tr) if dialogue.flow == FLOW else replies.stopped(s.tr)
        )
        s.reply(cancelled, to=cmd.message)
        return
    s.reply(replies.nothing_to_cancel(s.tr), to=cmd.message)


def _ask(s: Situation, dialogue: Dialogue, *, to: MessageRef | None = None) -> None:
    """Put the question of the dialogue's current step."""
    assert s.network is not None
    step, tr = dialogue.step, s.tr

    def options(values: list[tuple[str, str]]) -> list[Button]:
        return [Button(label, f"{BUTTON}:{step}:{value}") for value, label in values]

    if step == "category":
        cats = [(c, texts.category_label(tr, c)) for c in s.network.gemeente.settings.categories]
        s.out.ask(dialogue.chat, dialogue.person, tr, texts.ask_category(tr), options(cats))
    elif step == "where":
        s.reply(texts.ask_where(tr), to=to)
    elif step == "when":
        whens = [(w, texts.when_label(tr, w)) for w in ("now", "hour", "today")]
        s.out.ask(dialogue.chat, dialogue.person, tr, texts.ask_when(tr), options(whens))
    elif step == "subject":
        subjects = [(v, texts.subject_label(tr, v)) for v in ("person", "vehicle", "both", "none")]
        s.out.ask(dialogue.chat, dialogue.person, tr, texts.ask_subject(tr), options(subjects))
    elif step == "gender":
        genders = [(g, texts.gender_label(tr, g)) for g in ("man", "woman", "unknown")]
        s.out.ask(
            dialogue.chat, dialogue.person, tr, texts.ask_detail(tr, "gender"), options(genders)
        )
    elif step in PERSON_FIELDS or step in VEHICLE_FIELDS:
        s.reply(texts.ask_detail(tr, step), to=to)
    elif step == "called":
        yes_no = [("yes", texts.yes_no(tr, True)), ("no", texts.yes_no(tr, False))]
        s.out.ask(dialogue.chat, dialogue.person, tr, texts.ask_112(tr), options(yes_no))


def _next_step(data: dict[str, str], step: str) -> str:
    """The question after ``step``, given the answers so far."""
    order = ["category", "where", "when", "subject"]
    subject = data.get("subject", "none")
    if subject in ("person", "both"):
        order += list(PERSON_FIELDS)
    if subject in ("vehicle", "both"):
        order += list(VEHICLE_FIELDS)
    order.append("called")
    following = order[order.index(step) + 1 :]
    for candidate in following:
        if candidate == "subject" and "subject" in data:
            continue  # the category said it already
        return candidate
    return "done"


def _answer(s: Situation, dialogue: Dialogue, value: str, *, to: MessageRef | None) -> None:
    """Record ``value`` for the current step and move on (or finish)."""
    data = dict(dialogue.data)
    step = dialogue.step
    if value:
        data[step] = value[:MAX_ANSWER]
    if step == "category" and value in IMPLIED_SUBJECT:
        data["subject"] = IMPLIED_SUBJECT[value]
    if step == "plate" and value:
        plate = normalise_plate(value)
        if plate is None:
            data["plate_typed"] = data.pop("plate")
            s.reply(texts.plate_not_recognised(s.tr, value[:40]), to=to)
        else:
            data["plate"] = plate.value
    nxt = _next_step(data, step)
    if nxt == "done":
        s.uow.dialogues.drop(dialogue.chat, dialogue.person)
        _post(s, data)
        return
    moved = replace(dialogue, step=nxt, data=data, expires_at=s.now + DIALOGUE_TIMEOUT)
    s.uow.dialogues.put(moved)
    _ask(s, moved, to=to)


def on_button(s: Situation, value: str) -> None:
    """A button (or numbered reply) of the dialogue: ``<step>:<answer>``."""
    if s.person is None:
        return
    step, _, answer = value.partition(":")
    dialogue = s.uow.dialogues.get(s.event.chat, s.person.id)
    if (
        dialogue is None
        or dialogue.flow != FLOW
        or dialogue.step != step
        or dialogue.expires_at <= s.now
    ):
        return  # a stale button of an earlier question: nothing to do
    if step == "called":
        answer = "yes" if answer == "yes" else "no"
    _answer(s, dialogue, answer, to=getattr(s.event, "message", None))


def on_message(s: Situation, dialogue: Dialogue, msg: MessageReceived) -> None:
    """A typed answer. Questions with options accept only an option (or its number)."""
    text = " ".join(msg.text.split())
    if dialogue.step in ("category", "subject", "called"):
        _ask(s, dialogue, to=msg.message)  # the options are asked again
        return
    if text.casefold() in SKIP or not text:
        text = ""
    if dialogue.step == "gender" and text:
        text = _gender_word(text)
    _answer(s, dialogue, text, to=msg.message)


def _gender_word(text: str) -> str:
    words = {
        "man": "man",
        "m": "man",
        "male": "man",
        "vrouw": "woman",
        "v": "woman",
        "woman": "woman",
        "female": "woman",
        "onbekend": "unknown",
        "unknown": "unknown",
    }
    return words.get(text.casefold(), text)


def _post(s: Situation, data: dict[str, str]) -> None:
    assert s.person is not None and s.network is not None and s.group is not None
    melding_id = uuid.uuid4().hex[:12]
    person = (
        PersonDescription(
            gender=data.get("gender"),
            height=data.get("height"),
            clothing=data.get("clothing"),
            particulars=data.get("particulars"),
        )
        if data.get("subject") in ("person", "both")
        else None
    )
    vehicle = (
        VehicleDescription(
            colour=data.get("colour"),
            make=data.get("make"),
            type=data.get("type"),
            plate=data.get("plate"),
            plate_as_typed=data.get("plate_typed"),
        )
        if data.get("subject") in ("vehicle", "both")
        else None
    )
    reporter = s.person.display_name or s.event.sender.display_name or "?"
    called = Called112(s.person.id, reporter, s.now) if data.get("called") == "yes" else None
    melding = Melding(
        id=melding_id,
        gemeente_id=s.network.gemeente.id,
        group_id=s.group.id,
        created_at=s.now,
        reporter=s.person.id,
        category=data.get("category"),
        where=data.get("where"),
        when=data.get("when"),
        person=person,
        vehicle=vehicle,
        called_112=called,
        structured=True,
    )
    s.uow.meldingen.save(melding)
    # The group reads the melding in the group's language, not the reporter's.
    tr = s.translator_for(None, s.group)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if called is None and s.out.capabilities(s.event.chat.platform).buttons:
        buttons = ((Button(texts.called_button_label(tr), f"{CALLED_BUTTON}:{melding_id}"),),)
    s.out.send(
        s.event.chat,
        texts.melding_post(tr, melding, reporter, called),
        buttons=buttons,
        key=post_key(melding_id),
    )
    if called is not None:
        _audit_112(s, melding)


# ---------------------------------------------------------------------------------------------
# 112
# ---------------------------------------------------------------------------------------------
def called_112(s: Situation, cmd: CommandReceived) -> None:
    """``/112``: as a reply to a melding (or any message about the situation), or alone."""
    assert s.network is not None and s.group is not None
    melding = melding_for_message(s, cmd.reply_to) if cmd.reply_to else None
    if melding is None and cmd.reply_to is None:
        since = s.now - called_window(s)
        melding = s.uow.meldingen.latest_in_group(s.group.id, since)
    if melding is None:
        melding = Melding(
            id=uuid.uuid4().hex[:12],
            gemeente_id=s.network.gemeente.id,
            group_id=s.group.id,
            created_at=s.now,
            message=cmd.reply_to or cmd.message,
        )
    _mark_called(s, melding, to=cmd.message)


def called_button(s: Situation, melding_id: str) -> None:
    melding = s.uow.meldingen.get(melding_id)
    if melding is None or s.group is None or melding.group_id != s.group.id:
        return
    _mark_called(s, melding, to=None)


def called_window(s: Situation) -> timedelta:
    assert s.network is not None
    return timedelta(minutes=s.network.gemeente.settings.called_112_window_minutes)


def melding_for_message(s: Situation, message: MessageRef | None) -> Melding | None:
    if message is None:
        return None
    melding_id = melding_of_post_key(s.uow.outbox.key_of_message(message))
    if melding_id is not None:
        return s.uow.meldingen.get(melding_id)
    return s.uow.meldingen.by_message(message)


def _mark_called(s: Situation, melding: Melding, *, to: MessageRef | None) -> None:
    earlier = melding.called_within(s.now, called_window(s))
    if earlier is not None:
        s.reply(texts.already_called(s.tr, earlier), to=to)
        return
    assert s.group is not None
    name = (s.person.display_name if s.person else "") or s.event.sender.display_name or "?"
    called = Called112(s.person.id if s.person else None, name, s.now)
    melding = replace(melding, called_112=called)
    s.uow.meldingen.save(melding)
    group_tr = s.translator_for(None, s.group)
    s.out.send(s.event.chat, texts.called_112_announcement(group_tr, called), reply_to=to)
    _audit_112(s, melding)
    _update_escalated_copies(s, melding)


def _audit_112(s: Situation, melding: Melding) -> None:
    s.uow.audit.add(
        AuditEntry(
            gemeente_id=melding.gemeente_id,
            at=s.now,
            action=AuditAction.CALLED_112,
            actor=s.person.id if s.person else None,
            group_id=melding.group_id,
            detail={"melding": melding.id},
        )
    )


def _update_escalated_copies(s: Situation, melding: Melding) -> None:
    """Every escalated copy of the melding shows the new 112 status: edited in place where
    the platform can, as a short follow-up where it cannot."""
    from buurtbot.core.services.handlers.escalation import render_copy  # shared renderer

    for escalation in s.uow.escalations.for_melding(melding.id):
        for delivery in s.uow.escalations.deliveries(escalation.id):
            tr = s.translator_for(None, _group_or_none(s, delivery.target.group_id))
            caps = s.out.capabilities(delivery.chat.platform)
            if caps.edit_messages:
                # The status is in the header: only the first piece of a long copy changes.
                text = split(render_copy(s, tr, escalation, melding), caps.max_text_length)[0]
                s.out.add(EditText(chat=delivery.chat, outbox_key=delivery.outbox_key, text=text))
            else:
                sent = s.uow.outbox.sent_message(delivery.outbox_key)
                assert melding.called_112 is not None
                s.out.send(
                    delivery.chat,
                    escalation_texts.update_112(tr, melding.called_112),
                    reply_to=sent,
                )


def _group_or_none(s: Situation, group_id: GroupId | None) -> Group | None:
    return s.network.group(group_id) if s.network is not None and group_id else None


COMMAND_HANDLERS: dict[Command, CommandHandler] = {
    Command.MELDING: start_melding,
    Command.CALLED_112: called_112,
    Command.CANCEL: cancel,
}
BUTTON_HANDLERS: dict[str, ButtonHandler] = {BUTTON: on_button, CALLED_BUTTON: called_button}
DIALOGUE_HANDLERS: dict[str, DialogueHandler] = {FLOW: on_message}
