"""Dutch licence plates (*kentekens*): recognising them as typed and in free text.

A signalement is only as useful as its plate, and people type plates every which way
(``12gzb8``, ``12 GZB 8``, ``12-gzb-8``). The RDW writes them in one of 14 *sidecodes*,
each a fixed arrangement of letter and digit groups; this module finds the sidecode, checks
the letters, and returns the canonical form with dashes.

What is checked, and what deliberately is not:

* **Shapes.** The 14 sidecodes of the RDW since 1951 (see :data:`SIDECODES`). Their
  letter/digit shapes are pairwise different, so the characters alone always decide the
  sidecode; a shape that fits none is not a plate.
* **Letters.** Sidecodes 1-3 (1951-1978) were issued before vowels were dropped, so there
  only C and Q are refused (never used in an ordinary series: they read as 0). From
  sidecode 4 on, no vowel (A E I O U) and no C, Q or Y, except that sidecode 4 did use Y.
  M (motorcycles), W (trailers), B and V (commercial vehicles) are allowed: a neighbourhood
  sees those vehicles too. The O that semi-trailers carry as a first letter is refused, as
  are diplomatic (CD), royal (AA) and other special formats: they are not sidecodes.
* **Not checked.** Which combinations were actually issued: the per-series gaps (no K in
  sidecodes 5-6, no L in 8-9 for cars), digit groups like ``00``, and the banned
  abbreviations (GVD, NSB, ...) - some of those were issued by mistake, and a bot that
  calls a real plate wrong is worse than one that lets a never-issued plate through.
* **Separators.** Spaces and dashes (any Unicode dash) may be left out, but where they are
  typed they must fall between the sidecode's groups: ``12-GZB-8`` and ``12GZB-8`` are
  sidecode 7, ``1-2GZB-8`` is not a plate (a dash inside a group suggests a mistyped one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Sidecode number -> its shape: ``X`` a letter, ``9`` a digit, ``-`` between groups.
SIDECODES: dict[int, str] = {
    1: "XX-99-99",
    2: "99-99-XX",
    3: "99-XX-99",
    4: "XX-99-XX",
    5: "XX-XX-99",
    6: "99-XX-XX",
    7: "99-XXX-9",
    8: "9-XXX-99",
    9: "XX-999-X",
    10: "X-999-XX",
    11: "XXX-99-X",
    12: "X-99-XXX",
    13: "9-XX-999",
    14: "999-XX-9",
}

_DIGITS = frozenset("0123456789")
_ALL_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: Sidecodes 1-3: everything but C and Q (these series still had vowels).
OLD_SERIES_LETTERS = _ALL_LETTERS - frozenset("CQ")
#: Sidecodes 5-14: consonants without C, Q and Y.
LETTERS = _ALL_LETTERS - frozenset("AEIOUCQY")
#: Sidecode 4 is the one modern series that used Y.
SIDECODE_4_LETTERS = LETTERS | {"Y"}


def allowed_letters(sidecode: int) -> frozenset[str]:
    """The letters an ordinary plate of ``sidecode`` may contain."""
    if sidecode <= 3:
        return OLD_SERIES_LETTERS
    if sidecode == 4:
        return SIDECODE_4_LETTERS
    return LETTERS


#: The shapes are pairwise distinct (a test pins this), so this lookup is never ambiguous.
_COMPACT_SHAPE_TO_SIDECODE = {shape.replace("-", ""): code for code, shape in SIDECODES.items()}

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # ASCII and Unicode dashes
_D = re.escape(_DASHES)
_SEPARATOR = re.compile(rf"[\s{_D}]+")
_TYPED = re.compile(rf"[0-9A-Za-z]+(?:[\s{_D}]+[0-9A-Za-z]+)*")


@dataclass(frozen=True, slots=True)
class Plate:
    """A plate in canonical form (``12-GZB-8``: upper case, dashes between the groups)."""

    value: str
    sidecode: int

    @property
    def compact(self) -> str:
        """Without dashes, as the RDW's open data writes it (``12GZB8``)."""
        return self.value.replace("-", "")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class PlateMatch:
    """A plate-like stretch of free text: ``plate`` is ``None`` when it is not a valid plate.

    ``start``/``end`` index the original text, ``text`` is what was typed there.
    """

    text: str
    start: int
    end: int
    plate: Plate | None

    @property
    def valid(self) -> bool:
        return self.plate is not None


def _shape(compact: str) -> str:
    return "".join("9" if c in _DIGITS else "X" for c in compact)


def _boundaries(group_lengths: list[int]) -> frozenset[int]:
    """Offsets (in the compact string) where one group ends and the next begins."""
    cuts, total = set(), 0
    for length in group_lengths[:-1]:
        total += length
        cuts.add(total)
    return frozenset(cuts)


def _plate_from_groups(groups: list[str]) -> Plate | None:
    compact = "".join(groups).upper()
    if len(compact) != 6 or not all(c in _DIGITS or c in _ALL_LETTERS for c in compact):
        return None
    sidecode = _COMPACT_SHAPE_TO_SIDECODE.get(_shape(compact))
    if sidecode is None:
        return None
    if not all(c in _DIGITS or c in allowed_letters(sidecode) for c in compact):
        return None
    layout = SIDECODES[sidecode]
    if not _boundaries([len(g) for g in groups]) <= _boundaries(
        [len(g) for g in layout.split("-")]
    ):
        return None
    parts, pos = [], 0
    for group in layout.split("-"):
        parts.append(compact[pos : pos + len(group)])
        pos += len(group)
    return Plate("-".join(parts), sidecode)


def normalise_plate(text: str) -> Plate | None:
    """The plate ``text`` spells, in canonical form, or ``None`` when it spells none.

    Accepts any case, and spaces or dashes between groups or none at all. Nothing else may
    surround the plate: use :func:`find_plates` for free text.
    """
    stripped = text.strip()
    if len(stripped) > 40 or not _TYPED.fullmatch(stripped):
        return None
    return _plate_from_groups([g for g in _SEPARATOR.split(stripped) if g])


# -- free text -------------------------------------------------------------------------------

_GROUP = r"[0-9A-Za-z]{1,3}"
_SEP = rf"[ \t]*[{_D}][ \t]*|[ \t]+"
_TRIPLE = re.compile(rf"({_GROUP})({_SEP})({_GROUP})({_SEP})({_GROUP})")
_SOLID = re.compile(r"[0-9A-Za-z]{6}")
_WORD_START = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]")

#: Month abbreviations: ``1-mrt-24`` is a date, though it has a plate's shape.
_MONTHS = frozenset("jan feb mrt mar apr mei may jun jul aug sep okt oct nov dec".upper().split())

#: Separated by spaces only, a group with a vowel is a word (``12.30 en 13``), even though
#: the old series had vowels: those plates are found when typed solid or with dashes.
_VOWELS = frozenset("AEIOUaeiou")

#: Letter groups that, between numbers and separated by spaces only, are prose: units and
#: makes (``1 km 500``, ``2 BMW 12``). Typed with dashes or solid they still count.
# fmt: off
_PROSE_LETTERS = frozenset({
    "KM", "KG", "MM", "ML", "DL", "CL", "PK", "KW", "KWH", "MW", "GB", "MB", "KB", "TB",
    "HZ", "NR", "ST", "TV", "WK", "BV", "VS", "PS", "BMW", "VW", "KTM", "MG",
})
# fmt: on


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _bounded(text: str, start: int, end: int) -> bool:
    """Not glued to a word, nor a link in a longer dash-joined chain (``06-12-34-56``)."""
    if start > 0 and (_is_word_char(text[start - 1]) or text[start - 1] in _DASHES):
        return False
    return not (end < len(text) and (_is_word_char(text[end]) or text[end] in _DASHES))


def _mixed(compact: str) -> bool:
    return any(c in _DIGITS for c in compact) and any(c not in _DIGITS for c in compact)


def _looks_like_date(groups: list[str]) -> bool:
    first, middle, last = groups
    return first.isdigit() and last.isdigit() and middle.upper() in _MONTHS


def _match_triple(text: str, pos: int) -> PlateMatch | None:
    found = _TRIPLE.match(text, pos)
    if found is None or not _bounded(text, found.start(), found.end()):
        return None
    groups = [found.group(1), found.group(3), found.group(5)]
    compact = "".join(groups)
    if len(compact) != 6 or not _mixed(compact) or _looks_like_date(groups):
        return None
    dashed = all(any(d in found.group(i) for d in _DASHES) for i in (2, 4))
    if not dashed and (
        any(g.upper() in _PROSE_LETTERS for g in groups) or not _VOWELS.isdisjoint(compact)
    ):
        return None
    plate = _plate_from_groups(groups)
    if plate is None and not dashed:
        return None
    return PlateMatch(found.group(0), found.start(), found.end(), plate)


def _match_solid(text: str, pos: int) -> PlateMatch | None:
    found = _SOLID.match(text, pos)
    if found is None or not _bounded(text, found.start(), found.end()):
        return None
    plate = _plate_from_groups([found.group(0)])
    # Four digits and two letters is a postcode far more often than a plate of 1965-1973.
    if plate is None or plate.sidecode == 2:
        return None
    return PlateMatch(found.group(0), found.start(), found.end(), plate)


def find_plates(text: str) -> list[PlateMatch]:
    """Plates in free text, in order, with plate-like mistakes marked ``plate=None``.

    Recognised: six letters and digits, mixed, written solid (``12gzb8``) or as three groups
    separated by dashes or spaces where the separators sit between the sidecode's groups
    (with spaces only, not when a group has a vowel or is a unit or make: ``30 en 13``,
    ``1 km 500``).
    Marked as a mistake: three dash-separated groups of six mixed letters and digits that
    are no valid plate (``XX-99-AA``), so the bot can point them out. Left alone: words,
    numbers (phone numbers, years, times, house numbers), postcodes (``7471 AB``,
    ``7471AB``; a sidecode 2 plate is found only when typed with its two separators), dates
    like ``1-mrt-24``, and anything glued to a longer word or dash-joined chain.
    """
    matches: list[PlateMatch] = []
    pos = 0
    while True:
        start = _WORD_START.search(text, pos)
        if start is None:
            return matches
        at = start.start()
        match = _match_triple(text, at) or _match_solid(text, at)
        if match is not None:
            matches.append(match)
            pos = match.end
        else:
            pos = at + 1
