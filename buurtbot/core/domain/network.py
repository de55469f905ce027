"""One gemeente's network as a read-only snapshot: its kernen, buurten, groups and routing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from buurtbot.core.domain.model import Buurt, Gemeente, Group, GroupKind, Kern
from buurtbot.core.domain.postcode import normalise_postcode
from buurtbot.core.ids import BuurtId, GroupId, KernId


def normalise_street(name: str) -> str:
    """Streets compare without case or extra spaces: ``'Grotestraat '`` = ``'grotestraat'``."""
    return " ".join(name.casefold().split())


@dataclass(frozen=True, slots=True)
class Network:
    gemeente: Gemeente
    kernen: tuple[Kern, ...]
    buurten: tuple[Buurt, ...]
    groups: tuple[Group, ...]
    _by_area: dict[int, tuple[tuple[str, str, Buurt], ...]] = field(
        init=False, repr=False, compare=False
    )
    _streets: dict[BuurtId, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Index the postcode ranges by 4-digit area, flat (low, high, buurt), so routing a
        # sign-up costs the same in a network of ten buurten as in one of ten thousand.
        index: dict[int, list[tuple[str, str, Buurt]]] = defaultdict(list)
        for buurt in self.buurten:
            for rng in buurt.postcodes:
                for area in rng.areas():
                    index[area].append((rng.low, rng.high, buurt))
        object.__setattr__(self, "_by_area", {k: tuple(v) for k, v in index.items()})
        streets = {b.id: frozenset(normalise_street(s) for s in b.streets) for b in self.buurten}
        object.__setattr__(self, "_streets", streets)

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

        Looks only at the buurten of the postcode's 4-digit area, so the cost does not grow
        with the size of the network."""
        code = normalise_postcode(postcode, allow_area=False)
        found = [b for low, high, b in self._by_area.get(int(code[:4]), ()) if low <= code <= high]
        # A buurt with two ranges in one area is still one buurt.
        return tuple(dict.fromkeys(found)) if len(found) > 1 else tuple(found)

    def route(self, postcode: str, street: str | None = None) -> Buurt | None:
        """The buurt of an address, or ``None`` when the network does not cover it.

        Where buurten share a postcode they must list their streets; the street decides.
        """
        candidates = self.buurten_at(postcode)
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        if street is None:
            return None
        wanted = normalise_street(street)
        matches = [b for b in candidates if wanted in self._streets[b.id]]
        return matches[0] if len(matches) == 1 else None
