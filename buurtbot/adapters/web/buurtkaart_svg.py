"""The regie dashboard's map as inline SVG: every buurt coloured by its escalations.

:func:`render_map` draws a :class:`~buurtbot.core.domain.buurtkaart.MapLayout`. Each buurt
is a link (``<a href>``) around its shape, so clicking it opens the buurt's page without
any script; its name and count are in a ``<title>`` (the browser's tooltip), and also drawn
on the map when there are at most :data:`MAX_NAMED_BUURTEN` buurten. The page's
Content-Security-Policy allows inline styles and no scripts: everything here is attributes.

Colours: 0 escalations is light grey; counts from 1 up to the largest on the map fall in
five equal classes, light to dark, each the counts ``n`` with ``ceil(5 * n / max) = class``
(so the largest count is always darkest). The legend shows the classes that hold a count.

Every name and id comes from a network file and is escaped; so is every ``href``. Nothing
is translated here: the caller passes its words in :class:`MapLabels`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

from buurtbot.core.domain.buurtkaart import BuurtShape, KernPlacement, MapLayout, MapMode
from buurtbot.core.ids import BuurtId

__all__ = ["MAX_NAMED_BUURTEN", "MapLabels", "colour_class", "legend_classes", "render_map"]

#: Buurt names are drawn on the map up to this many buurten (else only in the tooltip).
MAX_NAMED_BUURTEN = 60
#: Fill of a buurt without escalations.
ZERO_COLOUR = "#e5e5e5"
#: Fills of the five classes from 1 up to the largest count, light to dark (ColorBrewer Reds).
CLASS_COLOURS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
_TEXT = "#1f1f1f"
_HALO = "#ffffff"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
_LEGEND_HEIGHT = 74.0
_LEGEND_MARGIN = 20.0
_CHAR = 0.56  # average glyph width, as a share of the font size
_BUURT_FONT = (9.0, 16.0)  # smallest and largest font size of a buurt's name
_KERN_FONT = (11.0, 18.0)


@dataclass(frozen=True, slots=True)
class MapLabels:
    """The map's words, already in the reader's language.

    ``aria_label`` names the whole map for screen readers ("Escalations per buurt, last 30
    days"); ``legend_title`` heads the legend ("Escalations"); ``buurt_title(name, count)``
    is a buurt's tooltip ("Goor West: 3 escalations", with the plural right)."""

    aria_label: str
    legend_title: str
    buurt_title: Callable[[str, int], str]


def colour_class(count: int, maximum: int) -> int:
    """0 for no escalations, else 1..5: the class of ``count`` when the largest is ``maximum``."""
    if count <= 0 or maximum <= 0:
        return 0
    return max(1, min(5, (5 * count + maximum - 1) // maximum))


def legend_classes(maximum: int) -> list[tuple[int, int, int]]:
    """``(class, lowest, highest)`` of every class that holds a count, ``(0, 0, 0)`` first."""
    out = [(0, 0, 0)]
    for k in range(1, 6):
        low, high = (k - 1) * maximum // 5 + 1, k * maximum // 5
        if low <= high:
            out.append((k, low, high))
    return out


def render_map(
    layout: MapLayout,
    counts: Mapping[BuurtId, int],
    *,
    href: Callable[[BuurtId], str],
    selected: BuurtId | None,
    labels: MapLabels,
) -> Markup:
    """The map as one ``<svg>`` element, ready to put in a page (see the module docstring).

    ``counts`` gives each buurt's escalations (a buurt not in it has none); ``href`` the
    address its shape links to; ``selected`` the buurt drawn with a thick outline."""
    count_of = {s.buurt_id: max(0, int(counts.get(s.buurt_id, 0))) for s in layout.buurten}
    maximum = max(count_of.values(), default=0)
    height = layout.height + _LEGEND_HEIGHT
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="buurtkaart" '
        f'viewBox="0 0 {_n(layout.width)} {_n(height)}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="group" '
        f'aria-label="{escape(labels.aria_label)}" '
        f'font-family="{escape(_FONT)}" style="display:block;max-width:100%;height:auto">'
    ]
    if layout.mode is MapMode.SCHEMATIC:
        out.append('<g class="kernen">')
        out.extend(_kern_box(k) for k in layout.kernen if k.box is not None)
        out.append("</g>")

    # The selected buurt last, so that its outline is on top of its neighbours'.
    shapes = sorted(layout.buurten, key=lambda s: s.buurt_id == selected)
    out.append('<g class="buurten">')
    for shape in shapes:
        count = count_of[shape.buurt_id]
        out.append(
            _buurt(
                shape,
                count,
                colour_class(count, maximum),
                str(escape(href(shape.buurt_id))),
                labels.buurt_title(shape.name, count),
                selected=shape.buurt_id == selected,
            )
        )
    out.append("</g>")

    if len(layout.buurten) <= MAX_NAMED_BUURTEN:
        out.append('<g class="buurt-names" pointer-events="none">')
        out.extend(_buurt_name(s) for s in layout.buurten)
        out.append("</g>")
    out.append('<g class="kern-names" pointer-events="none">')
    out.extend(_kern_name(k) for k in layout.kernen)
    out.append("</g>")
    out.append(_legend(layout, maximum, labels.legend_title))
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every name, id and href above is escaped


# ---------------------------------------------------------------------------------------------
def _n(value: float) -> str:
    """A coordinate, compact: at most 2 decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _fill(klass: int) -> str:
    return ZERO_COLOUR if klass == 0 else CLASS_COLOURS[klass - 1]


def _buurt(
    shape: BuurtShape, count: int, klass: int, href: str, title: str, *, selected: bool
) -> str:
    stroke = (
        'stroke="#111111" stroke-width="3.5"' if selected else 'stroke="#ffffff" stroke-width="1"'
    )
    common = (
        f'class="buurt c{klass}" data-buurt="{escape(shape.buurt_id)}" data-count="{count}" '
        f'fill="{_fill(klass)}" {stroke} vector-effect="non-scaling-stroke"'
    )
    if shape.circle is not None:
        (cx, cy), r = shape.circle.centre, shape.circle.radius
        element = f'<circle {common} cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}">'
        end = "</circle>"
    else:
        d = "".join(
            "M" + "L".join(f"{_n(x)},{_n(y)}" for x, y in polygon) + "Z"
            for polygon in shape.polygons
        )
        element = f'<path {common} d="{d}">'
        end = "</path>"
    current = ' aria-current="true"' if selected else ""
    return f'<a href="{href}"{current}>{element}<title>{escape(title)}</title>{end}</a>'


def _text(
    lines: list[str], centre: tuple[float, float], size: float, room: float, *, css: str, bold: bool
) -> str:
    """Centred text of one or more lines with a white halo; squeezed into ``room`` when even
    the smallest font is too wide."""
    cx, cy = centre
    weight = ' font-weight="600"' if bold else ""
    parts = [
        f'<text class="{css}" text-anchor="middle" font-size="{_n(size)}"{weight} '
        f'fill="{_TEXT}" stroke="{_HALO}" stroke-width="3" stroke-linejoin="round" '
        'paint-order="stroke">'
    ]
    first = cy - (len(lines) - 1) * 0.55 * size + 0.35 * size
    for i, line in enumerate(lines):
        squeeze = ""
        if _CHAR * size * len(line) > room > 0:
            squeeze = f' textLength="{_n(room)}" lengthAdjust="spacingAndGlyphs"'
        y = first + i * 1.1 * size
        parts.append(f'<tspan x="{_n(cx)}" y="{_n(y)}"{squeeze}>{escape(line)}</tspan>')
    parts.append("</text>")
    return "".join(parts)


def _fit(lines: list[str], room: float, smallest: float, largest: float) -> float:
    longest = max(len(line) for line in lines) or 1
    return max(smallest, min(largest, room / (_CHAR * longest)))


def _lines(name: str, room: float, smallest: float, largest: float) -> tuple[list[str], float]:
    """The name on one line, or on two (split at the space nearest its middle) when that
    lets it be drawn larger."""
    one = [name]
    size = _fit(one, room, smallest, largest)
    if size >= largest or " " not in name.strip():
        return one, size
    middle = len(name) / 2
    cut = min((i for i, c in enumerate(name) if c == " "), key=lambda i: abs(i - middle))
    two = [name[:cut].strip(), name[cut:].strip()]
    two_size = _fit(two, room, smallest, largest)
    return (two, two_size) if two_size > size else (one, size)


def _buurt_name(shape: BuurtShape) -> str:
    room = shape.label_width
    lines, size = _lines(shape.name, room, *_BUURT_FONT)
    return _text(lines, shape.label, size, room, css="buurt-name", bold=False)


def _kern_name(kern: KernPlacement) -> str:
    room = max(0.0, kern.label_width - 8)
    size = _fit([kern.name], room, *_KERN_FONT)
    return _text([kern.name], kern.label, size, room, css="kern-name", bold=True)


def _kern_box(kern: KernPlacement) -> str:
    box = kern.box
    assert box is not None
    return (
        f'<rect class="kern" data-kern="{escape(kern.kern_id)}" x="{_n(box.x)}" y="{_n(box.y)}" '
        f'width="{_n(box.width)}" height="{_n(box.height)}" rx="6" fill="#f6f6f6" '
        'stroke="#cfcfcf" stroke-width="1" vector-effect="non-scaling-stroke"/>'
    )


def _legend(layout: MapLayout, maximum: int, title: str) -> str:
    top = layout.height
    classes = legend_classes(maximum)
    step = (layout.width - 2 * _LEGEND_MARGIN) / 6
    parts = [
        f'<g class="legend"><text x="{_n(_LEGEND_MARGIN)}" y="{_n(top + 22)}" font-size="16" '
        f'font-weight="600" fill="{_TEXT}">{escape(title)}</text>'
    ]
    for i, (klass, low, high) in enumerate(classes):
        x = _LEGEND_MARGIN + i * step
        shown = str(low) if low == high else f"{low}–{high}"
        parts.append(
            f'<rect class="swatch c{klass}" x="{_n(x)}" y="{_n(top + 34)}" width="24" '
            f'height="24" rx="3" fill="{_fill(klass)}" stroke="#9a9a9a" stroke-width="1" '
            'vector-effect="non-scaling-stroke"/>'
            f'<text class="range" data-class="{klass}" x="{_n(x + 32)}" y="{_n(top + 52)}" '
            f'font-size="16" fill="{_TEXT}">{shown}</text>'
        )
    parts.append("</g>")
    return "".join(parts)
