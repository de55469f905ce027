"""Every action survives the trip through JSON unchanged."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from buurtbot.adapters.sql.serialization import (
    ACTION_KINDS,
    UnknownActionKind,
    action_from_json,
    action_to_json,
)
from buurtbot.core.actions import (
    Action,
    AddMember,
    AnswerButton,
    ApproveJoin,
    Button,
    CopyMessage,
    CreateInvite,
    DeclineJoin,
    EditText,
    RemoveMember,
    SendFile,
    SendImage,
    SendText,
    SetAdmin,
)
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.text import RichText, Span, bold, code, italic

GROUP = ChatRef(Platform.TELEGRAM, "-100123")
PRIVATE = ChatRef(Platform.SIGNAL, "+31612345678", private=True)
USER = PlatformIdentity(Platform.SIGNAL, "+31612345678")
#: The PNG signature and the start of an IHDR chunk: binary that is not valid UTF-8.
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80"

EXAMPLES: dict[type[Action], list[Action]] = {
    SendText: [
        SendText(chat=GROUP, text=RichText.of("hallo")),
        SendText(
            chat=PRIVATE,
            text=RichText.of(
                bold("Let op"), ": ", italic("auto"), " ", code("AB-12-CD"), " 🚨 <b>"
            ),
            buttons=(
                (Button("Ja", "yes:1"), Button("Nee", "no:1")),
                (Button("Ik heb 112 gebeld", "112"),),
            ),
            reply_to=MessageRef(GROUP, "42"),
        ),
        SendText(chat=GROUP, text=RichText((Span("x", bold=True, italic=True, code=True),))),
        SendText(chat=GROUP, text=RichText()),
    ],
    EditText: [
        EditText(
            chat=GROUP, outbox_key="esc:e1:group:g:regie", text=RichText.of(bold("112"), " ✓")
        ),
        EditText(chat=PRIVATE, outbox_key="k", text=RichText()),
    ],
    CopyMessage: [CopyMessage(chat=GROUP, source=MessageRef(ChatRef(Platform.SIGNAL, "g"), "9"))],
    AnswerButton: [
        AnswerButton(chat=PRIVATE, callback_id="cb-1"),
        AnswerButton(chat=PRIVATE, callback_id="cb-2", text="Bedankt"),
    ],
    ApproveJoin: [ApproveJoin(chat=GROUP, user=USER)],
    DeclineJoin: [DeclineJoin(chat=GROUP, user=PlatformIdentity(Platform.TELEGRAM, "77"))],
    AddMember: [AddMember(chat=ChatRef(Platform.SIGNAL, "group.abc="), user=USER)],
    RemoveMember: [RemoveMember(chat=GROUP, user=PlatformIdentity(Platform.CONSOLE, "ann"))],
    CreateInvite: [
        CreateInvite(chat=GROUP, name="aanmelding-17"),
        CreateInvite(
            chat=GROUP,
            name="aanmelding-18",
            expires_at=datetime(2024, 5, 1, 12, 30, 15, 250, tzinfo=ZoneInfo("Europe/Amsterdam")),
        ),
        CreateInvite(
            chat=GROUP,
            name="x",
            expires_at=datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=-3))),
        ),
        CreateInvite(
            chat=GROUP,
            name="aanmelding-19",
            send_to=PRIVATE,
            message=RichText.of(bold("Welkom"), " <b>&amp;"),
        ),
    ],
    SetAdmin: [
        SetAdmin(chat=GROUP, user=PlatformIdentity(Platform.TELEGRAM, "77"), admin=True),
        SetAdmin(chat=ChatRef(Platform.SIGNAL, "group.abc="), user=USER, admin=False),
    ],
    SendFile: [
        SendFile(chat=PRIVATE, filename="mijn-gegevens.json", content=b'{"a": "\xc3\xa9"}\n'),
        SendFile(
            chat=PRIVATE,
            filename="x.bin",
            content=bytes(range(256)),
            caption=RichText.of(bold("Je gegevens"), " 📄"),
        ),
        SendFile(chat=GROUP, filename="leeg", content=b"", caption=RichText()),
    ],
    SendImage: [
        SendImage(chat=GROUP, filename="grafiek.png", content=PNG_BYTES),
        SendImage(
            chat=ChatRef(Platform.SIGNAL, "group.abc="),
            filename="hof-van-twente-2026-W49.png",
            content=PNG_BYTES + bytes(range(256)),
            caption=RichText.of(bold("Escalaties per kern"), " 📈 <b>"),
        ),
    ],
}


def _subclasses(cls: type[Action]) -> set[type[Action]]:
    found: set[type[Action]] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _is_published(cls: type) -> bool:
    """Defined at the top level of a buurtbot module (``slots=True`` leaves the replaced
    pre-slots classes behind in ``__subclasses__``; they are not what the module exports)."""
    module = sys.modules.get(cls.__module__)
    return cls.__module__.startswith("buurtbot.") and getattr(module, cls.__qualname__, None) is cls


def test_every_action_class_has_examples_and_a_kind() -> None:
    """A new action class fails here until it is serialised (and given examples above)."""
    every = {c for c in _subclasses(Action) if _is_published(c)}
    assert every == set(EXAMPLES)
    assert set(ACTION_KINDS) == every
    assert len(set(ACTION_KINDS.values())) == len(ACTION_KINDS)


@pytest.mark.parametrize(
    "action",
    [a for examples in EXAMPLES.values() for a in examples],
    ids=lambda a: type(a).__name__,
)
def test_round_trip_through_json_text_is_exact(action: Action) -> None:
    data = json.loads(json.dumps(action_to_json(action)))
    back = action_from_json(data)
    assert back == action
    assert type(back) is type(action)
    if isinstance(action, CreateInvite) and action.expires_at is not None:
        assert isinstance(back, CreateInvite)
        assert back.expires_at is not None
        assert back.expires_at.utcoffset() == action.expires_at.utcoffset()


def test_naive_invite_expiry_is_refused() -> None:
    action = CreateInvite(chat=GROUP, name="x", expires_at=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        action_to_json(action)


def test_unknown_kinds_and_classes_are_reported() -> None:
    with pytest.raises(UnknownActionKind):
        action_from_json(
            {"kind": "teleport", "chat": action_to_json(EXAMPLES[SendText][0])["chat"]}
        )

    class Shout(SendText):
        pass

    with pytest.raises(TypeError, match="Shout"):
        action_to_json(Shout(chat=GROUP, text=RichText.of("HÉ")))


def test_file_content_is_stored_as_base64() -> None:
    data = action_to_json(SendFile(chat=PRIVATE, filename="f.txt", content=b"hoi"))
    assert data["content"] == "aG9p"
    assert data["caption"] is None


def test_an_image_is_stored_as_base64_under_its_own_kind() -> None:
    image = SendImage(chat=GROUP, filename="g.png", content=PNG_BYTES[:8])
    data = action_to_json(image)
    assert data["kind"] == "send_image"
    assert data["content"] == "iVBORw0KGgo="
    assert action_from_json(data) == image
    assert not isinstance(action_from_json(data), SendFile)


def test_the_stored_form_is_stable() -> None:
    """Queued rows outlive releases: the field names are a format, not an accident."""
    data = action_to_json(
        CreateInvite(chat=GROUP, name="n", expires_at=datetime(2024, 1, 1, tzinfo=UTC))
    )
    assert data == {
        "kind": "create_invite",
        "chat": {"platform": "telegram", "chat_id": "-100123", "private": False},
        "name": "n",
        "expires_at": "2024-01-01T00:00:00+00:00",
        "send_to": None,
        "message": None,
    }


def test_rows_stored_before_a_field_was_added_still_read() -> None:
    """An invite queued by an older release has no ``send_to``/``message``: it still works."""
    old = {
        "kind": "create_invite",
        "chat": {"platform": "telegram", "chat_id": "-100123", "private": False},
        "name": "n",
        "expires_at": None,
    }
    assert action_from_json(old) == CreateInvite(chat=GROUP, name="n")
