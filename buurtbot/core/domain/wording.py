"""Wording in a buurtgroep: words that may break the language rule, and mere chatter.

Both only inform: a flagged word is shown privately to the group's beheerders, who read the
message and decide; chatter gets a friendly private nudge where the gemeente wants that. So
the lists aim at what is common in Dutch neighbourhood chats and keep false alarms rare,
rather than at catching every insult.

How a word is matched (:func:`flagged_words`):

* Case and diacritics are ignored (``KANKERPATIËNT`` reads as ``kankerpatient``).
* A text word matches a listed word only as a **whole word**: ``hoera`` is not ``hoer``,
  ``beschutting`` and ``Scunthorpe`` contain nothing, ``lullig`` and ``lullen`` (everyday
  informal Dutch) are not ``lul``, ``klootschieten`` (a Twente sport) is not ``klootzak``,
  ``flikkert`` (a lamp does that) is not ``flikker``.
* Only the entries in :data:`STEMS` also match Dutch compounds that **start** with them
  (``kankerlijer``, ``kuttekop``, ``teringzooi``, ``fucking``), except the medical
  compounds in :data:`INNOCENT_COMPOUNDS` (``kankeronderzoek``). A stem is picked only when
  no everyday word starts with it: that is why ``klere`` (``kleren``), ``pokke``
  (``pokken``), ``takke`` (``takken``) and ``hoer`` (``hoera``) are whole words or absent.
* Obfuscation: a letter stretched to three or more (``kuuuut``, ``kankerrrr``), the digits
  0 1 3 4 5 7 for o, i or l, e, a, s, t (``k4nker``, ``lu1``), and punctuation or dashes
  inside a word (``k.u.t``, ``kanker-zooi``). A letter doubled only once does not count as
  stretching, so ``Niger`` is not ``nigger`` and ``lull`` is not ``lul``. Words without a
  single letter (numbers) are never read as letters: ``5137`` is a house number, not
  ``slet``.
* The bare word ``kanker`` is flagged although it is also the disease: as a curse it is
  the commonest in Dutch, and the beheerder reads the context.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable

# The packaged list. Chosen by hand from what moderators of Dutch neighbourhood and
# community chats commonly meet: the disease curses that are the most frequent Dutch
# cursing, everyday insults, slurs about ethnicity, origin or disability (which the rule
# against discrimination covers, including words used about suspects), and the common
# English equivalents. Deliberately left out: mild exclamations (verdorie, jeetje), words
# with an everyday meaning that would raise false alarms (pest, zak, homo, dick, kleren),
# and anything rare. A gemeente adds its own words in its network file.

# fmt: off
#: Flagged as whole words and as the start of a compound word.
STEMS: frozenset[str] = frozenset({
    "kanker", "tering", "tyfus", "pleuris", "kolere", "kut", "fuck",
})

#: Flagged as whole words only (plurals listed where they are common).
WORDS: frozenset[str] = frozenset({
    # Dutch cursing
    "klere", "klerelijer", "godverdomme", "godver", "gvd", "godsamme",
    # Dutch insults
    "lul", "klootzak", "klootzakken", "eikel", "hoer", "hoeren", "hoerenzoon", "slet",
    "trut", "idioot", "idioten", "debiel", "debielen", "achterlijk",
    "achterlijke", "mongool", "sukkel", "smeerlap", "smeerlappen", "schoft", "schoften",
    "klojo", "rotzak", "zakkenwasser", "tuig", "gespuis",
    # Dutch slurs
    "flikker", "flikkers", "neger", "negers", "nikker", "nikkers", "makaak", "makaken",
    "zigeuner", "zigeuners", "spleetoog", "geitenneuker", "geitenneukers", "mof", "moffen",
    # English
    "motherfucker", "shit", "bullshit", "bitch", "bitches", "bastard", "asshole",
    "arsehole", "cunt", "dickhead", "wanker", "twat", "slut", "whore", "retard", "faggot",
    "nigger", "nigga", "idiot", "moron",
})
# fmt: on

#: Compounds that start with a stem but are not cursing (medical and charity words).
INNOCENT_COMPOUNDS: frozenset[str] = frozenset(
    {
        "kankeronderzoek",
        "kankerpatient",
        "kankercel",
        "kankerbestrijding",
        "kankerfonds",
        "kankerverwekkend",
        "kankerbehandeling",
        "kankerzorg",
        "kankerrisico",
        "kankersoort",
        "kankerpreventie",
        "kankergezwel",
        "kankerdiagnose",
        "kankercentrum",
        "kankerregistratie",
        "tyfusvaccin",
        "tyfusbacterie",
    }
)

#: Digits read as letters in a word that also has letters; ``1`` may be an i or an l.
_LEET: dict[str, str] = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t"}
#: More ``1``s than this in one word and it is not tried every way (2**n readings).
_MAX_AMBIGUOUS = 4
_MAX_WORD = 40


def normalise_word(word: str) -> str:
    """Lower case, without diacritics, letters and digits only: how words are compared."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=4096)
def _runs(word: str) -> tuple[tuple[str, int], ...]:
    return tuple((c, len(list(group))) for c, group in itertools.groupby(word))


def _skeleton(word: str) -> str:
    """The word with every run of a letter as one letter: two words can only fit each
    other (stretched letters aside) when their skeletons are equal."""
    return "".join(c for c, _ in itertools.groupby(word))


@functools.lru_cache(maxsize=32)
def _by_skeleton(words: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for word in words:
        index.setdefault(_skeleton(word), []).append(word)
    return {k: tuple(v) for k, v in index.items()}


def _fits(token: str, word: str, *, prefix: bool) -> bool:
    """``token`` spells ``word`` (or starts with it, for a stem), allowing stretched letters.

    Runs of the same letter must agree, except that a run in ``token`` may be stretched to
    three or more; a stem's last run may be followed by more of the same (``kutte``).
    """
    have, want = _runs(token), _runs(word)
    if len(have) < len(want) or (not prefix and len(have) != len(want)):
        return False
    for i, ((c, n), (w, m)) in enumerate(zip(have, want, strict=False)):
        if c != w:
            return False
        last_of_stem = prefix and i == len(want) - 1
        if not (n == m or n >= 3 or (last_of_stem and n >= m)):
            return False
    return True


def _readings(token: str) -> list[str]:
    """``token`` and, when it mixes letters and digits, the ways its digits read as letters."""
    if not any(c.isalpha() for c in token):
        return []
    if not any(c in _LEET for c in token):
        return [token]
    if token.count("1") > _MAX_AMBIGUOUS:
        token = token.replace("1", "i")
    options = [_LEET.get(c, c) for c in token]
    return [token, *("".join(p) for p in itertools.product(*options))]


def _candidates(text: str) -> list[str]:
    """The words of ``text`` to check: each word, and each run of words joined by
    punctuation or dashes without spaces (``k.u.t``, ``kanker-zooi``) as one word."""
    found: list[str] = []
    for chunk in _fold(text).split():
        parts = [p for p in re.split(r"[^0-9a-z]+", chunk) if p]
        found += parts
        if len(parts) > 1:
            found.append("".join(parts))
    return [w for w in found if len(w) <= _MAX_WORD]


_SORTED_STEMS = tuple(sorted(STEMS))


def _innocent(reading: str) -> bool:
    return any(reading.startswith(c) for c in INNOCENT_COMPOUNDS)


def _match(token: str, words: tuple[str, ...]) -> str | None:
    """The listed word ``token`` is, else the stem it starts with: the most specific."""
    readings = _readings(token)
    index = _by_skeleton(words)  # only words with the token's skeleton can fit
    for reading in readings:
        for word in index.get(_skeleton(reading), ()):
            if _fits(reading, word, prefix=False):
                return word
    for reading in readings:
        skeleton = _skeleton(reading)
        for stem in _SORTED_STEMS:
            if (
                skeleton.startswith(_skeleton(stem))
                and _fits(reading, stem, prefix=True)
                and not _innocent(reading)
            ):
                return stem
    return None


def flagged_words(text: str, extra: Iterable[str] = ()) -> list[str]:
    """The distinct listed words ``text`` uses, in order of first use.

    Each is returned as listed (a stem for a compound: ``kanker`` for ``kankerlijer``).
    ``extra`` holds the gemeente's own single words, matched as whole words with the same
    obfuscation rules, and returned as :func:`normalise_word` makes them (an entry with a
    space becomes one word: ``kut marokkaan`` then matches ``kut-marokkaan``).
    """
    words = tuple(sorted(WORDS | {w for w in map(normalise_word, extra) if w}))
    found: list[str] = []
    for token in _candidates(text):
        hit = _match(token, words)
        if hit is not None and hit not in found:
            found.append(hit)
    return found


# -- chatter -----------------------------------------------------------------------------------

# fmt: off
#: Words that carry a message on their own: thanks, acknowledgement, approval.
_CHATTER_CORE = frozenset({
    "bedankt", "dank", "dankje", "dankjewel", "dankjwl", "dankuwel", "merci",
    "thanks", "thank", "thx", "tnx", "thnx", "ty", "thankyou",
    "top", "toppie", "topper", "super", "mooi", "prima", "fijn", "goed", "perfect",
    "netjes", "klasse", "chapeau", "geweldig", "fantastisch", "helder", "duidelijk",
    "ontvangen", "check", "ok", "oke", "okay", "okee", "oki", "cool", "nice", "great",
    "respect", "idem", "eens", "same", "lol", "wow", "wauw", "plusone",
})
#: Words that go with thanks but say nothing on their own.
_CHATTER_FILLER = frozenset({
    "je", "jullie", "u", "wel", "allemaal", "iedereen", "all", "everyone", "everybody",
    "you", "so", "much", "very", "voor", "de", "het", "info", "informatie", "bericht",
    "berichtje", "melding", "update", "delen", "oplettendheid", "hulp", "reactie",
    "reacties", "alert", "heel", "erg", "zeer", "hartelijk", "vriendelijk", "veel",
    "nogmaals", "alvast", "weer", "hoor", "zo", "mee", "en", "for", "the", "again", "a",
    "lot", "lots", "snelle", "buren", "buurtgenoten",
})
# fmt: on

_PLUS_ONE = re.compile(r"(?<![\w+])\+1(?![\w])")
#: Longer than this and it is more than a thank-you, whatever its words.
_CHATTER_MAX_WORDS = 12


def _collapse(word: str) -> str:
    return "".join(c for c, _ in itertools.groupby(word))


_CORE = frozenset(map(_collapse, _CHATTER_CORE))
_FILLER = frozenset(map(_collapse, _CHATTER_FILLER))


def is_chatter(text: str) -> bool:
    """Whether a message is only thanks, acknowledgement, emoji or punctuation.

    True for ``bedankt!``, ``dank je wel 👍``, ``top``, ``👍👍``, ``+1``. False as soon as
    a single word says something more (``bedankt, de auto staat er nog``, ``dank, ik bel
    112``, a plate, a number), and for an empty text (a photo without caption is no
    chatter). Stretched words (``bedanktttt``, ``hahaha``) count as themselves.
    """
    if not text.strip():
        return False
    words = re.findall(r"[0-9a-z]+", _fold(_PLUS_ONE.sub(" plusone ", text)))
    if len(words) > _CHATTER_MAX_WORDS:
        return False
    collapsed = [_collapse(w) for w in words]
    if not all(w in _CORE or w in _FILLER or _is_laughter(w) for w in collapsed):
        return False
    return not words or any(w in _CORE or _is_laughter(w) for w in collapsed)


def _is_laughter(word: str) -> bool:
    """``haha``, ``hehehe``, ``hihi`` (after collapsing stretched letters)."""
    return len(word) >= 4 and re.fullmatch(r"(?:h[aei])+h?", word) is not None
