"""Platform-neutral rich text: what the core says, before a platform formats it.

User-supplied text always travels as a span of plain text, never as markup, so an adapter
that formats spans (HTML on Telegram) escapes it in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass(frozen=True, slots=True)
class RichText:
    spans: tuple[Span, ...] = ()

    @classmethod
    def of(cls, *parts: str | Span | RichText) -> RichText:
        spans: list[Span] = []
        for part in parts:
            if isinstance(part, RichText):
                spans.extend(part.spans)
            elif isinstance(part, Span):
                spans.append(part)
            elif part:
                spans.append(Span(part))
        return cls(tuple(s for s in spans if s.text))

    def __add__(self, other: str | Span | RichText) -> RichText:
        return RichText.of(self, other)

    @property
    def plain(self) -> str:
        return "".join(s.text for s in self.spans)

    def __len__(self) -> int:
        return len(self.plain)

    def to_json(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for s in self.spans:
            item: dict[str, Any] = {"t": s.text}
            if s.bold:
                item["b"] = True
            if s.italic:
                item["i"] = True
            if s.code:
                item["c"] = True
            out.append(item)
        return out

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> RichText:
        return cls(
            tuple(
                Span(str(d["t"]), bool(d.get("b")), bool(d.get("i")), bool(d.get("c")))
                for d in data
            )
        )


def bold(text: str) -> Span:
    return Span(text, bold=True)


def italic(text: str) -> Span:
    return Span(text, italic=True)


def code(text: str) -> Span:
    return Span(text, code=True)


def split(text: RichText, limit: int) -> list[RichText]:
    """Cut ``text`` into pieces of at most ``limit`` characters, preferring line boundaries.

    A line longer than ``limit`` is cut hard; styles survive the cut. Nothing is dropped:
    the pieces joined give back the original text. Empty text gives no pieces (platforms
    refuse empty messages).
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    if not text.plain:
        return []
    if len(text) <= limit:
        return [text]
    plain = text.plain
    cuts: list[int] = []
    start = 0
    while len(plain) - start > limit:
        window_end = start + limit
        newline = plain.rfind("\n", start, window_end)
        cut = newline + 1 if newline >= start and newline + 1 > start else window_end
        cuts.append(cut)
        start = cut
    return _cut_at(text, cuts)


def _cut_at(text: RichText, cuts: list[int]) -> list[RichText]:
    pieces: list[list[Span]] = [[]]
    offset = 0
    bounds = iter([*cuts, None])
    next_cut = next(bounds)
    for span in text.spans:
        rest = span.text
        while next_cut is not None and offset + len(rest) > next_cut:
            head_len = next_cut - offset
            if head_len:
                pieces[-1].append(Span(rest[:head_len], span.bold, span.italic, span.code))
            rest = rest[head_len:]
            offset = next_cut
            pieces.append([])
            next_cut = next(bounds)
        if rest:
            pieces[-1].append(Span(rest, span.bold, span.italic, span.code))
            offset += len(rest)
    return [RichText(tuple(p)) for p in pieces if p]
