"""The regie map as SVG: valid XML, one linked shape per buurt, colours, legend, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from buurtbot.adapters.web.buurtkaart_svg import (
    CLASS_COLOURS,
    ZERO_COLOUR,
    MapLabels,
    colour_class,
    legend_classes,
    render_map,
)
from buurtbot.core.domain.buurtkaart import layout
from buurtbot.core.domain.model import Buurt, Gemeente, Kern
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import BuurtId, GemeenteId, KernId

SVG = "{http://www.w3.org/2000/svg}"
G = GemeenteId("g")
LABELS = MapLabels(
    aria_label="Escalaties per buurt",
    legend_title="Escalaties",
    buurt_title=lambda name, n: f"{name}: {n} escalaties",
)
EVIL = "<script>alert(\"x\")</script> & 'co'"


def network(count: int, *, names: dict[int, str] | None = None, geo: bool = False) -> Network:
    names = names or {}
    buurten = tuple(
        Buurt(
            BuurtId(f"b{i}"),
            G,
            KernId(f"k{i % 3}"),
            names.get(i, f"Buurt {i}"),
            adjacent=frozenset({BuurtId(f"b{i + 3}")}),
            location=(52.2 + 0.01 * (i // 5), 6.5 + 0.01 * (i % 5)) if geo else None,
        )
        for i in range(count)
    )
    kernen = tuple(Kern(KernId(f"k{k}"), G, f"Kern {k}") for k in range(3))
    return Network(Gemeente(G, "G"), kernen, buurten, ())


def href(bid: BuurtId) -> str:
    return f"/regie/buurt/{bid}?periode=30&x=1"


def render(
    net: Network, counts: dict[BuurtId, int], selected: BuurtId | None = None
) -> tuple[str, ET.Element]:
    svg = render_map(layout(net), counts, href=href, selected=selected, labels=LABELS)
    assert isinstance(svg, Markup)
    return str(svg), ET.fromstring(str(svg))


def shapes(root: ET.Element) -> dict[str, ET.Element]:
    found = [e for e in root.iter() if "buurt" in (e.get("class") or "").split()]
    return {e.get("data-buurt", ""): e for e in found}


def links(root: ET.Element) -> dict[str, ET.Element]:
    """Each buurt's ``<a>``, by the buurt id of the shape inside."""
    out = {}
    for a in root.iter(f"{SVG}a"):
        (shape,) = list(a)
        out[shape.get("data-buurt", "")] = a
    return out


COUNTS = {BuurtId("b0"): 0, BuurtId("b1"): 1, BuurtId("b2"): 5, BuurtId("b3"): 10}


def test_one_linked_shape_per_buurt_with_its_count_and_colour() -> None:
    net = network(5)
    text, root = render(net, COUNTS)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "group"  # a labelled group: its links stay reachable
    assert root.get("aria-label") == "Escalaties per buurt"
    found = shapes(root)
    assert sorted(found) == [f"b{i}" for i in range(5)]
    expected = {"b0": (0, 0), "b1": (1, 1), "b2": (5, 3), "b3": (10, 5), "b4": (0, 0)}
    for bid, (count, klass) in expected.items():
        shape = found[bid]
        assert shape.tag == f"{SVG}path"
        assert shape.get("data-count") == str(count)
        assert f"c{klass}" in (shape.get("class") or "").split()
        assert shape.get("fill") == (ZERO_COLOUR if klass == 0 else CLASS_COLOURS[klass - 1])
        title = shape.find(f"{SVG}title")
        assert title is not None
        assert title.text == f"Buurt {bid[1:]}: {count} escalaties"
    for bid, a in links(root).items():
        assert a.get("href") == href(BuurtId(bid))
    assert "&amp;x=1" in text  # the href's & escaped in the markup


def test_the_map_scales_to_its_container() -> None:
    net = network(5)
    found = layout(net)
    _, root = render(net, {})
    assert root.get("width") == "100%"
    assert root.get("preserveAspectRatio") == "xMidYMid meet"
    assert "height:auto" in (root.get("style") or "")
    _, _, width, height = (float(v) for v in (root.get("viewBox") or "").split())
    assert width == found.width
    assert height > found.height  # the legend goes below the map


def test_numbers_have_at_most_two_decimals() -> None:
    text, _ = render(network(7, geo=True), COUNTS)
    assert re.findall(r"\d\.\d{3,}", text) == []
    assert re.findall(r"\d\.\d{1,2}", text)  # there are decimals, just short ones


def test_a_buurt_without_a_count_has_none_and_unknown_ids_are_ignored() -> None:
    _, root = render(network(3), {BuurtId("b1"): 2, BuurtId("elders"): 99})
    found = shapes(root)
    assert found["b0"].get("data-count") == "0"
    assert found["b1"].get("data-count") == "2"
    assert "c5" in (found["b1"].get("class") or "")  # 2 is the largest on this map
    assert "elders" not in found


def test_names_and_ids_from_the_network_file_are_escaped() -> None:
    net = Network(
        Gemeente(G, "G"),
        (Kern(KernId("k"), G, EVIL),),
        (Buurt(BuurtId('b"<&>'), G, KernId("k"), EVIL),),
        (),
    )
    svg = render_map(
        layout(net),
        {BuurtId('b"<&>'): 3},
        href=lambda bid: f'/b/{bid}"><script>',
        selected=None,
        labels=MapLabels("<b>map</b>", "<i>legend</i>", lambda name, n: f"{name}: {n}"),
    )
    text = str(svg)
    assert "<script" not in text
    assert "<b>" not in text
    assert "<i>" not in text
    root = ET.fromstring(text)
    (shape,) = shapes(root).values()
    assert shape.get("data-buurt") == 'b"<&>'
    title = shape.find(f"{SVG}title")
    assert title is not None
    assert title.text == f"{EVIL}: 3"
    (a,) = links(root).values()
    assert a.get("href") == '/b/b"<&>"><script>'
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert texts.count(EVIL) == 2  # the kern's name and the buurt's
    assert root.get("aria-label") == "<b>map</b>"


@pytest.mark.parametrize(
    ("maximum", "ranges"),
    [
        (0, ["0"]),
        (1, ["0", "1"]),
        (3, ["0", "1", "2", "3"]),
        (5, ["0", "1", "2", "3", "4", "5"]),
        (12, ["0", "1–2", "3–4", "5–7", "8–9", "10–12"]),
        (100, ["0", "1–20", "21–40", "41–60", "61–80", "81–100"]),
    ],
)
def test_the_legend_shows_the_classes_that_hold_a_count(maximum: int, ranges: list[str]) -> None:
    counts = {BuurtId("b0"): maximum} if maximum else {}
    _, root = render(network(3), counts)
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    shown = [t.text for t in legend.iter(f"{SVG}text") if t.get("class") == "range"]
    assert shown == ranges
    title = next(t for t in legend.iter(f"{SVG}text") if t.get("class") != "range")
    assert title.text == "Escalaties"
    # Every count falls in the class whose range holds it.
    for klass, low, high in legend_classes(maximum):
        for n in (low, high):
            assert colour_class(n, maximum) == klass


def test_the_largest_count_is_darkest_and_one_is_lightest() -> None:
    assert colour_class(0, 7) == 0
    assert colour_class(1, 100) == 1
    assert colour_class(100, 100) == 5
    assert colour_class(3, 3) == 5
    assert [colour_class(n, 10) for n in range(11)] == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_buurt_names_are_drawn_on_small_maps_only() -> None:
    def drawn(count: int) -> list[str]:
        _, root = render(network(count), {})
        return [
            "".join(t.itertext()) for t in root.iter(f"{SVG}text") if t.get("class") == "buurt-name"
        ]

    assert sorted(drawn(60)) == sorted(f"Buurt {i}" for i in range(60))
    assert drawn(61) == []
    _, root = render(network(61), {})
    assert len(list(root.iter(f"{SVG}title"))) == 61  # still in every tooltip
    kern_names = [t for t in root.iter(f"{SVG}text") if t.get("class") == "kern-name"]
    assert ["".join(t.itertext()) for t in kern_names] == ["Kern 0", "Kern 1", "Kern 2"]


def test_a_long_name_is_split_over_two_lines() -> None:
    _, root = render(network(3, names={0: "Markelo Buitengebied Noordoost"}), {})
    name = next(
        t
        for t in root.iter(f"{SVG}text")
        if t.get("class") == "buurt-name" and "Markelo" in "".join(t.itertext())
    )
    lines = [s.text for s in name.iter(f"{SVG}tspan")]
    assert len(lines) == 2
    assert " ".join(map(str, lines)) == "Markelo Buitengebied Noordoost"


def test_the_selected_buurt_is_outlined_and_drawn_last() -> None:
    _, root = render(network(5), COUNTS, selected=BuurtId("b2"))
    found = shapes(root)
    assert float(found["b2"].get("stroke-width") or 0) > 3
    assert all(float(s.get("stroke-width") or 0) <= 1 for b, s in found.items() if b != "b2")
    order = list(links(root))
    assert order[-1] == "b2"
    assert links(root)["b2"].get("aria-current") == "true"
    assert links(root)["b0"].get("aria-current") is None


def test_a_geographic_map_draws_points_as_circles_without_kern_boxes() -> None:
    _, root = render(network(6, geo=True), COUNTS)
    found = shapes(root)
    assert {s.tag for s in found.values()} == {f"{SVG}circle"}
    assert [r for r in root.iter(f"{SVG}rect") if r.get("class") == "kern"] == []
    _, schematic = render(network(6), COUNTS)
    assert len([r for r in schematic.iter(f"{SVG}rect") if r.get("class") == "kern"]) == 3


def test_no_script_and_no_style_element() -> None:
    text, root = render(network(10), COUNTS)
    assert not list(root.iter(f"{SVG}script"))
    assert not list(root.iter(f"{SVG}style"))
    assert "javascript:" not in text
    assert " on" not in re.sub(r">[^<]*<", "><", text)  # no event handler attributes


def test_an_empty_network_renders_an_empty_map_with_its_legend() -> None:
    net = Network(Gemeente(G, "G"), (), (), ())
    _, root = render(net, {})
    assert shapes(root) == {}
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "range"] == ["0"]
