"""The console REPL's pure mapping: typed lines to meta commands or chat, and rich text out."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from buurtbot.adapters.console.mapping import ChatLine, Meta, MetaLine, parse_line, render
from buurtbot.core.text import RichText, Span

# --- ignored lines ------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["", "\n", "\r\n", "   ", "\t \t\n", "\u00a0\u2003"])
def test_blank_line_is_ignored(line: str) -> None:
    assert parse_line(line) is None


@pytest.mark.parametrize(
    "line", ["#", "# opmerking", "   # ingesprongen opmerking", "#12 lijkt op een antwoord\n"]
)
def test_comment_line_is_ignored(line: str) -> None:
    assert parse_line(line) is None


# --- meta commands ------------------------------------------------------------------------


def test_as_with_person_and_group_is_a_meta_line_with_both_arguments() -> None:
    assert parse_line("/as anna goor-centrum") == MetaLine(Meta.AS, ("anna", "goor-centrum"))


def test_as_arguments_are_split_on_any_whitespace_and_the_newline_is_dropped() -> None:
    assert parse_line("  /as   anna\tgoor-centrum  \n") == MetaLine(
        Meta.AS, ("anna", "goor-centrum")
    )


def test_as_without_arguments_is_still_a_meta_line() -> None:
    assert parse_line("/as") == MetaLine(Meta.AS, ())


@pytest.mark.parametrize(
    ("line", "meta"),
    [
        ("/quit", Meta.QUIT),
        ("/exit", Meta.EXIT),
        ("/people", Meta.PEOPLE),
        ("/groups", Meta.GROUPS),
        ("/console", Meta.CONSOLE_HELP),
        ("/QUIT", Meta.QUIT),
        ("/Groups\r\n", Meta.GROUPS),
    ],
)
def test_console_command_is_a_meta_line_without_arguments(line: str, meta: Meta) -> None:
    assert parse_line(line) == MetaLine(meta, ())


def test_meta_values_are_the_command_names() -> None:
    assert {m.value for m in Meta} == {
        "as", "groups", "people", "quit", "exit", "console", "join", "leave", "photo",
    }  # fmt: skip


# --- chat ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "/regels",
        "/help",
        "/melding verdachte auto bij de school",
        "/warn @piet spam",
        "/quitting",  # only the exact name is a console command
        "/as_anna",
        "quit",  # no slash: plain chat
        "as anna goor-centrum",
    ],
)
def test_bot_command_or_plain_word_is_chat(line: str) -> None:
    assert parse_line(line) == ChatLine(line)


def test_plain_text_is_chat_without_reply() -> None:
    assert parse_line("Verdachte persoon bij de Kerkstraat\n") == ChatLine(
        "Verdachte persoon bij de Kerkstraat", None
    )


def test_chat_text_is_stripped() -> None:
    assert parse_line("  hallo buren \t\r\n") == ChatLine("hallo buren")


@pytest.mark.parametrize(
    ("line", "reply_to", "text"),
    [
        (">3 /escalate", 3, "/escalate"),
        ("> #12 tekst", 12, "tekst"),
        (">#7 ook goed", 7, "ook goed"),
        ("  >  #40   ruimte  genoeg  ", 40, "ruimte  genoeg"),
        (">999999999 grens", 999_999_999, "grens"),
        (">5 eerste regel\ntweede regel", 5, "eerste regel\ntweede regel"),
    ],
)
def test_reply_marker_gives_chat_with_reply_to(line: str, reply_to: int, text: str) -> None:
    assert parse_line(line) == ChatLine(text, reply_to)


@pytest.mark.parametrize(
    "line",
    [
        ">3",  # no text to send
        "> #12",
        ">3/escalate",  # no space after the number
        "> #x tekst",
        ">1234567890 te lang",  # more than nine digits
        ">> 3 dubbel",
        "3> omgekeerd",
    ],
)
def test_malformed_reply_marker_is_sent_as_plain_chat(line: str) -> None:
    assert parse_line(line) == ChatLine(line)


# --- odd input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "x" * 20_000,
        "/" + "a" * 20_000,
        ">1 " + "y" * 20_000,
        "bel\x07 en \x1b[31mrood\x1b[0m",
        "\u202eevil.exe\u202c tekst",
        "nul\x00byte",
        "\x00",
        "/as\x00anna",
        "🚨 inbraak 🏠",
        "<b>vet</b> & <i>schuin</i>",
        "\ud800",  # lone surrogate
    ],
)
def test_odd_input_never_raises_and_is_kept_as_chat(line: str) -> None:
    result = parse_line(line)

    assert isinstance(result, ChatLine)
    assert result.text == line.strip() or result.reply_to is not None
    assert result.text


def test_as_with_emoji_name_is_a_meta_line_keeping_the_emoji_intact() -> None:
    assert parse_line("/as 👩‍👩‍👧 wijk") == MetaLine(Meta.AS, ("👩‍👩‍👧", "wijk"))


def test_html_is_passed_through_verbatim_not_interpreted() -> None:
    assert parse_line("<b>vet</b>") == ChatLine("<b>vet</b>")


@given(st.text())
@example("\x1c>1 x\x1d")
@example("> #0\u2028y")
@example(">\u0663 arabisch cijfer")
@example("/as" + "\u00a0" + "anna")
def test_parse_line_never_raises_and_chat_text_is_stripped_and_non_empty(line: str) -> None:
    result = parse_line(line)

    if result is None:
        assert not line.strip() or line.lstrip().startswith("#")
    elif isinstance(result, ChatLine):
        assert result.text
        assert result.text == result.text.strip()
        assert result.reply_to is None or result.reply_to >= 0
    else:
        assert isinstance(result.meta, Meta)
        assert all(arg and arg == arg.strip() for arg in result.args)


@given(st.sampled_from(list(Meta)), st.lists(st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True)))
def test_every_meta_command_round_trips_with_its_arguments(meta: Meta, args: list[str]) -> None:
    assert parse_line(" ".join([f"/{meta.value}", *args])) == MetaLine(meta, tuple(args))


# --- rendering ----------------------------------------------------------------------------


def test_render_of_bold_spans_gives_the_plain_text() -> None:
    text = RichText.of("Melding ", Span("#12", bold=True), ": ", Span("inbraak", bold=True))

    assert render(text) == "Melding #12: inbraak"


def test_render_drops_every_style() -> None:
    text = RichText(
        (Span("a", bold=True), Span("b", italic=True), Span("c", code=True), Span("<d>"))
    )

    assert render(text) == "abc<d>"


def test_render_of_empty_text_is_empty() -> None:
    assert render(RichText()) == ""
