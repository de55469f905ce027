"""Reading the dashboard's filter from a query string anyone can edit."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buurtbot.core.services.overview import MAX_PAGE, MAX_PERIOD, parse_filter
from tests.world import World

NETWORK = World().spec.network
TODAY = date(2026, 11, 29)


def test_the_default_is_the_last_30_days_of_the_whole_gemeente() -> None:
    f = parse_filter({}, NETWORK, TODAY)
    assert (f.first, f.last, f.days) == (date(2026, 10, 31), TODAY, 30)
    assert (f.kern, f.buurt, f.category, f.called_112, f.page, f.ignored) == (
        None, None, None, None, 1, ()
    )  # fmt: skip


def test_known_values_are_taken() -> None:
    f = parse_filter(
        {"period": "7", "kern": "goor", "buurt": "goor-west", "category": "inbraak",
         "called_112": "ja", "page": "3"},
        NETWORK,
        TODAY,
    )  # fmt: skip
    assert (f.first, f.last) == (date(2026, 11, 23), TODAY)
    assert (f.kern, f.buurt, f.category, f.called_112, f.page) == (
        "goor", "goor-west", "inbraak", True, 3
    )  # fmt: skip
    assert f.ignored == ()
    assert parse_filter(f.params(), NETWORK, TODAY).params() == f.params()  # a round trip


@pytest.mark.parametrize(
    ("params", "ignored"),
    [
        ({"kern": "atlantis"}, ("kern",)),
        ({"buurt": "<script>"}, ("buurt",)),
        ({"category": "INBRAAK"}, ("category",)),
        ({"called_112": "perhaps"}, ("called_112",)),
        ({"page": "0"}, ("page",)),
        ({"page": str(MAX_PAGE + 1)}, ("page",)),
        ({"page": "٣"}, ("page",)),  # an Arabic-Indic digit is decimal, but not ours
        ({"from": "2026-02-30"}, ("from",)),
        ({"to": "9999-12-31"}, ("to",)),
        ({"from": "29-11-2026"}, ("from",)),
        ({"period": "0"}, ("period",)),
        ({"period": "100000"}, ("period",)),
    ],
)
def test_what_cannot_be_used_is_named_and_left_out(
    params: dict[str, str], ignored: tuple[str, ...]
) -> None:
    f = parse_filter(params, NETWORK, TODAY)
    assert f.ignored == ignored
    assert f.days >= 1
    assert f.page >= 1


def test_a_reversed_period_is_turned_round_and_a_long_one_capped() -> None:
    f = parse_filter({"from": "2026-11-20", "to": "2026-11-10"}, NETWORK, TODAY)
    assert (f.first, f.last) == (date(2026, 11, 10), date(2026, 11, 20))
    long = parse_filter({"from": "2001-01-01", "to": "2026-11-29"}, NETWORK, TODAY)
    assert long.days == MAX_PERIOD.days
    assert long.ignored == ("from",)


@given(st.dictionaries(st.sampled_from(
    ["from", "to", "period", "kern", "buurt", "category", "called_112", "page", "zz"]),
    st.text(max_size=40)))  # fmt: skip
def test_any_query_gives_a_usable_filter(params: dict[str, str]) -> None:
    f = parse_filter(params, NETWORK, TODAY)
    assert 1 <= f.days <= MAX_PERIOD.days
    assert 1 <= f.page <= MAX_PAGE
    assert f.kern is None or NETWORK.kern(f.kern) is not None
    assert f.buurt is None or NETWORK.buurt(f.buurt) is not None
