"""The map of a gemeente for the regie dashboard: where each buurt is drawn.

:func:`layout` places every buurt of a network in SVG user units - a viewBox
:data:`WIDTH` wide and as high as the map needs - as polygons or a circle, with a point for
its name, and gives every kern a point for its name. Drawing it (colours, links, legend) is
the web adapter's job (``buurtbot.adapters.web.buurtkaart_svg``).

Two modes:

- **Geographic**, when every buurt has an outline or a location (from the network file):
  an equirectangular projection (east-west distances scaled by the cosine of the middle
  latitude), north up, fitted to the width with a margin. A buurt with only a location is
  a circle. The name goes at the location where there is one, else in the middle of the
  buurt's largest polygon. Outlines lose points closer than :data:`_MIN_STEP` units to the
  previous one: invisible at this scale, and it keeps the page small.
- **Schematic** otherwise: each kern is a box with its name on top, the boxes placed in rows
  in the network's order, each as large as its buurten need; inside, the buurten are
  squares in a grid. They are placed in the order of a breadth-first walk of the adjacency
  graph within the kern, each in the free cell nearest its neighbours placed before it, so
  that neighbours end up side by side. Squares never overlap.

The layout is deterministic (the same network gives the same layout) and linear in the
size of the network, apart from sorting each buurt's neighbours.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from buurtbot.core.domain.model import Buurt, LatLon
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import BuurtId, KernId

__all__ = [
    "WIDTH",
    "Box",
    "BuurtShape",
    "Circle",
    "KernPlacement",
    "MapLayout",
    "MapMode",
    "Point",
    "layout",
]

#: Width of the viewBox, in user units; the height follows from the map.
WIDTH = 1000.0
#: Room kept free around the map.
MARGIN = 20.0
#: A geographic map is never higher than this (a long, narrow gemeente is then narrower).
MAX_HEIGHT = 1400.0
#: Nor lower than this (a gemeente stretched east-west keeps room for its names).
MIN_HEIGHT = 240.0
#: Height of an empty map.
EMPTY_HEIGHT = 120.0

# Geographic mode.
_MIN_STEP = 0.75  # outline points closer than this to the previous one are dropped
_MIN_RADIUS = 6.0  # radius of a buurt given only by its location
_MAX_RADIUS = 18.0
_KERN_LABEL_TOP = 16.0  # a kern's name is never higher than this

# Schematic mode, in tile units (one tile holds one buurt), except where said otherwise.
_TILE_FILL = 0.86  # side of a buurt's square, the rest of the tile is the gap between them
_PAD = 0.25  # inside a kern's box, left, right and below its tiles
_GAP = 0.35  # between kern boxes
_LABEL_BAND = 34.0  # user units above a kern's tiles for its name
_MAX_TILE = 150.0  # user units: a tiny network gets no giant squares
_ASPECT = 1.2  # width / height the rows of kernen aim for
_TRIES = 16  # widths of the rows tried
_SEARCH = 4  # how many rings of cells around its neighbours a buurt looks for a free one

#: A point in user units: x to the right, y down.
Point = tuple[float, float]
#: A cell of a kern's grid of buurten: (row, column).
_Cell = tuple[int, int]


class MapMode(enum.StrEnum):
    GEOGRAPHIC = "geographic"
    SCHEMATIC = "schematic"


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Box) -> bool:
        """Whether the two share more than an edge."""
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )


@dataclass(frozen=True, slots=True)
class Circle:
    centre: Point
    radius: float


@dataclass(frozen=True, slots=True)
class BuurtShape:
    """Where one buurt is drawn: ``polygons`` (each a list of points, closed implicitly),
    or else ``circle``. ``label`` is the middle of its name and ``label_width`` the room for
    it; ``bounds`` encloses the shape."""

    buurt_id: BuurtId
    kern_id: KernId
    name: str
    polygons: tuple[tuple[Point, ...], ...]
    circle: Circle | None
    label: Point
    label_width: float
    bounds: Box


@dataclass(frozen=True, slots=True)
class KernPlacement:
    """Where a kern's name goes (its middle) and, on a schematic, the kern's box."""

    kern_id: KernId
    name: str
    label: Point
    label_width: float
    box: Box | None = None


@dataclass(frozen=True, slots=True)
class MapLayout:
    mode: MapMode
    width: float
    height: float
    buurten: tuple[BuurtShape, ...]
    kernen: tuple[KernPlacement, ...]

    def shape(self, buurt_id: BuurtId) -> BuurtShape | None:
        return next((s for s in self.buurten if s.buurt_id == buurt_id), None)


def layout(network: Network) -> MapLayout:
    """Place every buurt of ``network`` (see the module docstring for how)."""
    if not network.buurten:
        return MapLayout(MapMode.SCHEMATIC, WIDTH, EMPTY_HEIGHT, (), ())
    if all(b.outline or b.location is not None for b in network.buurten):
        return _geographic(network)
    return _schematic(network)


def _by_kern(network: Network) -> list[tuple[KernId, str, list[Buurt]]]:
    """The kernen that have buurten, in network order (a kern the network does not list
    comes after those it does, named by its id), each with its buurten in network order."""
    groups: dict[KernId, list[Buurt]] = {}
    for buurt in network.buurten:
        groups.setdefault(buurt.kern_id, []).append(buurt)
    names = {k.id: k.name for k in network.kernen}
    ordered = [k.id for k in network.kernen if k.id in groups]
    ordered += [kid for kid in groups if kid not in names]
    return [(kid, names.get(kid, kid), groups[kid]) for kid in ordered]


# ---------------------------------------------------------------------------------------------
# Geographic
# ---------------------------------------------------------------------------------------------
def _geographic(network: Network) -> MapLayout:
    lats: list[float] = []
    lons: list[float] = []
    for buurt in network.buurten:
        for ring in buurt.outline:
            lats.extend(p[0] for p in ring)
            lons.extend(p[1] for p in ring)
        if buurt.location is not None:
            lats.append(buurt.location[0])
            lons.append(buurt.location[1])
    lat_min, lat_max, lon_min, lon_max = min(lats), max(lats), min(lons), max(lons)
    shrink = math.cos(math.radians((lat_min + lat_max) / 2))
    span_x, span_y = (lon_max - lon_min) * shrink, lat_max - lat_min

    only_points = sum(1 for b in network.buurten if not b.outline)
    radius = _MIN_RADIUS
    if only_points:
        room = (WIDTH - 2 * MARGIN) ** 2 * 0.75 / len(network.buurten)
        radius = min(_MAX_RADIUS, max(_MIN_RADIUS, 0.3 * math.sqrt(room)))
    margin = MARGIN + (radius if only_points else 0.0)
    fits = [(WIDTH - 2 * margin) / span_x if span_x > 0 else math.inf]
    fits.append((MAX_HEIGHT - 2 * margin) / span_y if span_y > 0 else math.inf)
    scale = min(fits) if min(fits) < math.inf else 1.0
    height = max(MIN_HEIGHT, span_y * scale + 2 * margin)
    left = (WIDTH - span_x * scale) / 2
    top = (height - span_y * scale) / 2

    def project(p: LatLon) -> Point:
        return (left + (p[1] - lon_min) * shrink * scale, top + (lat_max - p[0]) * scale)

    shapes: list[BuurtShape] = []
    for buurt in network.buurten:
        polygons = tuple(_decimate([project(p) for p in ring]) for ring in buurt.outline)
        if polygons:
            bounds = _bounds(p for polygon in polygons for p in polygon)
            largest = max(polygons, key=lambda polygon: abs(_area(polygon)))
            middle = _centroid(largest)
            width = _bounds(largest).width * 0.9
            label = project(buurt.location) if buurt.location is not None else middle
            shapes.append(
                BuurtShape(
                    buurt.id, buurt.kern_id, buurt.name, polygons, None, label, width, bounds
                )
            )
            continue
        assert buurt.location is not None  # geographic: a point where there is no outline
        centre = project(buurt.location)
        bounds = Box(centre[0] - radius, centre[1] - radius, 2 * radius, 2 * radius)
        circle = Circle(centre, radius)
        shapes.append(
            BuurtShape(buurt.id, buurt.kern_id, buurt.name, (), circle, centre, 4 * radius, bounds)
        )

    shape_of = {s.buurt_id: s for s in shapes}
    kernen: list[KernPlacement] = []
    for kid, name, buurten in _by_kern(network):
        # The kern's name in the middle of its buurten' names; a kern of one buurt has it
        # just above that buurt, so that the two names do not cover each other.
        labels = [shape_of[b.id].label for b in buurten]
        x = sum(p[0] for p in labels) / len(labels)
        y = sum(p[1] for p in labels) / len(labels)
        if len(buurten) == 1:
            y = max(_KERN_LABEL_TOP, shape_of[buurten[0].id].bounds.y - 10)
        room = _bounds(p for b in buurten for p in _corners(shape_of[b.id].bounds)).width
        kernen.append(KernPlacement(kid, name, (x, y), max(room, 120.0)))
    return MapLayout(MapMode.GEOGRAPHIC, WIDTH, height, tuple(shapes), tuple(kernen))


def _decimate(points: list[Point]) -> tuple[Point, ...]:
    """Drop points closer than :data:`_MIN_STEP` to the last one kept; a ring that would
    fall below 3 points keeps them all."""
    if len(points) <= 3:
        return tuple(points)
    kept = [points[0]]
    for p in points[1:]:
        last = kept[-1]
        if abs(p[0] - last[0]) + abs(p[1] - last[1]) >= _MIN_STEP:
            kept.append(p)
    return tuple(kept) if len(kept) >= 3 else tuple(points)


def _area(polygon: Sequence[Point]) -> float:
    """Signed area (shoelace)."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        total += x1 * y2 - x2 * y1
    return total / 2


def _centroid(polygon: Sequence[Point]) -> Point:
    area = _area(polygon)
    if abs(area) < 1e-9:
        box = _bounds(polygon)
        return (box.x + box.width / 2, box.y + box.height / 2)
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return (cx / (6 * area), cy / (6 * area))


def _bounds(points: Iterable[Point]) -> Box:
    xs: list[float] = []
    ys: list[float] = []
    for x, y in points:
        xs.append(x)
        ys.append(y)
    return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _corners(box: Box) -> tuple[Point, Point]:
    return ((box.x, box.y), (box.right, box.bottom))


# ---------------------------------------------------------------------------------------------
# Schematic
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Block:
    """One kern's box while it is being placed, in tile units."""

    kern_id: KernId
    name: str
    buurten: list[Buurt]
    cells: list[_Cell]  # of each buurt, in the same order
    columns: int
    rows: int
    width: float = field(init=False)
    height: float = field(init=False)  # of the tiles: the name's band is above them

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", self.columns + 2 * _PAD)
        object.__setattr__(self, "height", self.rows + _PAD)


def _schematic(network: Network) -> MapLayout:
    blocks: list[_Block] = []
    for kid, name, buurten in _by_kern(network):
        columns = math.ceil(math.sqrt(len(buurten)))
        rows = math.ceil(len(buurten) / columns)
        cells = _arrange(buurten, columns, rows)
        blocks.append(_Block(kid, name, buurten, cells, columns, rows))

    # Rows ("shelves") of kern boxes, filled in order, as wide as makes the map closest to
    # _ASPECT times as wide as high: a few widths between the widest box and all in a row.
    narrowest = max(b.width for b in blocks)
    one_row = sum(b.width for b in blocks) + _GAP * (len(blocks) - 1)
    tries = [narrowest + (one_row - narrowest) * i / _TRIES for i in range(_TRIES + 1)]
    shelves = min(
        (_shelves(blocks, width) for width in tries),
        key=lambda found: abs(math.log(WIDTH / _height(found, _tile(found)) / _ASPECT)),
    )
    tile = _tile(shelves)
    left = (WIDTH - _widest(shelves) * tile) / 2

    shapes: list[BuurtShape] = []
    kernen: list[KernPlacement] = []
    top = MARGIN
    for shelf in shelves:
        for x, block in shelf:
            width = block.width * tile
            box = Box(left + x * tile, top, width, block.height * tile + _LABEL_BAND)
            label = (box.x + box.width / 2, top + _LABEL_BAND * 0.6)
            kernen.append(KernPlacement(block.kern_id, block.name, label, box.width, box))
            origin = (box.x + _PAD * tile, top + _LABEL_BAND)
            shapes.extend(_tiles(block, origin, tile))
        top += _shelf_height(shelf, tile) + _GAP * tile
    height = _height(shelves, tile)
    return MapLayout(MapMode.SCHEMATIC, WIDTH, height, tuple(shapes), tuple(kernen))


#: A row of kern boxes: each box with its distance from the left of the row, in tiles.
_Shelf = list[tuple[float, _Block]]


def _shelves(blocks: list[_Block], width: float) -> list[_Shelf]:
    """The blocks in rows at most ``width`` tiles wide (or one block), in order."""
    shelves: list[_Shelf] = [[]]
    used = 0.0
    for block in blocks:
        if shelves[-1] and used + _GAP + block.width > width + 1e-9:
            shelves.append([])
            used = 0.0
        x = used + (_GAP if shelves[-1] else 0.0)
        used = x + block.width
        shelves[-1].append((x, block))
    return shelves


def _widest(shelves: list[_Shelf]) -> float:
    return max(s[-1][0] + s[-1][1].width for s in shelves)


def _tile(shelves: list[_Shelf]) -> float:
    """The size of a tile in user units when the widest row fills the map's width."""
    return min(_MAX_TILE, (WIDTH - 2 * MARGIN) / _widest(shelves))


def _shelf_height(shelf: _Shelf, tile: float) -> float:
    return max(b.height for _, b in shelf) * tile + _LABEL_BAND


def _height(shelves: list[_Shelf], tile: float) -> float:
    rows = sum(_shelf_height(s, tile) for s in shelves)
    return MARGIN + rows + _GAP * tile * (len(shelves) - 1) + MARGIN


def _tiles(block: _Block, origin: Point, tile: float) -> list[BuurtShape]:
    side = tile * _TILE_FILL
    inset = (tile - side) / 2
    out: list[BuurtShape] = []
    for buurt, (row, col) in zip(block.buurten, block.cells, strict=True):
        x = origin[0] + col * tile + inset
        y = origin[1] + row * tile + inset
        square = ((x, y), (x + side, y), (x + side, y + side), (x, y + side))
        middle = (x + side / 2, y + side / 2)
        bounds = Box(x, y, side, side)
        out.append(
            BuurtShape(buurt.id, buurt.kern_id, buurt.name, (square,), None, middle, side, bounds)
        )
    return out


def _arrange(buurten: list[Buurt], columns: int, rows: int) -> list[_Cell]:
    """A cell of the kern's grid for each of its buurten, neighbours near each other.

    The buurten are taken in the order of a breadth-first walk of their adjacency (see
    :func:`_walk`); each goes to the free cell nearest the middle of its neighbours placed
    before it, looking at most :data:`_SEARCH` cells away; a buurt without placed
    neighbours (or without a free cell that near) takes the first free cell of a snake
    through the grid (left to right, then right to left). Linear in the number of buurten
    and their links."""
    snake = [
        (row, col if row % 2 == 0 else columns - 1 - col)
        for row in range(rows)
        for col in range(columns)
    ]
    rank = {cell: n for n, cell in enumerate(snake)}
    free = set(snake)
    next_free = 0
    order, links = _walk(buurten)
    cells: list[_Cell | None] = [None] * len(buurten)
    for i in order:
        placed = [c for j in links[i] if (c := cells[j]) is not None]
        cell = _nearest_free(placed, free, rank, rows, columns) if placed else None
        if cell is None:
            while snake[next_free] not in free:
                next_free += 1
            cell = snake[next_free]
        free.discard(cell)
        cells[i] = cell
    return [c for c in cells if c is not None]


def _nearest_free(
    placed: list[_Cell], free: set[_Cell], rank: dict[_Cell, int], rows: int, columns: int
) -> _Cell | None:
    """The free cell nearest the middle of ``placed`` (the earlier in the snake of two
    as near), within :data:`_SEARCH` rings of cells around it; ``None`` if there is none."""
    row = sum(c[0] for c in placed) / len(placed)
    col = sum(c[1] for c in placed) / len(placed)
    r0, c0 = round(row), round(col)
    best: tuple[float, int, _Cell] | None = None
    for ring in range(min(_SEARCH, max(rows, columns)) + 1):
        if best is not None and ring > math.sqrt(best[0]) + 1:
            break  # no cell this far out can be nearer
        for r in range(max(0, r0 - ring), min(rows, r0 + ring + 1)):
            step = 1 if abs(r - r0) == ring else 2 * ring  # the ring's edge only
            for c in range(c0 - ring, c0 + ring + 1, max(step, 1)):
                if 0 <= c < columns and (r, c) in free:
                    key = ((r - row) ** 2 + (c - col) ** 2, rank[(r, c)], (r, c))
                    if best is None or key < best:
                        best = key
    return best[2] if best is not None else None


def _walk(buurten: list[Buurt]) -> tuple[list[int], list[set[int]]]:
    """The indexes of one kern's buurten in the order of a breadth-first walk of their
    adjacency, and the adjacency itself (read both ways; buurten of other kernen left out).
    As in Cuthill-McKee, each connected part starts at a buurt far from where it was
    entered, and neighbours are visited fewest-neighbours first, then in network order."""
    index = {b.id: i for i, b in enumerate(buurten)}
    links: list[set[int]] = [set() for _ in buurten]
    for i, buurt in enumerate(buurten):
        for other in buurt.adjacent:
            j = index.get(other)
            if j is not None and j != i:
                links[i].add(j)
                links[j].add(i)
    neighbours = [sorted(ns, key=lambda j: (len(links[j]), j)) for ns in links]

    probed = [-1] * len(buurten)
    walked = [-1] * len(buurten)
    order: list[int] = []
    for start in range(len(buurten)):
        if walked[start] >= 0:
            continue
        # A first walk finds the far end of this part; the real walk starts there.
        root = _bfs(start, neighbours, probed, start)[-1]
        order.extend(_bfs(root, neighbours, walked, start))
    return order, links


def _bfs(start: int, neighbours: list[list[int]], marks: list[int], mark: int) -> list[int]:
    """Indexes reached from ``start`` breadth-first, each marked with ``mark``."""
    marks[start] = mark
    found = [start]
    queue = deque([start])
    while queue:
        for j in neighbours[queue.popleft()]:
            if marks[j] != mark:
                marks[j] = mark
                found.append(j)
                queue.append(j)
    return found
