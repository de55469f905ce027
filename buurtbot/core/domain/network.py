"""One gemeente's network as a read-only snapshot: its kernen, buurten, groups and routing."""

from __future__ import annotations

import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from buurtbot.core.domain.model import Buurt, Gemeente, Group, GroupKind, Kern
from buurtbot.core.domain.postcode import LETTER_PAIRS, split_postcode
from buurtbot.core.ids import BuurtId, GroupId, KernId

#: What routing finds at a postcode: one buurt, none, or (where buurten share the postcode)
#: the buurt of each street that is listed by exactly one of them.
_Routed = Buurt | dict[str, Buurt] | None
#: A 4-digit area in the routing index: what it routes to when every postcode in it routes
#: alike, else a flat tuple ``(cut_1, ..., cut_k, hit_0, ..., hit_k)``: letters from
#: ``cut_i`` up to the next cut route to ``hit_i``, letters before ``cut_1`` to ``hit_0``.
_RouteEntry = _Routed | tuple[Any, ...]
#: The same flat layout for :meth:`Network.buurten_at`, always a tuple, holding tuples of
#: buurten; ``((),)`` for an area outside the network.
_AtEntry = tuple[Any, ...]
_NOWHERE: _AtEntry = ((),)
#: Areas run from 1000 to 9999; the indexes are lists over all of them.
_AREAS = 10_000
_PAIRS = len(LETTER_PAIRS)


def normalise_street(name: str) -> str:
    """Streets compare without case or extra spaces: ``'Grotestraat '`` = ``'grotestraat'``."""
    return " ".join(name.casefold().split())


@dataclass(frozen=True, slots=True)
class Network:
    gemeente: Gemeente
    kernen: tuple[Kern, ...]
    buurten: tuple[Buurt, ...]
    groups: tuple[Group, ...]
    _route_index: list[_RouteEntry] = field(init=False, repr=False, compare=False)
    _at_index: list[_AtEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Index the postcodes by 4-digit area, so routing a sign-up costs the same in a
        # network of ten buurten as in one of ten thousand. The index is a list over all
        # areas holding compact, precomputed answers: a look-up touches the list slot, the
        # buurt it returns and, for an area split by letters, one flat tuple (bisected
        # against shared letter-pair strings) - not the buurten, ranges or street sets of
        # the area, which on a large network would each be a cache miss.
        route_index: list[_RouteEntry] = [None] * _AREAS
        at_index: list[_AtEntry] = [_NOWHERE] * _AREAS
        for area, spans in _spans_by_area(self.buurten).items():
            cuts, found = _intervals(spans)
            routed = [_routed(buurten) for buurten in found]
            at_index[area] = (*cuts, *found)
            route_index[area] = (*cuts, *routed) if cuts else routed[0]
        object.__setattr__(self, "_route_index", route_index)
        object.__setattr__(self, "_at_index", at_index)

    # -- lookups ---------------------------------------------------------------------------
    def kern(self, kern_id: KernId) -> Kern | None:
        return next((k for k in self.kernen if k.id == kern_id), None)

    def buurt(self, buurt_id: BuurtId) -> Buurt | None:
        return next((b for b in self.buurten if b.id == buurt_id), None)

    def group(self, group_id: GroupId) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def groups_of_kind(self, kind: GroupKind) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.kind is kind)

    def buurtgroepen_of(self, buurt_id: BuurtId) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.kind is GroupKind.BUURT and g.buurt_id == buurt_id)

    def buurten_in(self, kern_id: KernId) -> tuple[Buurt, ...]:
        return tuple(b for b in self.buurten if b.kern_id == kern_id)

    def adjacent_buurten(self, buurt_id: BuurtId) -> tuple[Buurt, ...]:
        """Neighbours of a buurt; adjacency is symmetric even when a file lists it one way."""
        own = self.buurt(buurt_id)
        listed = set(own.adjacent) if own else set()
        listed |= {b.id for b in self.buurten if buurt_id in b.adjacent}
        listed.discard(buurt_id)
        return tuple(b for b in self.buurten if b.id in listed)

    # -- routing ---------------------------------------------------------------------------
    def buurten_at(self, postcode: str) -> tuple[Buurt, ...]:
        """Every buurt whose ranges hold ``postcode`` (several: their streets decide).

        Looks only at the postcode's 4-digit area, so the cost does not grow with the size
        of the network."""
        area, letters = split_postcode(postcode)
        entry = self._at_index[area]
        cuts = len(entry) >> 1
        found: tuple[Buurt, ...] = entry[cuts + bisect_right(entry, letters, 0, cuts)]
        return found

    def route(self, postcode: str, street: str | None = None) -> Buurt | None:
        """The buurt of an address, or ``None`` when the network does not cover it.

        Where buurten share a postcode they must list their streets; the street decides.
        """
        area, letters = split_postcode(postcode)
        hit = self._route_index[area]
        if isinstance(hit, tuple):  # an area split by letters
            cuts = len(hit) >> 1
            hit = hit[cuts + bisect_right(hit, letters, 0, cuts)]
        if isinstance(hit, dict):  # a shared postcode
            return None if street is None else hit.get(normalise_street(street))
        return hit


_Span = tuple[int, int, Buurt]


def _spans_by_area(buurten: Iterable[Buurt]) -> dict[int, list[_Span]]:
    """Per 4-digit area, the letter pairs each range covers there, as indexes into
    :data:`LETTER_PAIRS` ``[first, end)``, in the order of the buurten and their ranges.

    A postcode ``area + letters`` lies in a range ``low``–``high`` when ``low <= code <=
    high``; within one area that is a run of letter pairs, found by comparing the range's
    ends with the area first and then with the letters."""
    spans: dict[int, list[_Span]] = {}
    for buurt in buurten:
        for rng in buurt.postcodes:
            for area in rng.areas():
                if not 1000 <= area < _AREAS:
                    continue  # no postcode has this area
                digits = str(area)
                low, high = rng.low[:4], rng.high[:4]
                if low > digits or high < digits:
                    continue
                first = bisect_left(LETTER_PAIRS, rng.low[4:]) if low == digits else 0
                end = bisect_right(LETTER_PAIRS, rng.high[4:]) if high == digits else _PAIRS
                if first < end:
                    spans.setdefault(area, []).append((first, end, buurt))
    return spans


def _intervals(spans: list[_Span]) -> tuple[list[str], list[tuple[Buurt, ...]]]:
    """Cut one area's letter pairs where the buurten found there change: the cuts (as
    shared :data:`LETTER_PAIRS` strings) and, for each stretch, its buurten in network
    order - one more stretch than cuts."""
    cuts: list[str] = []
    found: list[tuple[Buurt, ...]] = []
    if len(spans) == 1:  # the common case: one buurt holds the area, or a run of it
        first, end, buurt = spans[0]
        if first:
            cuts.append(LETTER_PAIRS[first])
            found.append(())
        found.append((buurt,))
        if end < _PAIRS:
            cuts.append(LETTER_PAIRS[end])
            found.append(())
        return cuts, found
    bounds = sorted({0, *(first for first, _, _ in spans), *(end for _, end, _ in spans)})
    for start in bounds:
        if start == _PAIRS:
            break
        listed = [b for first, end, b in spans if first <= start < end]
        # A buurt with two ranges in one area is still one buurt.
        here = tuple(dict.fromkeys(listed)) if len(listed) > 1 else tuple(listed)
        if found and _same(here, found[-1]):
            continue
        if found:
            cuts.append(LETTER_PAIRS[start])
        found.append(here)
    return cuts, found


def _same(one: tuple[Buurt, ...], other: tuple[Buurt, ...]) -> bool:
    return len(one) == len(other) and all(a is b for a, b in zip(one, other, strict=True))


def _routed(buurten: tuple[Buurt, ...]) -> _Routed:
    """What :meth:`Network.route` answers for postcodes held by ``buurten``: the one buurt,
    none, or per street the buurt that alone lists it (street names interned, so a look-up
    compares against a few shared strings)."""
    if len(buurten) <= 1:
        return buurten[0] if buurten else None
    listing: dict[str, list[Buurt]] = {}
    for buurt in buurten:
        for street in {normalise_street(s) for s in buurt.streets}:
            listing.setdefault(sys.intern(street), []).append(buurt)
    by_street = {street: found[0] for street, found in listing.items() if len(found) == 1}
    return by_street or None
