"""Routing 100,000 sign-up addresses on generated networks of 100 and of 10,000 buurten.

Networks are generated in memory with a realistic spread of 4-digit postcode areas: most
areas belong to one buurt, many are split between buurten by letter ranges (``7471AA-7471KZ``
and ``7471LA-7471ZZ``), some are shared whole by buurten that list their streets, and a
few rural buurten span two areas. Addresses are drawn the way sign-ups arrive: mostly in
the network (typed with odd spacing and case; a street where the postcode is shared,
sometimes one that matches no buurt, sometimes none), a tenth outside it.

Routing runs through :meth:`Network.route`, the code :func:`submit_aanmelding` routes with.
The baseline is the 100-buurt network in the same run; goal: large/small ≤ 1.5. Network
construction (building the 4-digit-area index) is timed separately.

A second, smaller measurement adds the shared-postcode check that the sign-up dialogue and
``validate`` run before routing (:func:`buurten_of_postcode`), to show the whole path.
"""

from __future__ import annotations

import itertools
import random
import string
import time
from dataclasses import dataclass

from buurtbot.core.domain.model import Buurt, Gemeente, Kern
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.postcode import PostcodeRange
from buurtbot.core.ids import BuurtId, GemeenteId, KernId
from buurtbot.core.services.signup import buurten_of_postcode

SMALL = 100
LARGE = 10_000
ADDRESSES = 100_000
#: Addresses for the whole-path measurement (shared-postcode check, then routing).
PATH_SAMPLE = 10_000
REPEATS = 5
#: Addresses per timed chunk of the interleaved measurement.
CHUNK = 2_000
GOAL = 1.5

GEMEENTE = GemeenteId("bench")
#: The letter pairs of a postcode area, in order; PostNL issues all but these.
PAIRS = [a + b for a in string.ascii_uppercase for b in string.ascii_uppercase]
NOT_ISSUED = frozenset({"SA", "SD", "SS"})
STREET_WORDS = ["Kerk", "Molen", "School", "Beuk", "Eiken", "Linden", "Es", "Markt", "Veld",
                "Bos", "Dijk", "Haven", "Stations", "Brink", "Weide", "Hazel"]  # fmt: skip
STREET_KINDS = ["straat", "weg", "laan", "pad", "steeg", "hof"]


@dataclass(frozen=True)
class Generated:
    buurten: tuple[Buurt, ...]
    kernen: tuple[Kern, ...]
    #: Each covered area: the letter ranges and buurten it holds (for drawing addresses).
    areas: dict[int, list[Buurt]]
    uncovered: list[int]


def _street(rng: random.Random) -> str:
    return rng.choice(STREET_WORDS) + rng.choice(STREET_KINDS)


def generate(count: int, seed: int) -> Generated:
    """``count`` buurten over randomly drawn 4-digit areas, in the mix the module describes."""
    rng = random.Random(seed)
    free = list(range(1000, 9999))
    rng.shuffle(free)
    used: set[int] = set()
    buurten: list[Buurt] = []
    areas: dict[int, list[Buurt]] = {}

    def add(ranges: tuple[PostcodeRange, ...], streets: frozenset[str] = frozenset()) -> None:
        n = len(buurten)
        if n == count:
            return  # the last area may hold fewer buurten than drawn: the rest is uncovered
        buurt = Buurt(
            id=BuurtId(f"b{n}"),
            gemeente_id=GEMEENTE,
            kern_id=KernId(f"k{n // 20}"),
            name=f"Buurt {n}",
            postcodes=ranges,
            streets=streets,
        )
        buurten.append(buurt)
        for rng_ in ranges:
            for area in rng_.areas():
                areas.setdefault(area, []).append(buurt)

    while len(buurten) < count and free:
        area = free.pop()
        if area in used:
            continue
        used.add(area)
        kind = rng.random()
        if kind < 0.45:  # one buurt, the whole area
            add((PostcodeRange.parse(str(area)),))
        elif kind < 0.80:  # split by letter ranges between 2-5 buurten
            parts = rng.randint(2, 5)
            cuts = sorted(rng.sample(range(1, len(PAIRS)), parts - 1))
            bounds = [0, *cuts, len(PAIRS)]
            for lo, hi in itertools.pairwise(bounds):
                add((PostcodeRange(f"{area}{PAIRS[lo]}", f"{area}{PAIRS[hi - 1]}"),))
        elif kind < 0.90:  # shared whole by 2-3 buurten: the street decides
            whole = PostcodeRange.parse(str(area))
            taken: set[str] = set()
            for _ in range(rng.randint(2, 3)):
                streets = {_street(rng) for _ in range(rng.randint(3, 8))} - taken
                taken |= streets
                add((whole,), frozenset(streets))
        elif area + 1 not in used and area + 1 <= 9999:  # a rural buurt over two areas
            used.add(area + 1)
            add((PostcodeRange.parse(f"{area}-{area + 1}"),))
        else:
            add((PostcodeRange.parse(str(area)),))
    kernen = tuple(
        Kern(KernId(f"k{i}"), GEMEENTE, f"Kern {i}") for i in range((len(buurten) + 19) // 20)
    )
    uncovered = [a for a in range(1000, 10000) if a not in areas]
    return Generated(tuple(buurten), kernen, areas, uncovered)


def build(generated: Generated) -> Network:
    return Network(
        gemeente=Gemeente(GEMEENTE, "Bench"),
        kernen=generated.kernen,
        buurten=generated.buurten,
        groups=(),
    )


def _typed(area: int, pair: str, rng: random.Random) -> str:
    """A postcode as residents type it: ``7471AB``, ``7471 ab``, `` 7471 Ab``."""
    spacing = rng.choice(["", " ", " ", "  "])
    letters = rng.choice([pair, pair.lower(), pair.capitalize()])
    return f"{area}{spacing}{letters}"


def addresses(generated: Generated, count: int, seed: int) -> list[tuple[str, str | None]]:
    rng = random.Random(seed)
    covered = list(generated.areas)
    out: list[tuple[str, str | None]] = []
    while len(out) < count:
        if rng.random() < 0.10:
            pair = rng.choice(PAIRS)
            if pair not in NOT_ISSUED:
                out.append((_typed(rng.choice(generated.uncovered), pair, rng), None))
            continue
        area = rng.choice(covered)
        buurt = rng.choice(generated.areas[area])
        rng_ = next(r for r in buurt.postcodes if area in r.areas())
        low = PAIRS.index(rng_.low[4:]) if int(rng_.low[:4]) == area else 0
        high = PAIRS.index(rng_.high[4:]) if int(rng_.high[:4]) == area else len(PAIRS) - 1
        pair = PAIRS[rng.randint(low, high)]
        if pair in NOT_ISSUED:
            continue
        street: str | None = None
        if buurt.streets:
            roll = rng.random()
            if roll < 0.85:
                street = rng.choice(sorted(buurt.streets))
                street = rng.choice([street, street.upper(), f" {street.lower()} "])
            elif roll < 0.95:
                street = "Onbekendestraat"
        out.append((_typed(area, pair, rng), street))
    return out


@dataclass(frozen=True)
class Size:
    buurten: int
    areas: int
    build_s: float
    route_s: float
    routed: int
    path_s: float

    def per_route_us(self, count: int) -> float:
        return self.route_s / count * 1e6

    def per_path_us(self, count: int) -> float:
        return self.path_s / count * 1e6


@dataclass(frozen=True)
class Result:
    addresses: int
    path_sample: int
    small: Size
    large: Size

    @property
    def ratio(self) -> float:
        return self.large.route_s / self.small.route_s

    @property
    def build_ratio(self) -> float:
        return self.large.build_s / self.small.build_s

    @property
    def path_ratio(self) -> float:
        return self.large.path_s / self.small.path_s


def _route_all(network: Network, sample: list[tuple[str, str | None]]) -> tuple[float, int]:
    route = network.route
    t0 = time.perf_counter()
    routed = sum(1 for postcode, street in sample if route(postcode, street) is not None)
    return time.perf_counter() - t0, routed


def _route_interleaved(
    networks: list[Network], samples: list[list[tuple[str, str | None]]]
) -> tuple[list[float], list[int]]:
    """Route every sample on its network in short chunks, the sizes taking turns, and keep
    each chunk's best of :data:`REPEATS`: a busy machine then slows both sizes alike."""
    chunks = range(0, len(samples[0]), CHUNK)
    best = [[float("inf")] * len(chunks) for _ in networks]
    routed = [0] * len(networks)
    for _ in range(REPEATS):
        routed = [0] * len(networks)
        for k, start in enumerate(chunks):
            for i, network in enumerate(networks):
                took, hits = _route_all(network, samples[i][start : start + CHUNK])
                best[i][k] = min(best[i][k], took)
                routed[i] += hits
    return [sum(b) for b in best], routed


def _path_all(network: Network, sample: list[tuple[str, str | None]]) -> float:
    """The dialogue's shared-postcode check, then routing: what one sign-up costs."""
    t0 = time.perf_counter()
    for postcode, street in sample:
        code = postcode.replace(" ", "").upper()
        buurten_of_postcode(network, code)
        network.route(code, street)
    return time.perf_counter() - t0


def _timed_build(generated: Generated) -> float:
    t0 = time.perf_counter()
    build(generated)
    return time.perf_counter() - t0


def run(count: int = ADDRESSES, seed: int = 11, path_sample: int = PATH_SAMPLE) -> Result:
    generated = [generate(SMALL, seed), generate(LARGE, seed)]
    samples = [addresses(g, count, seed + 1) for g in generated]
    build_s = [min(_timed_build(g) for _ in range(REPEATS)) for g in generated]
    networks = [build(g) for g in generated]
    for network, sample in zip(networks, samples, strict=True):
        _route_all(network, sample[:1000])  # warm up
    route_s, routed = _route_interleaved(networks, samples)
    path_s = [
        min(_path_all(n, s[:path_sample]) for _ in range(REPEATS))
        for n, s in zip(networks, samples, strict=True)
    ]
    small, large = (
        Size(len(g.buurten), len(g.areas), build_s[i], route_s[i], routed[i], path_s[i])
        for i, g in enumerate(generated)
    )
    return Result(count, path_sample, small, large)


def report(result: Result) -> str:
    s, big, n = result.small, result.large, result.addresses
    verdict = "ok" if result.ratio <= GOAL else f"ABOVE the goal of {GOAL}"
    return (
        f"routing sign-ups: {n:,} addresses per network "
        f"(best of {REPEATS} per chunk of {CHUNK:,})\n"
        f"  {s.buurten:>6,} buurten / {s.areas:>5,} areas: "
        f"{s.per_route_us(n):.2f} µs per sign-up, {s.routed / n:.0%} routed, "
        f"index built in {s.build_s * 1e3:.2f} ms\n"
        f"  {big.buurten:>6,} buurten / {big.areas:>5,} areas: "
        f"{big.per_route_us(n):.2f} µs per sign-up, {big.routed / n:.0%} routed, "
        f"index built in {big.build_s * 1e3:.2f} ms\n"
        f"  ratio large/small:       {result.ratio:.2f}x the time per sign-up ({verdict})\n"
        f"  index build large/small: {result.build_ratio:.0f}x "
        f"({big.buurten // s.buurten}x the buurten)\n"
        f"  with the shared-postcode check (buurten_of_postcode), {result.path_sample} "
        f"addresses: {s.per_path_us(result.path_sample):.1f} µs vs "
        f"{big.per_path_us(result.path_sample):.1f} µs, {result.path_ratio:.0f}x"
    )


if __name__ == "__main__":
    print(report(run()))
