"""Dutch postcodes (``1234 AB``) and the ranges a buurt covers."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

_POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*([A-Za-z]{2})?\s*$")
# Letter pairs PostNL never issues.
_NOT_ISSUED = frozenset({"SA", "SD", "SS"})
#: The letter pairs of a postcode area in order, ``'AA'`` … ``'ZZ'`` (issued or not). Indexes
#: that compare letters against these shared strings touch one small, hot set of objects
#: instead of strings of their own per range.
LETTER_PAIRS = tuple(a + b for a in string.ascii_uppercase for b in string.ascii_uppercase)


class InvalidPostcode(ValueError):
    """Raised for text that is not a Dutch postcode (or a 4-digit postcode area)."""


def normalise_postcode(text: str, *, allow_area: bool = False) -> str:
    """``'7471 ab'`` → ``'7471AB'``; with ``allow_area`` a bare ``'7471'`` is accepted too."""
    match = _POSTCODE.match(text)
    if not match:
        raise InvalidPostcode(text)
    digits, letters = match.group(1), match.group(2)
    if letters is None:
        if not allow_area:
            raise InvalidPostcode(text)
        return digits
    letters = letters.upper()
    if letters in _NOT_ISSUED:
        raise InvalidPostcode(text)
    return digits + letters


def split_postcode(text: str) -> tuple[int, str]:
    """``'7471 ab'`` → ``(7471, 'AB')``: the 4-digit area as a number and the letters.

    Accepts and refuses exactly what :func:`normalise_postcode` does (a bare area is
    refused); for look-ups, which need the two parts rather than the joined code."""
    match = _POSTCODE.match(text)
    if not match:
        raise InvalidPostcode(text)
    digits, letters = match.groups()
    if letters is None:
        raise InvalidPostcode(text)
    letters = letters.upper()
    if letters in _NOT_ISSUED:
        raise InvalidPostcode(text)
    return int(digits), letters


@dataclass(frozen=True, slots=True, order=True)
class PostcodeRange:
    """An inclusive range of full postcodes, e.g. ``7471AA``–``7471ZZ``.

    A 4-digit area ``7471`` is the range ``7471AA``–``7471ZZ``.
    """

    low: str
    high: str

    @classmethod
    def parse(cls, text: str) -> PostcodeRange:
        """Parse ``'7471'``, ``'7471AB'`` or ``'7471AA-7472ZZ'`` (spaces and case are free)."""
        if "-" in text:
            left, right = text.split("-", 1)
            low = _expand(normalise_postcode(left, allow_area=True), "AA")
            high = _expand(normalise_postcode(right, allow_area=True), "ZZ")
        else:
            code = normalise_postcode(text, allow_area=True)
            low, high = _expand(code, "AA"), _expand(code, "ZZ")
        if low > high:
            raise InvalidPostcode(text)
        return cls(low, high)

    def contains(self, postcode: str) -> bool:
        return self.low <= postcode <= self.high

    def overlaps(self, other: PostcodeRange) -> bool:
        return self.low <= other.high and other.low <= self.high

    def areas(self) -> range:
        """The 4-digit areas this range touches, as integers (used to index routing)."""
        return range(int(self.low[:4]), int(self.high[:4]) + 1)

    def __str__(self) -> str:
        if self.low[4:] == "AA" and self.high[4:] == "ZZ" and self.low[:4] == self.high[:4]:
            return self.low[:4]
        return f"{self.low}-{self.high}"


def _expand(code: str, letters: str) -> str:
    return code if len(code) == 6 else code + letters
