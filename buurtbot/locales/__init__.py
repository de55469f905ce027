"""The gettext catalogs of buurtbot (``nl`` and ``en``) and how to load them.

Compiled ``.mo`` files are built when the package is built or installed (see
``hatch_build.py``). A source checkout without them still works: the ``.po`` file is then
compiled in memory, so no step can be forgotten.
"""

from __future__ import annotations

import gettext
import io
import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from buurtbot.core.domain.model import Locale

DOMAIN = "buurtbot"
LOCALES_DIR = Path(__file__).resolve().parent

log = logging.getLogger(__name__)


def po_path(locale: Locale) -> Path:
    return LOCALES_DIR / locale.value / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(locale: Locale) -> gettext.NullTranslations:
    """The catalog of ``locale``; English msgids stand for themselves when nothing is found."""
    po = po_path(locale)
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    if po.exists():
        log.debug("compiling %s in memory", po)
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale.value)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    return gettext.NullTranslations()


def load_all() -> dict[Locale, gettext.NullTranslations]:
    return {locale: load_translations(locale) for locale in Locale}
