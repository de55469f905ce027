"""Flagged words (the language rule) and chatter (the group is for reports only)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buurtbot.core.domain.wording import (
    INNOCENT_COMPOUNDS,
    STEMS,
    WORDS,
    flagged_words,
    is_chatter,
    normalise_word,
)


# -- the list itself ------------------------------------------------------------------------------
def test_the_packaged_list_is_modest_lower_case_and_plain() -> None:
    assert 40 <= len(WORDS | STEMS) <= 80
    assert not WORDS & STEMS
    for word in WORDS | STEMS | INNOCENT_COMPOUNDS:
        assert word == normalise_word(word), word


def test_every_packaged_word_flags_itself() -> None:
    for word in sorted(WORDS | STEMS):
        assert flagged_words(word) == [word]
        assert flagged_words(f"Nou, {word.upper()}!") == [word]


def test_innocent_compounds_start_with_a_stem() -> None:
    for word in INNOCENT_COMPOUNDS:
        assert any(word.startswith(stem) for stem in STEMS), word


# -- flagged: yes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wat een kankerlijer", ["kanker"]),
        ("KANKER!", ["kanker"]),
        ("die teringzooi op straat", ["tering"]),
        ("tyfushond", ["tyfus"]),
        ("krijg de pleuris", ["pleuris"]),
        ("kolerelijer", ["kolere"]),
        ("Kut, mijn fiets is weg", ["kut"]),
        ("wat een kuttekop", ["kut"]),
        ("fucking idiot", ["fuck", "idiot"]),
        ("Wat een klootzak en een eikel", ["klootzak", "eikel"]),
        ("die klootzakken weer", ["klootzakken"]),
        ("hoer", ["hoer"]),
        ("Godverdomme!", ["godverdomme"]),
        ("gvd", ["gvd"]),
        ("Lul.", ["lul"]),
        ("Flikker op", ["flikker"]),
        ("allemaal tuig en gespuis", ["tuig", "gespuis"]),
        ("Weer van die zigeuners", ["zigeuners"]),
        ("Duitse auto, moffen", ["moffen"]),
        ("shit, bullshit", ["shit", "bullshit"]),
        ("kut kut KUT", ["kut"]),  # distinct, in order of first use
        ("hoer en kut en hoer", ["hoer", "kut"]),
    ],
)
def test_cursing_insults_and_slurs_are_flagged(text: str, expected: list[str]) -> None:
    assert flagged_words(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kuuuut", ["kut"]),  # a stretched letter
        ("KANKERRRR", ["kanker"]),
        ("klooooootzak", ["klootzak"]),
        ("k4nker", ["kanker"]),  # digits for letters
        ("lu1", ["lul"]),  # 1 for l
        ("5h1t", ["shit"]),  # 1 for i
        ("k1ootz4k", ["klootzak"]),
        ("7yfus", ["tyfus"]),
        ("h03r", ["hoer"]),
        ("k.u.t", ["kut"]),  # punctuation inside the word
        ("k-a-n-k-e-r", ["kanker"]),
        ("kanker-zooi", ["kanker"]),
        ("f*u*c*k", ["fuck"]),
        ("Kánkér", ["kanker"]),  # diacritics
        ("ＫＵＴ", ["kut"]),  # full-width letters
    ],
)
def test_simple_obfuscation_does_not_hide_a_word(text: str, expected: list[str]) -> None:
    assert flagged_words(text) == expected


# -- flagged: no ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Hoera, de dief is gepakt!",  # hoer-
        "De schutting en de beschutting",
        "Scunthorpe United",
        "Dat is lullig voor je",  # lullig, lullen: everyday informal Dutch
        "niet lullen maar poetsen",
        "klootschieten op zondag in Markelo",  # a Twente sport, not klootzak
        "de lamp flikkert",  # flikkeren: to flicker
        "Niger en Nigeria",  # not nigger: a letter doubled once is no stretching
        "a lull in the traffic",  # not lul
        "schone kleren",  # klere- is a whole word only
        "takken op de weg",
        "waterpokken en pokken",
        "Bijdrage aan het kankeronderzoek en het KWF Kankerbestrijding",
        "mijn buurvrouw is kankerpatiënt",
        "kankerverwekkend asbest in de schuur",
        "eikels onder de boom",  # eikel, not its plural (acorns)
        "shiitake en shitake",
        "de teef van de buren",  # a female dog: not on the list
        "Mongolië, de Mongolen",  # mongool is; mongol, Mongolen are not
        "Dick en Anouk",
        "Zakken vol afval bij de zak",
        "Postcode 5137 AB, huisnummer 7",  # numbers are never read as letters
        "Bel 112 of 0900-8844",
        "Goor, Delden, Markelo, Diepenheim, Hengevelde en Bentelo",
        "",
    ],
)
def test_innocent_words_are_not_flagged(text: str) -> None:
    assert flagged_words(text) == []


def test_a_stem_matches_the_start_of_a_word_only() -> None:
    assert flagged_words("kutje") == ["kut"]
    assert flagged_words("rotkut") == []  # not at the start
    assert flagged_words("superkanker") == []


def test_the_word_kanker_alone_is_flagged_though_it_is_also_the_disease() -> None:
    assert flagged_words("Zij heeft kanker") == ["kanker"]


# -- the gemeente's own words ---------------------------------------------------------------------
def test_extra_words_are_matched_like_the_packaged_ones() -> None:
    extra = ["Rotjoch", "  klojo  ", "Zeikerd"]
    assert flagged_words("rotjoch, ROTJOOOOCH en z3ikerd", extra) == ["rotjoch", "zeikerd"]
    assert flagged_words("rotjochie", extra) == []  # whole words only


def test_extra_words_are_normalised_and_empty_ones_ignored() -> None:
    assert flagged_words("zeikerd", ["Zéikerd"]) == ["zeikerd"]
    assert flagged_words("niets hier", ["", "  ", "!!"]) == []


def test_an_extra_entry_with_a_space_matches_the_words_run_together() -> None:
    found = flagged_words("die kut-marokkaan", ["kut marokkaan"])
    assert found == ["kut", "kutmarokkaan"]


# -- chatter --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "bedankt!",
        "Bedankt",
        "dank je wel 👍",
        "Dank u wel",
        "dankjewel allemaal",
        "Dankjewel allemaal!!",
        "top",
        "Top 👍",
        "👍👍",
        "🙏",
        "👍🏻",
        "thanks",
        "Thank you so much everyone",
        "thx",
        "ok",
        "Oké",
        "okee 👌",
        "+1",
        "+1 👍",
        "Bedanktttt voor de info!",
        "Heel erg bedankt allemaal voor de snelle info en oplettendheid",
        "Super, bedankt voor het delen",
        "Hahaha",
        "Helder, dank!",
        "Merci!",
        "...",
        "!!!",
        "Mee eens",
        "Idem",
    ],
)
def test_thanks_acknowledgements_and_emoji_are_chatter(text: str) -> None:
    assert is_chatter(text)


@pytest.mark.parametrize(
    "text",
    [
        "bedankt, de auto staat er nog",
        "dank, ik bel 112",
        "Dank je, ik heb 112 gebeld",
        "Top, ik let op",
        "ok, ik kijk even buiten",
        "Kenteken 12-GZB-8",
        "12-GZB-8 👍",
        "112",
        "Bedankt! Hij staat nu bij de Jumbo",
        "Verdachte man bij de Kerkstraat, donkere jas",
        "Is er al iemand die 112 heeft gebeld?",
        "ja",  # an answer, not an acknowledgement
        "nee",
        "bedankt voor de info, maar volgens mij was het een andere auto",
        "voor de",  # filler alone says nothing, but is no thank-you either
        "",
        "   ",
        "https://example.org/bedankt",
    ],
)
def test_anything_that_reports_is_not_chatter(text: str) -> None:
    assert not is_chatter(text)


def test_a_long_message_is_not_chatter_even_if_every_word_is_thanks() -> None:
    assert not is_chatter(" ".join(["bedankt"] * 13))
    assert is_chatter(" ".join(["bedankt"] * 12))


# -- properties -----------------------------------------------------------------------------------
@given(st.text(max_size=200), st.lists(st.text(max_size=12), max_size=4))
def test_flagged_words_never_raises_and_only_returns_known_words(
    text: str, extra: list[str]
) -> None:
    found = flagged_words(text, extra)
    assert set(found) <= WORDS | STEMS | {normalise_word(e) for e in extra}
    assert len(found) == len(set(found))


@given(st.text(alphabet=st.sampled_from("kutanerhol1304!.- KUT"), max_size=40))
def test_flagged_words_on_curse_like_text_never_raises(text: str) -> None:
    assert set(flagged_words(text)) <= WORDS | STEMS


@given(st.text(max_size=200))
def test_is_chatter_never_raises(text: str) -> None:
    assert is_chatter(text) in (True, False)
