"""The console's ``{/cmd}`` lines: a command with the argument the bot last showed for it."""

from __future__ import annotations

import pytest

from buurtbot.adapters.console.mapping import ChatLine, copy_placeholder, offered, parse_line


@pytest.mark.parametrize(
    ("line", "command"),
    [("{/start}", "start"), ("{/Toelaten}", "toelaten"), ("{/admit}\n", "admit")],
)
def test_a_placeholder_line_names_its_command(line: str, command: str) -> None:
    parsed = parse_line(line)
    assert isinstance(parsed, ChatLine)
    assert copy_placeholder(parsed.text) == command


@pytest.mark.parametrize("text", ["{/start} now", "{start}", "/start", "{/}", "{/a b}"])
def test_anything_else_is_plain_chat(text: str) -> None:
    assert copy_placeholder(text) is None


def test_the_argument_is_taken_without_trailing_punctuation() -> None:
    notice = "Admit with /admit K7M2QX, or decline with /decline K7M2QX <reason>."
    assert offered("admit", notice) == "/admit K7M2QX"
    assert offered("decline", notice) == "/decline K7M2QX"


def test_an_invite_offers_start_as_text_or_as_a_deep_link() -> None:
    assert offered("start", "Send this to the bot:\n/start Ab_9-xY") == "/start Ab_9-xY"
    link = "Open this link to join: https://t.me/SomeBot?start=Ab_9-xY"
    assert offered("start", link) == "/start Ab_9-xY"


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("admit", "Use /admit <number>."),  # a placeholder, not an argument
        ("admit", "path/admit K7M2QX"),  # not a command
        ("start", "/start " + "x" * 65),  # longer than any token
        ("start", "/started ABC"),  # another command
    ],
)
def test_no_argument_is_made_up(command: str, text: str) -> None:
    assert offered(command, text) is None
