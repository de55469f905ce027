"""The Dutch and English catalogs are complete, consistent and up to date with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from buurtbot.core.domain.model import Locale
from buurtbot.locales import LOCALES_DIR, load_translations, po_path

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def read(locale: Locale) -> Catalog:
    with po_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale.value)


def ids_in_code() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "buurtbot"), method_map=[("**.py", "python")]
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", list(Locale))
def test_catalog_has_every_message_of_the_code_and_nothing_else(locale: Locale) -> None:
    in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in read(locale) if m.id}
    code = ids_in_code()
    assert sorted(code - in_catalog) == [], "run scripts/update-catalogs"
    assert sorted(in_catalog - code) == [], "obsolete entries: run scripts/update-catalogs"


def test_template_is_up_to_date() -> None:
    with (LOCALES_DIR / "buurtbot.pot").open("rb") as fh:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    assert template == ids_in_code(), "run scripts/update-catalogs"


@pytest.mark.parametrize("locale", list(Locale))
def test_no_untranslated_or_fuzzy_entries(locale: Locale) -> None:
    catalog = read(locale)
    untranslated = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("locale", list(Locale))
def test_translations_keep_the_placeholders(locale: Locale) -> None:
    for message in read(locale):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set().union(*(set(PLACEHOLDER.findall(i)) for i in ids))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == wanted, message.id


def test_dutch_is_really_dutch() -> None:
    """Guards against a catalog that merely copies the English text."""
    catalog = read(Locale.NL)

    def words(text: str) -> str:  # what is left when the placeholders are taken out
        return "".join(c for c in PLACEHOLDER.sub("", text) if c.isalpha())

    copied = [
        m.id
        for m in catalog
        if isinstance(m.id, str) and m.string == m.id and len(words(m.id)) > 15
    ]
    assert copied == []


def test_loaded_catalog_translates() -> None:
    nl = load_translations(Locale.NL)
    assert nl.gettext("You are 18 or older.") == "Je bent 18 jaar of ouder."
    en = load_translations(Locale.EN)
    assert en.gettext("You are 18 or older.") == "You are 18 or older."
