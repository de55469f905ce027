from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buurtbot.core.text import RichText, Span, bold, split

spans = st.builds(
    Span,
    text=st.text(min_size=1, max_size=80),
    bold=st.booleans(),
    italic=st.booleans(),
    code=st.booleans(),
)


@given(st.lists(spans, max_size=30), st.integers(min_value=1, max_value=200))
def test_split_keeps_every_character_and_fits_the_limit(parts: list[Span], limit: int) -> None:
    text = RichText(tuple(parts))
    pieces = split(text, limit)
    assert "".join(p.plain for p in pieces) == text.plain
    assert all(0 < len(p) <= limit for p in pieces)


@given(st.lists(spans, max_size=20), st.integers(min_value=1, max_value=100))
def test_split_keeps_styles(parts: list[Span], limit: int) -> None:
    text = RichText(tuple(parts))
    styled = [(ch, s.bold, s.italic, s.code) for s in text.spans for ch in s.text]
    after = [
        (ch, s.bold, s.italic, s.code) for p in split(text, limit) for s in p.spans for ch in s.text
    ]
    assert after == styled


def test_split_prefers_line_boundaries() -> None:
    text = RichText.of("first line\n", "second line\n", "third")
    assert [p.plain for p in split(text, 14)] == ["first line\n", "second line\n", "third"]


def test_a_line_longer_than_the_limit_is_cut_hard() -> None:
    assert [p.plain for p in split(RichText.of("abcdefghij"), 4)] == ["abcd", "efgh", "ij"]


def test_short_text_is_one_piece() -> None:
    text = RichText.of(bold("hi"), " there")
    assert split(text, 100) == [text]


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        split(RichText.of("x"), 0)


@given(st.lists(spans, max_size=10))
def test_json_round_trip(parts: list[Span]) -> None:
    text = RichText(tuple(parts))
    assert RichText.from_json(text.to_json()) == text


def test_of_drops_empty_parts_and_flattens() -> None:
    text = RichText.of("", RichText.of("a", bold("b")), Span(""), "c")
    assert text.spans == (Span("a"), Span("b", bold=True), Span("c"))
