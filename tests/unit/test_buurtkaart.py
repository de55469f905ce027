"""The regie map's layout: schematic without geography, to scale with it."""

from __future__ import annotations

import math
import random
import time
from itertools import combinations

import pytest

from buurtbot.core.domain.buurtkaart import WIDTH, BuurtShape, MapLayout, MapMode, layout
from buurtbot.core.domain.model import Buurt, Gemeente, Kern
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import BuurtId, GemeenteId, KernId

G = GemeenteId("g")


def buurt(
    bid: str,
    kern: str = "k",
    adjacent: tuple[str, ...] = (),
    location: tuple[float, float] | None = None,
    outline: tuple[tuple[tuple[float, float], ...], ...] = (),
) -> Buurt:
    return Buurt(
        BuurtId(bid),
        G,
        KernId(kern),
        f"Buurt {bid}",
        adjacent=frozenset(BuurtId(a) for a in adjacent),
        location=location,
        outline=outline,
    )


def network(buurten: list[Buurt], kernen: tuple[str, ...] | None = None) -> Network:
    ids = kernen if kernen is not None else tuple(dict.fromkeys(b.kern_id for b in buurten))
    return Network(
        Gemeente(G, "G"), tuple(Kern(KernId(k), G, f"Kern {k}") for k in ids), tuple(buurten), ()
    )


def grid_kern(kern: str, side: int, seed: int) -> list[Buurt]:
    """``side`` x ``side`` buurten, each adjacent to the ones left, right, above and below
    it, listed in a shuffled order (so that the order of the file does not help)."""

    def name(r: int, c: int) -> str:
        return f"{kern}-{r}-{c}"

    out = []
    for r in range(side):
        for c in range(side):
            right = (name(r, c + 1),) if c + 1 < side else ()
            below = (name(r + 1, c),) if r + 1 < side else ()
            out.append(buurt(name(r, c), kern, right + below))
    random.Random(seed).shuffle(out)
    return out


def path_kern(kern: str, length: int, seed: int) -> list[Buurt]:
    """A chain of buurten (each adjacent to the next), shuffled."""
    out = [
        buurt(f"{kern}{i}", kern, (f"{kern}{i + 1}",) if i + 1 < length else ())
        for i in range(length)
    ]
    random.Random(seed).shuffle(out)
    return out


def big_network(buurten: int = 500, kernen: int = 60) -> Network:
    out = []
    for n in range(buurten):
        neighbours = tuple(f"b{m}" for m in (n + kernen, n + 2 * kernen) if m < buurten)
        out.append(buurt(f"b{n}", f"k{n % kernen}", neighbours))
    return network(out, tuple(f"k{i}" for i in range(kernen)))


def centre(shape: BuurtShape) -> tuple[float, float]:
    box = shape.bounds
    return (box.x + box.width / 2, box.y + box.height / 2)


def points(shape: BuurtShape) -> list[tuple[float, float]]:
    if shape.circle is not None:
        (x, y), r = shape.circle.centre, shape.circle.radius
        return [(x - r, y - r), (x + r, y + r)]
    return [p for polygon in shape.polygons for p in polygon]


def assert_inside(found: MapLayout) -> None:
    for shape in found.buurten:
        for x, y in points(shape):
            assert 0 <= x <= found.width, shape.buurt_id
            assert 0 <= y <= found.height, shape.buurt_id


# -- schematic -------------------------------------------------------------------------------
SMALL = network(
    [*grid_kern("a", 3, seed=1), *path_kern("p", 7, seed=2), buurt("alone", "solo")],
    ("a", "p", "solo"),
)


def test_without_geography_every_buurt_is_a_square_in_its_kerns_box() -> None:
    found = layout(SMALL)
    assert found.mode is MapMode.SCHEMATIC
    assert found.width == WIDTH
    assert sorted(s.buurt_id for s in found.buurten) == sorted(b.id for b in SMALL.buurten)
    boxes = {k.kern_id: k.box for k in found.kernen}
    assert list(boxes) == ["a", "p", "solo"]
    for shape in found.buurten:
        assert shape.circle is None
        ((x0, y0), (x1, _), (_, y2), _) = shape.polygons[0]
        assert x1 - x0 == pytest.approx(y2 - y0)  # a square
        assert x1 > x0
        box = boxes[shape.kern_id]
        assert box is not None
        assert box.x <= shape.bounds.x
        assert shape.bounds.right <= box.right
        assert box.y <= shape.bounds.y
        assert shape.bounds.bottom <= box.bottom
    assert_inside(found)


@pytest.mark.parametrize("net", [SMALL, big_network()], ids=["small", "500 buurten"])
def test_no_two_shapes_or_kern_boxes_overlap(net: Network) -> None:
    found = layout(net)
    for one, other in combinations(found.buurten, 2):
        assert not one.bounds.overlaps(other.bounds), (one.buurt_id, other.buurt_id)
    for a, b in combinations(found.kernen, 2):
        assert a.box is not None
        assert b.box is not None
        assert not a.box.overlaps(b.box), (a.kern_id, b.kern_id)
    assert_inside(found)


def test_kern_names_sit_above_their_buurten_inside_their_box() -> None:
    found = layout(SMALL)
    for kern in found.kernen:
        assert kern.box is not None
        x, y = kern.label
        assert kern.box.x < x < kern.box.right
        tops = [s.bounds.y for s in found.buurten if s.kern_id == kern.kern_id]
        assert kern.box.y < y < min(tops)


def _mean_distances(found: MapLayout, net: Network, kern: str) -> tuple[float, float]:
    shapes = {s.buurt_id: s for s in found.buurten if s.kern_id == kern}
    links = {(b.id, other) for b in net.buurten for other in b.adjacent}
    near: list[float] = []
    far: list[float] = []
    for a, b in combinations(shapes, 2):
        distance = math.dist(centre(shapes[a]), centre(shapes[b]))
        adjacent = (a, b) in links or (b, a) in links
        (near if adjacent else far).append(distance)
    return sum(near) / len(near), sum(far) / len(far)


@pytest.mark.parametrize(
    "kern_buurten",
    [grid_kern("g", 4, seed=3), grid_kern("g", 5, seed=4), path_kern("g", 12, seed=5)],
    ids=["grid 4x4", "grid 5x5", "chain of 12"],
)
def test_adjacent_buurten_end_up_closer_than_others(kern_buurten: list[Buurt]) -> None:
    net = network(kern_buurten)
    near, far = _mean_distances(layout(net), net, "g")
    assert near < 0.75 * far


@pytest.mark.parametrize("length", [9, 12, 16])
def test_a_chain_winds_through_the_grid_each_link_one_step(length: int) -> None:
    net = network(path_kern("g", length, seed=length))
    shapes = {s.buurt_id: s for s in layout(net).buurten}
    step = min(math.dist(centre(a), centre(b)) for a, b in combinations(shapes.values(), 2))
    for i in range(length - 1):
        a, b = shapes[BuurtId(f"g{i}")], shapes[BuurtId(f"g{i + 1}")]
        assert math.dist(centre(a), centre(b)) == pytest.approx(step), i


def test_the_layout_is_deterministic() -> None:
    again = network(list(SMALL.buurten), ("a", "p", "solo"))
    assert layout(SMALL) == layout(again)
    assert layout(big_network()) == layout(big_network())


def test_a_buurt_of_a_kern_the_network_does_not_list_is_still_placed() -> None:
    net = network([buurt("x", "k"), buurt("y", "elders")], ("k",))
    found = layout(net)
    assert {s.buurt_id for s in found.buurten} == {"x", "y"}
    assert [(k.kern_id, k.name) for k in found.kernen] == [("k", "Kern k"), ("elders", "elders")]


def test_one_buurt_without_geography_makes_the_whole_map_schematic() -> None:
    net = network([buurt("a", location=(52.2, 6.5)), buurt("b")])
    assert layout(net).mode is MapMode.SCHEMATIC


def test_an_empty_network_gives_an_empty_layout() -> None:
    found = layout(network([], ("k",)))
    assert (found.buurten, found.kernen) == ((), ())
    assert found.width == WIDTH
    assert found.height > 0


def test_500_buurten_in_60_kernen_lay_out_quickly() -> None:
    net = big_network()
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        found = layout(net)
        best = min(best, time.perf_counter() - start)
    assert (len(found.buurten), len(found.kernen)) == (500, 60)
    assert best < 0.05


# -- geographic ------------------------------------------------------------------------------
def square(lat: float, lon: float, half: float = 0.002) -> tuple[tuple[float, float], ...]:
    """A square ``2 * half`` degrees of latitude high and as many kilometres wide."""
    wide = half / math.cos(math.radians(lat))
    return ((lat - half, lon - wide), (lat - half, lon + wide), (lat + half, lon + wide),
            (lat + half, lon - wide))  # fmt: skip


GEO = network(
    [
        buurt("north", "k", outline=(square(52.30, 6.60),)),
        buurt("south", "k", outline=(square(52.20, 6.60),)),
        buurt("east", "m", outline=(square(52.25, 6.75), square(52.26, 6.76))),
        buurt("west", "m", location=(52.25, 6.45)),
    ]
)


def test_with_geography_for_every_buurt_the_map_is_to_scale() -> None:
    found = layout(GEO)
    assert found.mode is MapMode.GEOGRAPHIC
    shapes = {s.buurt_id: s for s in found.buurten}
    # North is up, east is right.
    assert centre(shapes[BuurtId("north")])[1] < centre(shapes[BuurtId("south")])[1]
    assert centre(shapes[BuurtId("west")])[0] < centre(shapes[BuurtId("east")])[0]
    assert centre(shapes[BuurtId("north")])[0] == pytest.approx(centre(shapes[BuurtId("south")])[0])
    assert_inside(found)


def test_outlines_keep_their_polygons_and_a_point_becomes_a_circle() -> None:
    shapes = {s.buurt_id: s for s in layout(GEO).buurten}
    assert len(shapes[BuurtId("east")].polygons) == 2
    assert [len(p) for p in shapes[BuurtId("north")].polygons] == [4]
    west = shapes[BuurtId("west")]
    assert west.polygons == ()
    assert west.circle is not None
    assert west.circle.radius > 0
    assert west.label == west.circle.centre


def test_east_west_is_shrunk_by_the_cosine_of_the_latitude() -> None:
    # The squares are as wide as high on the ground, so they are drawn square.
    north = layout(GEO).shape(BuurtId("north"))
    assert north is not None
    assert north.bounds.width == pytest.approx(north.bounds.height, rel=0.01)


def test_the_map_fills_the_width_and_keeps_its_proportions() -> None:
    found = layout(GEO)
    xs = [x for s in found.buurten for x, _ in points(s)]
    assert max(xs) - min(xs) > 0.9 * WIDTH
    wide = network([buurt("a", location=(52.0, 6.0)), buurt("b", location=(52.0, 7.0))])
    assert layout(wide).height < 0.5 * WIDTH  # one line east-west: a low map


def test_dense_outlines_are_thinned_but_keep_their_rings() -> None:
    turn = 2 * math.pi / 5000
    ring = tuple(
        (52.25 + 0.01 * math.sin(t * turn), 6.6 + 0.01 * math.cos(t * turn)) for t in range(5000)
    )
    net = network([buurt("a", outline=(ring, square(52.3, 6.7))), buurt("b", location=(52.2, 6.5))])
    shape = layout(net).shape(BuurtId("a"))
    assert shape is not None
    assert len(shape.polygons) == 2
    assert 3 <= len(shape.polygons[0]) < 2000


def test_a_single_point_is_drawn_in_the_middle() -> None:
    found = layout(network([buurt("a", location=(52.0, 6.0))]))
    (shape,) = found.buurten
    assert shape.circle is not None
    assert shape.circle.centre == pytest.approx((WIDTH / 2, found.height / 2))
