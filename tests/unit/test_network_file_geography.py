"""Network files: a buurt's optional location, and a gemeente's optional GeoJSON outlines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from buurtbot.config import network_file
from buurtbot.config.network_file import NetworkFileError, NetworkFileProblem, load_network_file
from buurtbot.core.domain.buurtkaart import MapMode, layout
from buurtbot.core.domain.model import Buurt
from buurtbot.core.ids import GemeenteId
from buurtbot.core.services.network_sync import SyncReport, apply_network
from tests.fakes import FakeStore, fake_uow_factory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hof-van-twente.toml"

GEMEENTE = """
[gemeente]
id = "g"
name = "Gemeente G"
{extra}

[[kern]]
id = "k"
name = "Kern K"
"""


def buurt_table(bid: str, *lines: str) -> str:
    return "\n".join(["", "[[buurt]]", f'id = "{bid}"', 'kern = "k"', f'name = "{bid}"', *lines])


def document(*buurten: str, extra: str = "") -> str:
    return GEMEENTE.format(extra=extra) + "".join(buurten) + "\n"


TWO = (buurt_table("goor-west"), buurt_table("goor-oost"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "net.toml"
    path.write_text(text, encoding="utf-8")
    return path


def loaded(tmp_path: Path, text: str) -> dict[str, Buurt]:
    return {b.id: b for b in load_network_file(write(tmp_path, text)).network.buurten}


def problems(tmp_path: Path, text: str) -> list[NetworkFileProblem]:
    with pytest.raises(NetworkFileError) as info:
        load_network_file(write(tmp_path, text))
    return info.value.errors


def the_problem(tmp_path: Path, text: str) -> NetworkFileProblem:
    found = problems(tmp_path, text)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def feature(buurt: object, geometry: object, key: str = "buurt") -> dict[str, Any]:
    return {"type": "Feature", "properties": {key: buurt}, "geometry": geometry}


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


#: Around Goor, [lon, lat] as GeoJSON has it, closed as GeoJSON wants it.
RING = [[6.57, 52.23], [6.59, 52.23], [6.59, 52.24], [6.57, 52.24], [6.57, 52.23]]
HOLE = [[6.575, 52.233], [6.58, 52.233], [6.58, 52.236], [6.575, 52.233]]
RING_EAST = [[6.60, 52.23], [6.62, 52.23], [6.61, 52.24]]  # not closed: accepted


def with_geojson(tmp_path: Path, doc: object, *buurten: str, raw: str | None = None) -> str:
    """A network file naming ``maps/g.geojson`` (written next to it), of ``doc``."""
    (tmp_path / "maps").mkdir(exist_ok=True)
    text = raw if raw is not None else json.dumps(doc)
    (tmp_path / "maps" / "g.geojson").write_text(text, encoding="utf-8")
    return document(*(buurten or TWO), extra='geojson = "maps/g.geojson"')


def collection(*features: object) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


# -- location --------------------------------------------------------------------------------
def test_a_location_is_latitude_then_longitude(tmp_path: Path) -> None:
    found = loaded(
        tmp_path,
        document(buurt_table("goor-west", "location = [52.2336, 6.5839]"), buurt_table("b")),
    )
    assert found["goor-west"].location == (52.2336, 6.5839)
    assert found["goor-west"].outline == ()
    assert found["b"].location is None


def test_a_location_in_whole_degrees_is_read_as_floats(tmp_path: Path) -> None:
    found = loaded(tmp_path, document(buurt_table("a", "location = [52, -6]")))
    assert found["a"].location == (52.0, -6.0)
    assert all(isinstance(v, float) for v in found["a"].location or ())


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('"52.2, 6.5"', "expected [latitude, longitude], two numbers in degrees such as "
                        "[52.2336, 6.5839], got a string"),
        ("[52.2]", "got an array of 1"),
        ("[52.2, 6.5, 10.0]", "got an array of 3"),
        ('[52.2, "6.5"]', "got an array holding a string"),
        ("[true, 6.5]", "got an array holding a boolean"),
        ("[91.0, 6.5]", "latitude 91 is outside -90..90; are the two the other way round? "
                        "write [latitude, longitude]"),
        ("[95.0, 120.0]", "latitude 95 is outside -90..90"),
        ("[52.2, 181.0]", "longitude 181 is outside -180..180"),
        ("[470000.0, 240000.0]", "[470000, 240000] is not in degrees; it looks like a projected "
                                 "coordinate system"),
        ("[nan, 6.5]", "[latitude, longitude] must be finite numbers"),
        ("[52.2, inf]", "[latitude, longitude] must be finite numbers"),
    ],
)  # fmt: skip
def test_a_wrong_location(tmp_path: Path, value: str, reason: str) -> None:
    problem = the_problem(tmp_path, document(buurt_table("a", f"location = {value}")))
    assert problem.field == 'buurt "a".location'
    assert reason in problem.reason, problem.reason
    if value == "[95.0, 120.0]":
        assert "other way round" not in problem.reason


def test_the_example_gives_some_buurten_a_location() -> None:
    net = load_network_file(EXAMPLE).network
    located = {b.id: b.location for b in net.buurten if b.location is not None}
    assert set(located) >= {"markelo-dorp", "bentelo-dorp"}
    for lat, lon in located.values():
        assert 52.1 < lat < 52.3  # Hof van Twente
        assert 6.4 < lon < 6.8
    assert layout(net).mode is MapMode.SCHEMATIC  # not every buurt has one


# -- GeoJSON ---------------------------------------------------------------------------------
def test_outlines_and_points_come_from_the_geojson_file(tmp_path: Path) -> None:
    doc = collection(
        feature("goor-west", polygon(RING, HOLE)),
        feature("goor-oost", {"type": "MultiPolygon", "coordinates": [[RING_EAST], [RING]]}),
        feature("goor-oost", {"type": "Point", "coordinates": [6.61, 52.235, 12.0]}),
    )
    found = loaded(tmp_path, with_geojson(tmp_path, doc))
    west, oost = found["goor-west"], found["goor-oost"]
    # (lat, lon), the closing point dropped, the hole ignored.
    assert west.outline == (((52.23, 6.57), (52.23, 6.59), (52.24, 6.59), (52.24, 6.57)),)
    assert west.location is None
    assert oost.outline == (
        ((52.23, 6.60), (52.23, 6.62), (52.24, 6.61)),
        ((52.23, 6.57), (52.23, 6.59), (52.24, 6.59), (52.24, 6.57)),
    )
    assert oost.location == (52.235, 6.61)
    assert layout(load_network_file(tmp_path / "net.toml").network).mode is MapMode.GEOGRAPHIC


def test_features_of_one_buurt_add_up_and_properties_id_names_it_too(tmp_path: Path) -> None:
    doc = collection(
        feature("goor-west", polygon(RING), key="id"),
        feature("goor-west", polygon(RING_EAST)),
    )
    found = loaded(tmp_path, with_geojson(tmp_path, doc))
    assert len(found["goor-west"].outline) == 2
    assert found["goor-oost"].outline == ()  # a buurt may be left out


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    text = "\ufeff" + json.dumps(collection(feature("goor-west", polygon(RING))))
    found = loaded(tmp_path, with_geojson(tmp_path, None, raw=text))
    assert len(found["goor-west"].outline) == 1


def test_the_path_is_relative_to_the_network_file_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = with_geojson(tmp_path, collection(feature("goor-west", polygon(RING))))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert len(loaded(tmp_path, text)["goor-west"].outline) == 1


def geo_problem(tmp_path: Path, doc: object, *, raw: str | None = None) -> NetworkFileProblem:
    problem = the_problem(tmp_path, with_geojson(tmp_path, doc, raw=raw))
    assert problem.file == str(tmp_path / "maps" / "g.geojson")
    return problem


@pytest.mark.parametrize(
    ("doc", "field", "reason"),
    [
        ([], "", "expected a GeoJSON FeatureCollection, got an array"),
        ({"type": "Feature"}, "", 'expected a GeoJSON FeatureCollection, got type "Feature"'),
        ({"type": "FeatureCollection"}, "features", "expected an array of features, got null"),
        (collection(["x"]), "features[0]", 'expected a Feature (an object with "type": "Feature")'),
        (collection({"type": "Feature", "properties": {}, "geometry": None}),
         "features[0].properties", 'names no buurt: give the feature "properties": {"buurt"'),
        (collection(feature(7, polygon(RING))), "features[0].properties.buurt",
         "expected a buurt id (a string), got an integer"),
        (collection(feature("goor-wes", polygon(RING))), "features[0].properties.buurt",
         'unknown buurt "goor-wes" (did you mean "goor-west"?)'),
        (collection(feature("elders", polygon(RING), key="id")), "features[0].properties.id",
         'unknown buurt "elders"'),
        (collection(feature("goor-west", None)), "features[0].geometry",
         "expected a Polygon, MultiPolygon or Point, got null"),
        (collection(feature("goor-west", {"type": "LineString", "coordinates": RING})),
         "features[0].geometry.type",
         '"LineString" is not supported: use Polygon, MultiPolygon or Point'),
        (collection(feature("goor-west", {"type": "Polygon", "coordinates": []})),
         "features[0].geometry.coordinates",
         "expected a polygon: an array of rings, the outer ring first"),
        (collection(feature("goor-west", {"type": "MultiPolygon", "coordinates": "x"})),
         "features[0].geometry.coordinates", "expected an array of polygons, got a string"),
        (collection(feature("goor-west", {"type": "MultiPolygon", "coordinates": [[RING], 5]})),
         "features[0].geometry.coordinates[1]",
         "expected a polygon: an array of rings, the outer ring first"),
        (collection(feature("goor-west", polygon([[6.57, 52.23], [6.59, 52.23], [6.57, 52.23]]))),
         "features[0].geometry.coordinates[0]", "a ring needs at least 3 different points, got 2"),
        (collection(feature("goor-west", {"type": "Polygon", "coordinates": [5]})),
         "features[0].geometry.coordinates[0]",
         "expected a ring: an array of [longitude, latitude] positions, got an integer"),
        (collection(feature("goor-west", polygon([[6.57, 52.23], [6.59], [6.6, 52.24]]))),
         "features[0].geometry.coordinates[0][1]",
         "expected a position [longitude, latitude], got an array of 1"),
        (collection(feature("goor-west", polygon([[6.57, 52.23], ["6.59", 52.2], [6.6, 52.24]]))),
         "features[0].geometry.coordinates[0][1]",
         "expected a position [longitude, latitude], got an array holding a string"),
        (collection(feature("goor-west", {"type": "Point", "coordinates": [52.23, 96.57]})),
         "features[0].geometry.coordinates",
         "latitude 96.57 is outside -90..90; are the two the other way round? "
         "write [longitude, latitude]"),
        (collection(feature("goor-west", {"type": "Point", "coordinates": [240000, 470000]})),
         "features[0].geometry.coordinates",
         "[240000, 470000] is not in degrees; it looks like a projected coordinate system "
         "(such as the Dutch RD, in metres): use WGS84 degrees (EPSG:4326)"),
        (collection(feature("goor-west", {"type": "Point", "coordinates": [10**400, 52.0]})),
         "features[0].geometry.coordinates", "must be finite numbers"),
        (collection(feature("goor-west", {"type": "Point", "coordinates": [6.5, 52.2]}),
                    feature("goor-west", {"type": "Point", "coordinates": [6.5, 52.2]})),
         "features[1].geometry",
         'buurt "goor-west" already has a location (from features[0]); give it once'),
    ],
)  # fmt: skip
def test_a_wrong_geojson_file(tmp_path: Path, doc: object, field: str, reason: str) -> None:
    problem = geo_problem(tmp_path, doc)
    assert problem.field == field, str(problem)
    assert reason in problem.reason, str(problem)


def test_a_point_for_a_buurt_with_a_location_in_the_network_file(tmp_path: Path) -> None:
    doc = collection(feature("a", {"type": "Point", "coordinates": [6.5, 52.2]}))
    problem = the_problem(
        tmp_path, with_geojson(tmp_path, doc, buurt_table("a", "location = [52.2, 6.5]"))
    )
    assert problem.field == "features[0].geometry"
    assert 'buurt "a" already has a location (in the network file)' in problem.reason


def test_a_number_too_large_for_a_float_is_not_finite(tmp_path: Path) -> None:
    point = '{"type": "Point", "coordinates": [1e400, 52.0]}'
    raw = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        f'"properties": {{"buurt": "goor-west"}}, "geometry": {point}}}]}}'
    )
    problem = geo_problem(tmp_path, None, raw=raw)
    assert problem.field == "features[0].geometry.coordinates"
    assert problem.reason == "[longitude, latitude] must be finite numbers"


@pytest.mark.parametrize(
    ("raw", "field", "reason"),
    [
        ('{"type": "FeatureCollection", "features": [}', "line 1, column 44",
         "invalid JSON: Expecting value"),
        ('{"type": "FeatureCollection",\n "features": [NaN]}', "",
         "invalid JSON: NaN is not a number"),
        ("[" * 100_000 + "]" * 100_000, "", "invalid JSON"),
    ],
)  # fmt: skip
def test_a_geojson_file_that_is_not_json(tmp_path: Path, raw: str, field: str, reason: str) -> None:
    problem = geo_problem(tmp_path, None, raw=raw)
    assert problem.field == field
    assert reason in problem.reason


def test_a_geojson_file_that_is_not_utf8(tmp_path: Path) -> None:
    text = with_geojson(tmp_path, None, raw="")
    (tmp_path / "maps" / "g.geojson").write_bytes(b'{"type": "\xff"}')
    problem = the_problem(tmp_path, text)
    assert problem.reason == "not UTF-8 text (byte 10)"


def test_a_missing_geojson_file_or_a_directory(tmp_path: Path) -> None:
    text = document(*TWO, extra='geojson = "maps/none.geojson"')
    problem = the_problem(tmp_path, text)
    assert (problem.file, problem.field) == (str(tmp_path / "net.toml"), "gemeente.geojson")
    assert problem.reason.startswith("file not found: ")
    assert "relative to the network file" in problem.reason
    (tmp_path / "maps").mkdir()
    problem = the_problem(tmp_path, document(*TWO, extra='geojson = "maps"'))
    assert "is a directory, not a GeoJSON file" in problem.reason


def test_geojson_must_name_a_file(tmp_path: Path) -> None:
    problem = the_problem(tmp_path, document(*TWO, extra="geojson = 5"))
    assert problem.field == "gemeente.geojson"
    assert "expected a string, got an integer" in problem.reason


def test_a_huge_geojson_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network_file, "GEOJSON_MAX_BYTES", 1000)
    text = with_geojson(tmp_path, None, raw="x" * 1001)  # not JSON either: never parsed
    problem = the_problem(tmp_path, text)
    assert problem.field == "gemeente.geojson"
    assert "more than the 0 MB a map file may have; simplify the outlines first" in problem.reason


def test_too_many_points_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network_file, "GEOJSON_MAX_POINTS", 10)
    doc = collection(*(feature("goor-west", polygon(RING)) for _ in range(5)))
    problem = geo_problem(tmp_path, doc)
    assert problem.field == ""
    assert problem.reason.startswith("more than 10 points in all; simplify the outlines first")


def test_the_limits_are_those_documented() -> None:
    assert network_file.GEOJSON_MAX_BYTES == 20 * 1024 * 1024
    assert network_file.GEOJSON_MAX_POINTS == 100_000
    doc = network_file.__doc__ or ""
    assert "20 MB and 100,000 points" in " ".join(doc.split())


def test_a_wrong_file_throughout_is_reported_in_part(tmp_path: Path) -> None:
    doc = collection(*(feature(f"nope-{i}", polygon(RING)) for i in range(50)))
    found = problems(tmp_path, with_geojson(tmp_path, doc))
    assert len(found) == 21
    assert [p.field for p in found[:20]] == [f"features[{i}].properties.buurt" for i in range(20)]
    assert found[-1].reason == "stopped after 20 problems; fix these first"


def test_geojson_problems_come_with_the_network_files_own(tmp_path: Path) -> None:
    doc = collection(feature("elders", polygon(RING)))
    text = with_geojson(tmp_path, doc, buurt_table("a", "location = [100.0, 6.0]"))
    fields = {(Path(p.file).name, p.field) for p in problems(tmp_path, text)}
    assert fields == {
        ("net.toml", 'buurt "a".location'),
        ("g.geojson", "features[0].properties.buurt"),
    }


def test_geography_is_read_into_the_buurt_as_tuples(tmp_path: Path) -> None:
    doc = collection(feature("goor-west", polygon(RING)))
    found = loaded(tmp_path, with_geojson(tmp_path, doc))
    outline = found["goor-west"].outline
    assert isinstance(outline, tuple)
    assert all(isinstance(ring, tuple) for ring in outline)
    # Geography counts for equality (a reload that changes it is saved), not for the hash.
    west = found["goor-west"]
    bare = replace(west, outline=())
    assert west != bare
    assert hash(west) == hash(bare)
    assert west != replace(west, location=(52.0, 6.0))


# -- reloading -------------------------------------------------------------------------------
def test_a_reload_that_changes_only_the_geography_is_saved(tmp_path: Path) -> None:
    store = FakeStore()

    def apply(text: str) -> SyncReport:
        with fake_uow_factory(store)() as uow:
            report = apply_network(uow, load_network_file(write(tmp_path, text)))
            uow.commit()
        return report

    apply(document(*TWO))
    report = apply(document(buurt_table("goor-west", "location = [52.23, 6.58]"), TWO[1]))
    assert report.updated == {"buurt": ["goor-west"]}
    assert store.state.networks[GemeenteId("g")].buurten[0].location == (52.23, 6.58)
    doc = collection(feature("goor-oost", polygon(RING)))
    report = apply(with_geojson(tmp_path, doc, buurt_table("goor-west"), TWO[1]))
    assert report.updated == {"buurt": ["goor-west", "goor-oost"]}
    stored = store.state.networks[GemeenteId("g")].buurten
    assert (stored[0].location, len(stored[1].outline)) == (None, 1)
    assert not apply(with_geojson(tmp_path, doc, buurt_table("goor-west"), TWO[1])).changed
