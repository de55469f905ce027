from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buurtbot.core.commands import ALIASES, Command, lookup, parse_command_text


def test_every_command_has_names_and_no_name_is_shared() -> None:
    assert set(ALIASES) == set(Command)
    names = [n for names in ALIASES.values() for n in names]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("help", Command.HELP),
        ("hulp", Command.HELP),
        ("rules", Command.RULES),
        ("regels", Command.RULES),
        ("REGELS", Command.RULES),
        ("taal", Command.LANGUAGE),
        ("language", Command.LANGUAGE),
        ("escaleer", Command.ESCALATE),
        ("112", Command.CALLED_112),
    ],
)
def test_dutch_and_english_names_both_work(name: str, command: Command) -> None:
    assert lookup(name) is command


def test_unknown_name() -> None:
    assert lookup("frobnicate") is None


def test_parse_with_bot_suffix_and_arguments() -> None:
    parsed = parse_command_text("/Escalate@Buurt_Bot  buren   kern", bot_username="buurt_bot")
    assert parsed is not None
    assert (parsed.name, parsed.args, parsed.addressed_to) == (
        "escalate",
        ("buren", "kern"),
        "Buurt_Bot",
    )


def test_command_for_another_bot_is_not_ours() -> None:
    assert parse_command_text("/help@other_bot", bot_username="buurt_bot") is None


@pytest.mark.parametrize("text", ["hello", "", " /help", "/", "/x-y", "/" + "a" * 40, "/hé"])
def test_not_commands(text: str) -> None:
    assert parse_command_text(text) is None


@given(st.text(max_size=300))
def test_parsing_never_raises(text: str) -> None:
    parsed = parse_command_text(text, bot_username="buurt_bot")
    if parsed is not None:
        assert text.startswith("/")
        assert parsed.name == parsed.name.lower()
        assert all(arg and not any(c.isspace() for c in arg) for arg in parsed.args)
