"""Dutch licence plates: the 14 sidecodes, their letters, and plates in free text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buurtbot.core.domain.kenteken import (
    LETTERS,
    OLD_SERIES_LETTERS,
    SIDECODE_4_LETTERS,
    SIDECODES,
    Plate,
    PlateMatch,
    allowed_letters,
    find_plates,
    normalise_plate,
)

# One valid example per sidecode, in canonical form.
EXAMPLES = {
    1: "GH-12-34",
    2: "12-34-BD",
    3: "12-BD-34",
    4: "BD-12-FG",
    5: "BD-FG-12",
    6: "12-BD-FG",
    7: "12-GZB-8",
    8: "1-GZB-23",
    9: "GH-123-D",
    10: "G-123-BD",
    11: "GBB-01-B",
    12: "G-12-BDF",
    13: "1-GB-234",
    14: "123-GB-4",
}


# -- the sidecode table ----------------------------------------------------------------------
def test_there_are_fourteen_sidecodes_of_six_characters_in_three_groups() -> None:
    assert sorted(SIDECODES) == list(range(1, 15))
    for shape in SIDECODES.values():
        groups = shape.split("-")
        assert len(groups) == 3
        assert sum(len(g) for g in groups) == 6


def test_no_two_sidecodes_share_a_letter_digit_shape_so_the_split_is_never_ambiguous() -> None:
    compact = [shape.replace("-", "") for shape in SIDECODES.values()]
    assert len(set(compact)) == len(compact)


def test_the_letter_rules() -> None:
    assert set("AEIOUCQY").isdisjoint(LETTERS)
    assert set("BDFGHJKLMNPRSTVWXZ") == LETTERS
    assert set(SIDECODE_4_LETTERS) == {*LETTERS, "Y"}
    assert set("CQ").isdisjoint(OLD_SERIES_LETTERS)
    assert set("AEU") <= OLD_SERIES_LETTERS
    assert [allowed_letters(n) for n in (1, 3, 4, 5, 14)] == [
        OLD_SERIES_LETTERS,
        OLD_SERIES_LETTERS,
        SIDECODE_4_LETTERS,
        LETTERS,
        LETTERS,
    ]


# -- normalise_plate: valid ------------------------------------------------------------------
@pytest.mark.parametrize(("sidecode", "value"), sorted(EXAMPLES.items()))
def test_every_sidecode_is_recognised_with_or_without_dashes(sidecode: int, value: str) -> None:
    expected = Plate(value, sidecode)
    assert normalise_plate(value) == expected
    assert normalise_plate(value.replace("-", "")) == expected
    assert normalise_plate(value.replace("-", " ").lower()) == expected


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("12-gzb-8", "12-GZB-8"),
        ("12 GZB 8", "12-GZB-8"),
        ("12gzb8", "12-GZB-8"),
        ("  12 gzb 8 ", "12-GZB-8"),
        ("12  -  gzb - 8", "12-GZB-8"),
        ("12\tgzb\t8", "12-GZB-8"),
        ("12–gzb—8", "12-GZB-8"),  # en and em dash, as phones like to type them
        ("12GZB-8", "12-GZB-8"),  # one separator left out
        ("12-GZB8", "12-GZB-8"),
        ("Gh-12-bD", "GH-12-BD"),
        ("gh-123-d", "GH-123-D"),
        ("dfk45b", "DFK-45-B"),
    ],
)
def test_spacing_dashes_and_case_do_not_matter(typed: str, value: str) -> None:
    plate = normalise_plate(typed)
    assert plate is not None
    assert plate.value == value
    assert str(plate) == value
    assert plate.compact == value.replace("-", "")


def test_a_separator_may_be_left_out_where_the_groups_are_clear() -> None:
    assert normalise_plate("GH-1234") == Plate("GH-12-34", 1)
    assert normalise_plate("GH12 34") == Plate("GH-12-34", 1)


def test_the_old_series_had_vowels_and_sidecode_4_had_y() -> None:
    assert normalise_plate("NA-12-34") == Plate("NA-12-34", 1)
    assert normalise_plate("12-34-UE") == Plate("12-34-UE", 2)
    assert normalise_plate("MY-12-DY") == Plate("MY-12-DY", 4)


def test_motorcycles_trailers_and_vans_are_plates_too() -> None:
    assert normalise_plate("MD-FG-12") == Plate("MD-FG-12", 5)  # M: motorcycles
    assert normalise_plate("W-123-BD") == Plate("W-123-BD", 10)  # W: trailers
    assert normalise_plate("VBD-12-F") == Plate("VBD-12-F", 11)  # V: vans


# -- normalise_plate: invalid ----------------------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    [
        "12-ABC-3",  # vowel A and C: no sidecode 7 plate has them
        "AB-12-CD",
        "BD-12-FE",
        "12-GOB-8",  # O
        "GH-123-I",  # I
        "12-GZQ-8",  # Q
        "CD-12-34",  # C, also in the old series
        "12-34-QB",
        "BY-FG-12",  # Y after sidecode 4
        "GH-123-Y",
    ],
)
def test_letters_a_series_never_uses_are_refused(typed: str) -> None:
    assert normalise_plate(typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "-",
        "123456",  # no letters
        "BDFGHJ",  # no digits
        "1B2D3F",  # no sidecode alternates like this
        "12-GZB-89",  # too long
        "2-GZB-8",  # too short
        "GH12345",
        "GH_12_34",
        "GH.12.34",
        "GH/12/34",
        "12-GZB-8x",
        "NL 12-GZB-8",
        "kenteken 12-GZB-8",
        "1-2GZB-8",  # a dash inside a group
        "12G-ZB-8",
        "12-GZ-B8",
        "12-GŽB-8",  # not an ASCII letter
        "１２-GZB-8",  # full-width digits
    ],
)
def test_what_fits_no_sidecode_is_not_a_plate(typed: str) -> None:
    assert normalise_plate(typed) is None


# -- find_plates ------------------------------------------------------------------------------
def _found(text: str) -> list[tuple[str, str | None]]:
    return [(m.text, m.plate.value if m.plate else None) for m in find_plates(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Grijze VW Golf met kenteken 12-gzb-8 reed 2x langs", [("12-gzb-8", "12-GZB-8")]),
        ("Kenteken GH-123-D.", [("GH-123-D", "GH-123-D")]),
        ("kenteken 12 gzb 8 gezien bij de Jumbo", [("12 gzb 8", "12-GZB-8")]),
        ("Zwarte scooter, kenteken DFK45B?", [("DFK45B", "DFK-45-B")]),
        (
            "Witte bus (V-123-BD) en een Audi met 34-TJR-5, richting Delden",
            [("V-123-BD", "V-123-BD"), ("34-TJR-5", "34-TJR-5")],
        ),
        ("Kenteken: 1-GZB-23!", [("1-GZB-23", "1-GZB-23")]),
        ("Oude Mercedes 74-71-BD", [("74-71-BD", "74-71-BD")]),  # sidecode 2, with dashes
        ("Oldtimer NA-12-34 of NA1234", [("NA-12-34", "NA-12-34"), ("NA1234", "NA-12-34")]),
        ("Auto - 12-GZB-8 - reed weg", [("12-GZB-8", "12-GZB-8")]),
        ("12-GZB-8 en 12-GZB-8", [("12-GZB-8", "12-GZB-8"), ("12-GZB-8", "12-GZB-8")]),
    ],
)
def test_plates_are_found_in_free_text(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("kenteken XX-99-AA?", "XX-99-AA"),
        ("Grijze VW Golf met kenteken 12-abc-3 reed 2x langs", "12-abc-3"),  # A, C unused
        ("Ik denk 12-GO-B8", "12-GO-B8"),
        ("het was 12A-BC-3 of zo", "12A-BC-3"),
        ("Kenteken 12 - gob - 8", "12 - gob - 8"),
    ],
)
def test_a_dashed_plate_that_is_not_valid_is_pointed_out_as_typed(text: str, typed: str) -> None:
    (match,) = find_plates(text)
    assert match == PlateMatch(typed, text.index(typed), text.index(typed) + len(typed), None)
    assert not match.valid


def test_positions_point_into_the_original_text() -> None:
    text = "Let op: 12-gzb-8 en GH 123 D"
    for match in find_plates(text):
        assert text[match.start : match.end] == match.text
        assert match.valid


@pytest.mark.parametrize(
    "text",
    [
        "Postcode 7471 AB, huisnummer 12a",
        "Ik woon op 7471AB in Goor",
        "7471 bd",
        "Amsterdam 1012AB",
        "Bel 06-12345678 of 0900-8844",
        "+31 6 12345678",
        "06-12-34-56-78",
        "AB-12-CD-34",
        "om 12:30 uur en tussen 12.30 en 13.00",
        "in 2023 en 2024 al 3 keer",
        "Datum 12-03-2024",
        "op 1-mrt-24 om 9 uur",
        "sinds 3 jan 24",
        "tussen 30 en 13 minuten, 12 op 10",
        "Oldtimer NA 12 34",  # spaced with a vowel: read as words
        "ongeveer 1 km 500 m verderop",
        "Zag 2 BMW 12 keer rondrijden",
        "COVID-19, A1-snelweg, e-mail, T-shirt, Noord-Oost",
        "Goor, Delden, Markelo, Diepenheim en Hengevelde",
        "BDFGHJ klootschieten ABCDEF",
        "3-2-1 start",
        "12-gzb-8x is geen kenteken, x12-gzb-8 ook niet",
        "12 abc 3 met spaties wijst niets aan",  # invalid and not dashed: prose
        "",
    ],
)
def test_numbers_words_postcodes_and_dates_are_not_plates(text: str) -> None:
    assert find_plates(text) == []


# -- properties ---------------------------------------------------------------------------------
def _group(kind: str) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted("0123456789" if kind == "9" else kind))


@st.composite
def plates(draw: st.DrawFn) -> tuple[str, int]:
    sidecode = draw(st.sampled_from(sorted(SIDECODES)))
    letters = "".join(sorted(allowed_letters(sidecode)))
    groups = []
    for group in SIDECODES[sidecode].split("-"):
        chars = [draw(_group("9" if c == "9" else letters)) for c in group]
        groups.append("".join(chars))
    return "-".join(groups), sidecode


@given(plates(), st.data())
def test_any_plate_normalises_back_to_itself_however_typed(
    plate: tuple[str, int], data: st.DataObject
) -> None:
    value, sidecode = plate
    seps = data.draw(st.lists(st.sampled_from(["", "-", " ", " - ", "–"]), min_size=2, max_size=2))
    groups = value.split("-")
    typed = groups[0] + seps[0] + groups[1] + seps[1] + groups[2]
    if data.draw(st.booleans()):
        typed = typed.lower()
    found = normalise_plate(typed)
    assert found == Plate(value, sidecode)
    assert normalise_plate(found.value) == found


@given(st.text(max_size=60))
def test_normalise_never_raises_and_is_a_fixed_point(text: str) -> None:
    plate = normalise_plate(text)
    if plate is not None:
        assert normalise_plate(plate.value) == plate
        assert plate.compact == "".join(c for c in text if c.isalnum()).upper()


@given(st.text(alphabet=st.sampled_from("12GZB8 -–AaC7.:x\n"), max_size=60))
def test_find_plates_never_raises_and_agrees_with_normalise(text: str) -> None:
    for match in find_plates(text):
        assert text[match.start : match.end] == match.text
        if match.plate is not None:
            assert normalise_plate(match.text) == match.plate


@given(st.text(max_size=200))
def test_find_plates_never_raises_on_any_text(text: str) -> None:
    ends = [m.end for m in find_plates(text)]
    assert ends == sorted(ends)
