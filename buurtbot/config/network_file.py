"""Network files: one TOML file describes one gemeente's network, its people and their roles.

The file is written by hand by a gemeente's administrator, so the loader is strict (an
unknown key is an error: it is usually a typo) and reports every problem it finds at once,
each with the file, the field and a plain reason, instead of stopping at the first.

Schema (``examples/hof-van-twente.toml`` is a complete, commented example)::

    [gemeente]                       # required, exactly one
    id = "hof-van-twente"            # slug: a-z, 0-9 and single dashes
    name = "Hof van Twente"
    timezone = "Europe/Amsterdam"    # optional; an IANA zone name
    locale = "nl"                    # optional; nl | en, the gemeente's default language
    warning_threshold = 3            # optional positive integers, defaults as shown
    warning_expiry_days = 90
    retention_days = 180
    max_mede_beheerders = 3
    called_112_window_minutes = 120  # optional; how long "112 was called" counts
    group_warning_notice = true      # optional; tell the group briefly when someone is warned
    chatter_nudge = false            # optional; nudge people privately about chatter
    invite_valid_days = 7            # optional; how long an invite to a buurtgroep is valid
    auto_route = true                # optional; false: the hoofdcoordinator routes sign-ups
    pattern_window_hours = 24        # optional; how far back escalations are compared for
                                     # patterns across buurten (same plate, similar signalement)
    police_followup_hours = 48       # optional; remind the escalating beheerder to check with
                                     # the wijkagent when an escalation marked for the police
                                     # has no /followup after so many hours (0: never)
    categories = ["inbraak", "verdachte-persoon", "verdacht-voertuig", "vandalisme",
                  "overig"]          # optional; melding categories (slugs), these by default
    flagged_words = ["..."]          # optional; added to the packaged list of cursing/slurs
    geojson = "hof-van-twente.geojson"  # optional; outlines of the buurten for the regie
                                     # map, relative to this file (see Geography below)

    [[escalation]]                   # optional; where /escalate <scope> sends a message
    scope = "kern"                   # default | adjacent | kern | politie | regie (or a
                                     # Dutch word /escalate accepts: buren, dorp, ...)
    targets = ["kern"]               # regie | adjacent | kern | politie | gemeente; the
                                     # regiegroep is always added: it sees every escalation
    category = "inbraak"             # optional; the rule then applies to this category only

    [[kern]]                         # a village or town
    id = "goor"                      # slug, unique in the file
    name = "Goor"

    [[buurt]]                        # a neighbourhood inside a kern
    id = "goor-west"                 # slug, unique in the file
    kern = "goor"                    # a kern id
    name = "Goor West"
    postcodes = ["7471", "7472AA-7472HZ"]   # optional; areas, postcodes, inclusive ranges
    streets = ["Markt"]              # optional; needed where two buurten share postcodes
    adjacent = ["goor-oost"]         # optional; buurt ids, read symmetrically
    location = [52.2336, 6.5839]     # optional; [latitude, longitude] in WGS84 degrees,
                                     # where the buurt lies on the regie map

    [[group]]                        # a chat group
    id = "goor-west-tg"              # slug, unique in the file
    kind = "buurt"                   # buurt | coordinatoren | regie (at most one regie)
    buurt = "goor-west"              # for kind = "buurt" only, and required there
    platform = "telegram"            # telegram | signal | console
    chat_id = "-1001234567890"       # a string; Telegram: the numeric chat id,
                                     # Signal: "group.<base64>", console: any name
    name = "Buurtpreventie Goor West"
    locale = "nl"                    # optional; the group's language
    eigenaar = "anna"                # buurtgroepen only: exactly one person handle
    mede_beheerders = ["bert"]       # buurtgroepen only: at most max_mede_beheerders
    leden = ["carla", "daan"]        # members without a beheerder role

    [[person]]
    handle = "anna"                  # short name used in this file: a-z, 0-9, - and _
    name = "Anna de Vries"
    locale = "en"                    # optional; fixes the person's language on every
                                     # reload, leave it out to let them choose in the bot
    telegram = "123456789"           # optional; the numeric Telegram user id, as a string
    signal = "+31612345678"          # optional; the Signal number, international format
    roles = ["hoofdcoordinator"]     # optional; hoofdcoordinator | contactpersoon |
                                     # politie | coordinator

Escalation rules: without any ``[[escalation]]`` table the gemeente gets the default rules
(:data:`~buurtbot.core.domain.escalation.DEFAULT_RULES`). With one or more, they replace the
defaults entirely, so every scope needs a rule without a category (a category's rule adds
to that, for that category); a scope and category have one rule at most.

Geography (optional, for the regiegroep's map only): a buurt may give its ``location``, and
the gemeente may name a GeoJSON file (at most 20 MB and 100,000 points in all; WGS84
degrees, as GeoJSON always is: ``[longitude, latitude]``) holding a ``FeatureCollection``.
Each feature names its buurt by id in ``properties.buurt`` (or ``properties.id``) and has a
``Polygon`` or ``MultiPolygon`` geometry (the buurt's outline: the outer ring of each
polygon is kept, holes are ignored, a ring need not repeat its first point; several features
of one buurt add up) or a ``Point`` (its location, for a buurt without ``location``). A
buurt may be left out. When every buurt has an outline or a location, the map is drawn to
scale; otherwise it is a schematic of the kernen and their buurten.

Ids the file gives become stored ids as follows: kern and buurt ids as written (they are
unique per gemeente), group ids as ``<gemeente>:<group>`` and person ids as
``<gemeente>:<handle>`` (see :mod:`buurtbot.core.domain.networkspec`).

Field paths in problems name an entry by its id where it has a usable one
(``buurt "goor-west".adjacent[1]``) and by its position otherwise (``buurt[3].name``);
positions count from 0, as in the arrays themselves.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from buurtbot.core.domain.escalation import EscalationRule, Scope, TargetKind
from buurtbot.core.domain.melding import DEFAULT_CATEGORIES
from buurtbot.core.domain.model import (
    Buurt,
    Gemeente,
    GemeenteRole,
    GemeenteSettings,
    Group,
    GroupKind,
    GroupRole,
    Kern,
    LatLon,
    Locale,
    Membership,
    Ring,
    RoleSource,
)
from buurtbot.core.domain.network import Network, normalise_street
from buurtbot.core.domain.networkspec import (
    NetworkSpec,
    PersonSpec,
    file_group_id,
    file_person_id,
)
from buurtbot.core.domain.postcode import InvalidPostcode, PostcodeRange
from buurtbot.core.ids import (
    BuurtId,
    ChatRef,
    GemeenteId,
    KernId,
    Platform,
    PlatformIdentity,
)

__all__ = [
    "NetworkFileError",
    "NetworkFileProblem",
    "load_network_file",
    "load_network_files",
    "network_file_paths",
]

E = TypeVar("E", GroupKind, Platform)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HANDLE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MAX_ID_LENGTH = 60  # leaves room for the "<gemeente>:" prefix within storage's 128
TELEGRAM_USER = re.compile(r"^[1-9][0-9]{0,19}$")
TELEGRAM_CHAT = re.compile(r"^-?[1-9][0-9]{0,19}$")
SIGNAL_GROUP = re.compile(r"^group\.[A-Za-z0-9+/_-]+={0,2}$")
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_TOML_POSITION = re.compile(r"^(?P<reason>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$")
_TOML_END = re.compile(r"^(?P<reason>.*?)\s*\(at end of document\)$")

_TOP_KEYS = ("gemeente", "escalation", "kern", "buurt", "group", "person")
_GEMEENTE_KEYS = (
    "id",
    "name",
    "timezone",
    "locale",
    "warning_threshold",
    "warning_expiry_days",
    "retention_days",
    "max_mede_beheerders",
    "called_112_window_minutes",
    "group_warning_notice",
    "chatter_nudge",
    "invite_valid_days",
    "auto_route",
    "pattern_window_hours",
    "police_followup_hours",
    "categories",
    "flagged_words",
    "geojson",
)
_ESCALATION_KEYS = ("scope", "targets", "category")
_NO_ID = re.compile(r"(?!)")  # escalation rules have no id: they are named by position
#: Every word ``Scope.parse`` accepts, for the hint when a scope is not one of them.
_SCOPE_WORDS = ("buren", "dorp", "regiegroep", "neighbours", "village", "police")
_KERN_KEYS = ("id", "name")
_BUURT_KEYS = ("id", "kern", "name", "postcodes", "streets", "adjacent", "location")
#: Limits of a gemeente's GeoJSON file: the map needs outlines, not survey data.
GEOJSON_MAX_BYTES = 20 * 1024 * 1024
GEOJSON_MAX_POINTS = 100_000
#: Reading a GeoJSON file stops after this many problems: a wrong file is wrong throughout.
_GEOJSON_SHOWN_PROBLEMS = 20
_GROUP_KEYS = (
    "id",
    "kind",
    "buurt",
    "platform",
    "chat_id",
    "name",
    "locale",
    "eigenaar",
    "mede_beheerders",
    "leden",
)
_PERSON_KEYS = ("handle", "name", "locale", "telegram", "signal", "roles")


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NetworkFileProblem:
    """One thing wrong with a network file. ``field`` is empty for the file as a whole."""

    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.field}: {self.reason}"
            if self.field
            else f"{self.file}: {self.reason}"
        )


class NetworkFileError(Exception):
    """A network file (or a set of them) cannot be used; ``errors`` lists every problem."""

    def __init__(self, errors: list[NetworkFileProblem]) -> None:
        self.errors = errors
        count = f"{len(errors)} problem" + ("" if len(errors) == 1 else "s")
        super().__init__("\n".join([f"{count} in the network file(s):", *map(str, errors)]))


# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------
def load_network_file(path: str | os.PathLike[str]) -> NetworkSpec:
    """Read and validate one network file; raise :class:`NetworkFileError` listing all problems."""
    spec, problems = _load_one(Path(path))
    if problems or spec is None:
        raise NetworkFileError(problems)
    return spec


def load_network_files(paths: Iterable[str | os.PathLike[str]]) -> list[NetworkSpec]:
    """Load several gemeenten at once: files, or directories of ``*.toml`` files (sorted).

    Besides each file's own checks, gemeenten must not share an id, a chat or an identity:
    a chat or an account belongs to one group or person of one gemeente.
    """
    problems: list[NetworkFileProblem] = []
    files = network_file_paths(paths, problems)
    loaded: list[tuple[str, NetworkSpec]] = []
    for file in files:
        spec, found = _load_one(file)
        problems.extend(found)
        if spec is not None:
            loaded.append((str(file), spec))
    problems.extend(_cross_file_problems(loaded))
    if problems:
        raise NetworkFileError(problems)
    return [spec for _, spec in loaded]


def network_file_paths(
    paths: Iterable[str | os.PathLike[str]], problems: list[NetworkFileProblem] | None = None
) -> list[Path]:
    """Expand directories to their ``*.toml`` files (sorted), dropping repeats.

    Paths that are missing, or directories without network files, are reported in
    ``problems`` when given (and skipped); the file loader reports them otherwise.
    """
    out: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.toml") if p.is_file())
            if not found and problems is not None:
                problems.append(NetworkFileProblem(str(path), "", "directory has no *.toml files"))
        else:
            found = [path]
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                out.append(file)
    return out


def _cross_file_problems(loaded: list[tuple[str, NetworkSpec]]) -> Iterator[NetworkFileProblem]:
    gemeenten: dict[GemeenteId, str] = {}
    chats: dict[tuple[Platform, str], tuple[str, str]] = {}
    identities: dict[PlatformIdentity, tuple[str, str]] = {}
    for file, spec in loaded:
        gid = spec.gemeente_id
        if gid in gemeenten:
            yield NetworkFileProblem(
                file, "gemeente.id", f'gemeente "{gid}" is also defined in {gemeenten[gid]}'
            )
            continue
        gemeenten[gid] = file
        for group in spec.network.groups:
            chat = (group.chat.platform, group.chat.chat_id)
            slug = group.id.split(":", 1)[1]
            if chat in chats:
                other_file, other_group = chats[chat]
                yield NetworkFileProblem(
                    file,
                    f'group "{slug}".chat_id',
                    f'{group.chat.platform} chat "{group.chat.chat_id}" is also group '
                    f'"{other_group}" in {other_file}',
                )
            else:
                chats[chat] = (file, slug)
        for person in spec.persons:
            for identity in sorted(person.identities, key=str):
                if identity in identities:
                    other_file, other_handle = identities[identity]
                    yield NetworkFileProblem(
                        file,
                        f'person "{person.handle}".{identity.platform}',
                        f'{identity.user_ref} is also person "{other_handle}" in {other_file}; '
                        "an account belongs to one person",
                    )
                else:
                    identities[identity] = (file, person.handle)


# ---------------------------------------------------------------------------------------------
# Reading one file
# ---------------------------------------------------------------------------------------------
def _load_one(path: Path) -> tuple[NetworkSpec | None, list[NetworkFileProblem]]:
    label = str(path)
    raw, problem = _read_toml(path)
    if raw is None:
        return None, [NetworkFileProblem(label, problem[0], problem[1])]
    parser = _Parser(label, path.parent)
    spec = parser.parse(raw)
    return (spec if not parser.problems else None), parser.problems


def _read_toml(path: Path) -> tuple[dict[str, Any] | None, tuple[str, str]]:
    """The parsed document, or ``None`` with (field, reason) saying why it cannot be read."""
    try:
        if path.is_dir():
            return None, ("", "is a directory, not a network file")
        data = path.read_bytes()
    except FileNotFoundError:
        return None, ("", "file not found")
    except OSError as exc:
        return None, ("", f"cannot read the file: {exc.strerror or exc}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, ("", f"not UTF-8 text (byte {exc.start})")
    try:
        return tomllib.loads(text), ("", "")
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        if m := _TOML_POSITION.match(message):
            where = f"line {m['line']}, column {m['col']}"
            return None, (where, f"invalid TOML: {m['reason']}")
        if m := _TOML_END.match(message):
            return None, ("end of file", f"invalid TOML: {m['reason']}")
        return None, ("", f"invalid TOML: {message}")


def _type_name(value: object) -> str:
    match value:
        case bool():
            return "a boolean"
        case int():
            return "an integer"
        case float():
            return "a float"
        case str():
            return "a string"
        case list():
            return "an array"
        case dict():
            return "a table"
        case datetime() | date() | time():
            return "a date/time"
    return type(value).__name__  # pragma: no cover - tomllib makes nothing else


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _scope(word: str) -> Scope | None:
    """A scope by its name, or by a word ``/escalate`` accepts (``dorp``, ``buren``)."""
    try:
        return Scope(word.lower())
    except ValueError:
        return Scope.parse(word)


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


@dataclass(slots=True)
class _Entry:
    """One ``[[section]]`` table with the label its problems use."""

    index: int
    label: str
    table: dict[str, Any]
    id: str | None  # a valid slug or handle, else None


@dataclass(slots=True)
class _GroupDraft:
    entry: _Entry
    kind: GroupKind | None
    platform: Platform | None
    chat_id: str | None
    name: str | None
    buurt: str | None
    locale: Locale | None
    roles: dict[str, GroupRole] = field(default_factory=dict)


@dataclass(slots=True)
class _BuurtDraft:
    entry: _Entry
    kern: str | None
    name: str | None
    postcodes: list[PostcodeRange]
    streets: list[str]
    adjacent: list[tuple[int, str]]
    location: LatLon | None = None
    outline: list[Ring] = field(default_factory=list)


class _Parser:
    """Walks one parsed document, collecting problems; builds a spec only when there are none."""

    def __init__(self, file: str, base: Path | None = None) -> None:
        self.file = file
        self.base = base if base is not None else Path()  # where relative paths start
        self.problems: list[NetworkFileProblem] = []
        self.person_entries: list[_Entry] = []

    def problem(self, where: str, reason: str) -> None:
        self.problems.append(NetworkFileProblem(self.file, where, reason))

    # -- typed field access ----------------------------------------------------------------
    def check_keys(
        self,
        table: Mapping[str, Any],
        where: str,
        allowed: tuple[str, ...],
        required: tuple[str, ...],
    ) -> None:
        for key in table:
            if key not in allowed:
                self.problem(_at(where, key), f"unknown field{_suggest(key, allowed)}")
        for key in required:
            if key not in table:
                self.problem(_at(where, key), "missing (required)")

    def string(self, table: Mapping[str, Any], key: str, where: str) -> str | None:
        """A non-empty string (stripped) or ``None`` (absent, or wrong: then reported)."""
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, str):
            hint = f' (write it in quotes: "{value}")' if isinstance(value, int | float) else ""
            self.problem(_at(where, key), f"expected a string, got {_type_name(value)}{hint}")
            return None
        value = value.strip()
        if not value:
            self.problem(_at(where, key), "must not be empty")
            return None
        return value

    def positive(self, table: Mapping[str, Any], key: str, where: str, default: int) -> int:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(_at(where, key), f"expected an integer, got {_type_name(value)}")
            return default
        if value <= 0:
            self.problem(_at(where, key), f"must be a positive number, got {value}")
            return default
        return value

    def non_negative(self, table: Mapping[str, Any], key: str, where: str, default: int) -> int:
        """An integer of 0 or more (0 switches something off)."""
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(_at(where, key), f"expected an integer, got {_type_name(value)}")
            return default
        if value < 0:
            self.problem(_at(where, key), f"must be 0 or more, got {value}")
            return default
        return value

    def boolean(self, table: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        if key not in table:
            return default
        value = table[key]
        if not isinstance(value, bool):
            hint = (
                f" (write it without quotes: {value.strip().lower()})"
                if isinstance(value, str) and value.strip().lower() in {"true", "false"}
                else ""
            )
            self.problem(_at(where, key), f"expected true or false, got {_type_name(value)}{hint}")
            return default
        return value

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> list[tuple[int, str]]:
        """The array's valid strings with their positions; wrong items are reported."""
        if key not in table:
            return []
        value = table[key]
        if not isinstance(value, list):
            self.problem(_at(where, key), f"expected an array of strings, got {_type_name(value)}")
            return []
        out: list[tuple[int, str]] = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.problem(
                    f"{_at(where, key)}[{i}]", f"expected a string, got {_type_name(item)}"
                )
            elif not item.strip():
                self.problem(f"{_at(where, key)}[{i}]", "must not be empty")
            else:
                out.append((i, item.strip()))
        return out

    def slug(
        self, table: Mapping[str, Any], key: str, where: str, pattern: re.Pattern[str]
    ) -> str | None:
        value = self.string(table, key, where)
        if value is None:
            return None
        if not pattern.match(value) or len(value) > MAX_ID_LENGTH:
            what = (
                "lower-case letters, digits and single dashes"
                if pattern is SLUG
                else "lower-case letters, digits, '-' and '_'"
            )
            self.problem(
                _at(where, key),
                f'"{value}" is not a valid id: use {what} (at most {MAX_ID_LENGTH})',
            )
            return None
        return value

    def locale(self, table: Mapping[str, Any], key: str, where: str) -> Locale | None:
        value = self.string(table, key, where)
        if value is None:
            return None
        locale = Locale.parse(value)
        if locale is None:
            known = " and ".join(str(loc) for loc in Locale)
            self.problem(_at(where, key), f'unknown locale "{value}"; buurtbot speaks {known}')
        return locale

    def choice(self, table: Mapping[str, Any], key: str, where: str, enum: type[E]) -> E | None:
        value = self.string(table, key, where)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            options = " | ".join(str(e) for e in enum)
            self.problem(_at(where, key), f'"{value}" is not one of {options}')
            return None

    def entries(
        self, raw: Mapping[str, Any], section: str, id_key: str, pattern: re.Pattern[str]
    ) -> list[_Entry]:
        """The tables of ``[[section]]``; each labelled by its id when that id is usable."""
        if section not in raw:
            return []
        value = raw[section]
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            self.problem(
                section, f"expected an array of tables ([[{section}]]), got {_type_name(value)}"
            )
            return []
        out: list[_Entry] = []
        for i, table in enumerate(value):
            ident = table.get(id_key)
            usable = isinstance(ident, str) and bool(pattern.match(ident.strip()))
            label = f'{section} "{ident.strip()}"' if usable else f"{section}[{i}]"
            out.append(_Entry(i, label, table, None))
        return out

    def unique_ids(
        self, entries: list[_Entry], id_key: str, pattern: re.Pattern[str], what: str
    ) -> None:
        """Validate each entry's id; the second of two equal ids is reported and unusable."""
        first: dict[str, int] = {}
        for entry in entries:
            ident = self.slug(entry.table, id_key, entry.label, pattern)
            if ident is None:
                continue
            if ident in first:
                entry.label = f"{entry.label.split(' ', 1)[0]}[{entry.index}]"
                self.problem(
                    _at(entry.label, id_key),
                    f'duplicate {what} "{ident}" (first at {what}[{first[ident]}])',
                )
                continue
            first[ident] = entry.index
            entry.id = ident

    def reference(
        self, value: str, where: str, known: Mapping[str, Any] | set[str], what: str
    ) -> bool:
        if value in known:
            return True
        self.problem(where, f'unknown {what} "{value}"{_suggest(value, known)}')
        return False

    # -- the document ----------------------------------------------------------------------
    def parse(self, raw: dict[str, Any]) -> NetworkSpec | None:
        for key in raw:
            if key not in _TOP_KEYS:
                reason = f"unknown section{_suggest(key, _TOP_KEYS)}"
                self.problem(key, reason)
        gemeente = self.gemeente(raw)
        if gemeente is not None:
            rules = self.escalation_rules(raw, gemeente.settings.categories)
            if rules is not None:
                settings = replace(gemeente.settings, escalation_rules=rules)
                gemeente = replace(gemeente, settings=settings)
        kernen = self.kernen(raw)
        # Persons are read before the groups that name them; their problems are reported
        # last, in the order of the schema, whatever the order of sections in the file.
        mark = len(self.problems)
        persons = self.persons(raw)
        person_problems = self.problems[mark:]
        del self.problems[mark:]
        buurten = self.buurten(raw, kernen)
        self.geojson(raw, buurten)
        max_mede = gemeente.settings.max_mede_beheerders if gemeente else None
        handles = {e.id for e in self.person_entries if e.id is not None}
        groups = self.groups(raw, buurten, handles, max_mede)
        self.problems.extend(person_problems)
        if self.problems or gemeente is None:
            return None
        return _build(gemeente, kernen, buurten, groups, persons)

    def gemeente(self, raw: Mapping[str, Any]) -> Gemeente | None:
        if "gemeente" not in raw:
            self.problem("gemeente", "missing (required): the [gemeente] table")
            return None
        table = raw["gemeente"]
        if not isinstance(table, dict):
            self.problem("gemeente", f"expected a table ([gemeente]), got {_type_name(table)}")
            return None
        w = "gemeente"
        self.check_keys(table, w, _GEMEENTE_KEYS, ("id", "name"))
        gid = self.slug(table, "id", w, SLUG)
        name = self.string(table, "name", w)
        timezone = self.string(table, "timezone", w) or "Europe/Amsterdam"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.problem(
                _at(w, "timezone"),
                f'unknown timezone "{timezone}" (use a name like "Europe/Amsterdam")',
            )
        locale = self.locale(table, "locale", w) or Locale.NL
        settings = GemeenteSettings(
            warning_threshold=self.positive(table, "warning_threshold", w, 3),
            warning_expiry_days=self.positive(table, "warning_expiry_days", w, 90),
            retention_days=self.positive(table, "retention_days", w, 180),
            max_mede_beheerders=self.positive(table, "max_mede_beheerders", w, 3),
            called_112_window_minutes=self.positive(table, "called_112_window_minutes", w, 120),
            group_warning_notice=self.boolean(table, "group_warning_notice", w, True),
            chatter_nudge=self.boolean(table, "chatter_nudge", w, False),
            invite_valid_days=self.positive(table, "invite_valid_days", w, 7),
            auto_route=self.boolean(table, "auto_route", w, True),
            pattern_window_hours=self.positive(table, "pattern_window_hours", w, 24),
            police_followup_hours=self.non_negative(table, "police_followup_hours", w, 48),
            categories=self.categories(table, w),
            extra_flagged_words=self.flagged_words(table, w),
        )
        if gid is None or name is None:
            return None
        return Gemeente(GemeenteId(gid), name, timezone, locale, settings)

    def categories(self, table: Mapping[str, Any], where: str) -> tuple[str, ...]:
        """The melding categories: slugs, at least one, each once; the seed's by default."""
        if "categories" not in table:
            return DEFAULT_CATEGORIES
        if table["categories"] == []:
            self.problem(
                _at(where, "categories"),
                "must list at least one category (leave it out for the default ones)",
            )
            return DEFAULT_CATEGORIES
        out: list[str] = []
        for i, value in self.strings(table, "categories", where):
            at = f"{_at(where, 'categories')}[{i}]"
            if not SLUG.match(value) or len(value) > MAX_ID_LENGTH:
                self.problem(
                    at,
                    f'"{value}" is not a valid category: use lower-case letters, digits and '
                    f"single dashes (at most {MAX_ID_LENGTH})",
                )
            elif value in out:
                self.problem(at, f'category "{value}" is listed twice')
            else:
                out.append(value)
        return tuple(out)

    def flagged_words(self, table: Mapping[str, Any], where: str) -> tuple[str, ...]:
        out: list[str] = []
        seen: set[str] = set()
        for i, word in self.strings(table, "flagged_words", where):
            if word.casefold() in seen:
                self.problem(f"{_at(where, 'flagged_words')}[{i}]", f'"{word}" is listed twice')
                continue
            seen.add(word.casefold())
            out.append(word)
        return tuple(out)

    def escalation_rules(
        self, raw: Mapping[str, Any], categories: tuple[str, ...]
    ) -> tuple[EscalationRule, ...] | None:
        """The ``[[escalation]]`` rules, or ``None`` when the file has none (the defaults
        apply). The regiegroep is added to every rule's targets: it sees every escalation."""
        if "escalation" not in raw:
            return None
        mark = len(self.problems)
        entries = self.entries(raw, "escalation", "scope", _NO_ID)
        if len(self.problems) > mark:
            return None  # not an array of tables; nothing more to say
        rules: list[EscalationRule] = []
        first: dict[tuple[Scope, str | None], str] = {}
        scopes_readable = True
        for e in entries:
            w = e.label
            self.check_keys(e.table, w, _ESCALATION_KEYS, ("scope", "targets"))
            scope: Scope | None = None
            word = self.string(e.table, "scope", w)
            if word is not None:
                scope = _scope(word)
                if scope is None:
                    options = " | ".join(str(s) for s in Scope)
                    self.problem(
                        _at(w, "scope"),
                        f'"{word}" is not a scope; use {options} '
                        f"(or a word /escalate accepts: {', '.join(_SCOPE_WORDS)})",
                    )
            if scope is None:
                scopes_readable = False
            targets: set[TargetKind] = set()
            for i, value in self.strings(e.table, "targets", w):
                at = f"{_at(w, 'targets')}[{i}]"
                try:
                    target = TargetKind(value)
                except ValueError:
                    options = " | ".join(str(t) for t in TargetKind)
                    self.problem(at, f'"{value}" is not a target; targets are {options}')
                    continue
                if target in targets:
                    self.problem(at, f'target "{value}" is listed twice')
                targets.add(target)
            category = self.string(e.table, "category", w)
            if category is not None and not self.reference(
                category, _at(w, "category"), set(categories), "category"
            ):
                continue
            if scope is None:
                continue
            key = (scope, category)
            if key in first:
                which = f' and category "{category}"' if category else " without a category"
                self.problem(
                    _at(w, "scope"),
                    f'scope "{scope}"{which} already has a rule ({first[key]})',
                )
                continue
            first[key] = w
            rules.append(EscalationRule(scope, frozenset(targets | {TargetKind.REGIE}), category))
        if scopes_readable:  # else a scope may look missing only because it was misspelt
            for scope in Scope:
                if (scope, None) not in first:
                    self.problem(
                        "escalation",
                        f"no rule for scope '{scope}' without a category; every scope needs "
                        "one when the file has [[escalation]] tables (they replace the defaults)",
                    )
        return tuple(rules)

    def kernen(self, raw: Mapping[str, Any]) -> dict[str, tuple[_Entry, str | None]]:
        entries = self.entries(raw, "kern", "id", SLUG)
        self.unique_ids(entries, "id", SLUG, "kern")
        out: dict[str, tuple[_Entry, str | None]] = {}
        for e in entries:
            self.check_keys(e.table, e.label, _KERN_KEYS, ("id", "name"))
            name = self.string(e.table, "name", e.label)
            if e.id is not None:
                out[e.id] = (e, name)
        return out

    def persons(self, raw: Mapping[str, Any]) -> list[PersonSpec]:
        entries = self.entries(raw, "person", "handle", HANDLE)
        self.unique_ids(entries, "handle", HANDLE, "person")
        self.person_entries = entries  # groups may name a person whose entry has other faults
        out: list[PersonSpec] = []
        owners: dict[PlatformIdentity, str] = {}
        for e in entries:
            self.check_keys(e.table, e.label, _PERSON_KEYS, ("handle", "name"))
            name = self.string(e.table, "name", e.label)
            locale = self.locale(e.table, "locale", e.label)
            identities: set[PlatformIdentity] = set()
            telegram = self.string(e.table, "telegram", e.label)
            if telegram is not None:
                if TELEGRAM_USER.match(telegram):
                    identities.add(PlatformIdentity(Platform.TELEGRAM, telegram))
                else:
                    self.problem(
                        _at(e.label, "telegram"),
                        f'"{telegram}" is not a Telegram user id (a positive number, as a string)',
                    )
            signal = self.string(e.table, "signal", e.label)
            if signal is not None:
                number = re.sub(r"[\s-]", "", signal)
                if E164.match(number):
                    identities.add(PlatformIdentity(Platform.SIGNAL, number))
                else:
                    self.problem(
                        _at(e.label, "signal"),
                        f'"{signal}" is not a phone number in international format '
                        '(a "+" and 8 to 15 digits, e.g. "+31612345678")',
                    )
            for identity in sorted(identities, key=str):
                if identity in owners:
                    self.problem(
                        _at(e.label, str(identity.platform)),
                        f'{identity.user_ref} is also person "{owners[identity]}"\'s; '
                        "an account belongs to one person",
                    )
                elif e.id is not None:
                    owners[identity] = e.id
            roles: set[GemeenteRole] = set()
            for i, value in self.strings(e.table, "roles", e.label):
                where = f"{_at(e.label, 'roles')}[{i}]"
                try:
                    role = GemeenteRole(value)
                except ValueError:
                    options = " | ".join(str(r) for r in GemeenteRole)
                    self.problem(where, f'unknown role "{value}"; roles are {options}')
                    continue
                if role in roles:
                    self.problem(where, f'role "{value}" is listed twice')
                roles.add(role)
            if e.id is not None and name is not None:
                out.append(PersonSpec(e.id, name, locale, frozenset(identities), frozenset(roles)))
        return out

    def buurten(
        self, raw: Mapping[str, Any], kernen: Mapping[str, object]
    ) -> dict[str, _BuurtDraft]:
        entries = self.entries(raw, "buurt", "id", SLUG)
        self.unique_ids(entries, "id", SLUG, "buurt")
        drafts: list[_BuurtDraft] = []
        for e in entries:
            self.check_keys(e.table, e.label, _BUURT_KEYS, ("id", "kern", "name"))
            kern = self.string(e.table, "kern", e.label)
            if kern is not None and not self.reference(kern, _at(e.label, "kern"), kernen, "kern"):
                kern = None
            name = self.string(e.table, "name", e.label)
            ranges: list[PostcodeRange] = []
            for i, text in self.strings(e.table, "postcodes", e.label):
                try:
                    ranges.append(PostcodeRange.parse(text))
                except InvalidPostcode:
                    self.problem(
                        f"{_at(e.label, 'postcodes')}[{i}]",
                        f'"{text}" is not a postcode area ("7471"), postcode ("7471AB") or '
                        'range ("7471AA-7471ZZ", low before high)',
                    )
            streets = [s for _, s in self.strings(e.table, "streets", e.label)]
            adjacent = self.strings(e.table, "adjacent", e.label)
            location = self.location(e.table, e.label)
            drafts.append(_BuurtDraft(e, kern, name, ranges, streets, adjacent, location))
        by_id = {d.entry.id: d for d in drafts if d.entry.id is not None}
        for d in drafts:
            listed: set[str] = set()
            for i, other in d.adjacent:
                where = f"{_at(d.entry.label, 'adjacent')}[{i}]"
                if other == d.entry.id:
                    self.problem(where, "a buurt cannot be adjacent to itself")
                elif other in listed:
                    self.problem(where, f'buurt "{other}" is listed twice')
                else:
                    others = {b for b in by_id if b != d.entry.id}
                    self.reference(other, where, others, "buurt")
                listed.add(other)
        self.overlaps(drafts)
        return by_id

    def overlaps(self, drafts: list[_BuurtDraft]) -> None:
        """Buurten may share postcodes only when their (disjoint) streets decide between them."""
        by_area: dict[int, list[tuple[int, PostcodeRange]]] = defaultdict(list)
        for n, d in enumerate(drafts):
            for rng in d.postcodes:
                for area in rng.areas():
                    by_area[area].append((n, rng))
        reported: set[tuple[int, int]] = set()
        for area in sorted(by_area):
            items = by_area[area]
            for x, (a, ra) in enumerate(items):
                for b, rb in items[x + 1 :]:
                    if a == b or (min(a, b), max(a, b)) in reported or not ra.overlaps(rb):
                        continue
                    first, second = (a, ra), (b, rb)
                    if first[0] > second[0]:
                        first, second = second, first
                    reported.add((first[0], second[0]))
                    self.overlap_problem(drafts[first[0]], first[1], drafts[second[0]], second[1])

    def overlap_problem(
        self, first: _BuurtDraft, r1: PostcodeRange, second: _BuurtDraft, r2: PostcodeRange
    ) -> None:
        if first.streets and second.streets:
            shared = {normalise_street(s) for s in first.streets} & {
                normalise_street(s) for s in second.streets
            }
            if not shared:
                return
            self.problem(
                _at(second.entry.label, "streets"),
                f"shares postcodes {r2} with {first.entry.label} ({r1}) and also the street(s) "
                + ", ".join(f'"{s}"' for s in sorted(shared))
                + "; the street must tell the two buurten apart",
            )
            return
        self.problem(
            _at(second.entry.label, "postcodes"),
            f"{r2} overlaps {r1} of {first.entry.label}; buurten may share postcodes only if "
            "both list their streets (and no street is in both)",
        )

    # -- geography -------------------------------------------------------------------------
    def location(self, table: Mapping[str, Any], where: str) -> LatLon | None:
        """A buurt's ``location = [latitude, longitude]``, or ``None`` (absent or wrong)."""
        if "location" not in table:
            return None
        value = table["location"]
        at = _at(where, "location")
        if not isinstance(value, list) or len(value) != 2 or not all(map(_is_number, value)):
            self.problem(
                at,
                "expected [latitude, longitude], two numbers in degrees such as "
                f"[52.2336, 6.5839], got {_shape_of(value)}",
            )
            return None
        lat, lon = float(value[0]), float(value[1])
        reason = _degrees_problem(lat, lon, geojson=False)
        if reason is not None:
            self.problem(at, reason)
            return None
        return (lat, lon)

    def geojson(self, raw: Mapping[str, Any], buurten: Mapping[str, _BuurtDraft]) -> None:
        """Read the outlines (and points) of the gemeente's GeoJSON file into the drafts."""
        table = raw.get("gemeente")
        if not isinstance(table, dict) or "geojson" not in table:
            return
        name = self.string(table, "geojson", "gemeente")
        if name is None:
            return
        path = self.base / name
        doc = self.read_json(path, "gemeente.geojson")
        if doc is None:
            return
        reader = _GeoJsonReader(str(path), buurten)
        reader.read(doc)
        self.problems.extend(reader.problems)

    def read_json(self, path: Path, at: str) -> object:
        """The parsed GeoJSON document, or ``None`` once its problem is reported."""
        try:
            if path.is_dir():
                self.problem(at, f"{path} is a directory, not a GeoJSON file")
                return None
            size = path.stat().st_size
            if size > GEOJSON_MAX_BYTES:
                self.problem(
                    at,
                    f"{path} is {size / 2**20:.1f} MB, more than the "
                    f"{GEOJSON_MAX_BYTES // 2**20} MB a map file may have; simplify the "
                    "outlines first (the map needs no survey detail)",
                )
                return None
            data = path.read_bytes()
        except FileNotFoundError:
            self.problem(at, f"file not found: {path} (a path relative to the network file)")
            return None
        except OSError as exc:
            self.problem(at, f"cannot read {path}: {exc.strerror or exc}")
            return None
        label = str(path)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.problems.append(
                NetworkFileProblem(label, "", f"not UTF-8 text (byte {exc.start})")
            )
            return None
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            self.problems.append(NetworkFileProblem(label, where, f"invalid JSON: {exc.msg}"))
        except ValueError as exc:  # NaN or Infinity
            self.problems.append(NetworkFileProblem(label, "", f"invalid JSON: {exc}"))
        except RecursionError:
            self.problems.append(NetworkFileProblem(label, "", "invalid JSON: nested too deeply"))
        return None

    def groups(
        self,
        raw: Mapping[str, Any],
        buurten: Mapping[str, _BuurtDraft],
        handles: set[str],
        max_mede: int | None,
    ) -> list[_GroupDraft]:
        entries = self.entries(raw, "group", "id", SLUG)
        self.unique_ids(entries, "id", SLUG, "group")
        drafts: list[_GroupDraft] = []
        chats: dict[tuple[Platform, str], str] = {}
        regie: str | None = None
        for e in entries:
            w = e.label
            self.check_keys(e.table, w, _GROUP_KEYS, ("id", "kind", "platform", "chat_id", "name"))
            kind = self.choice(e.table, "kind", w, GroupKind)
            platform = self.choice(e.table, "platform", w, Platform)
            chat_id = self.chat_id(e.table, w, platform)
            if platform is not None and chat_id is not None:
                if (platform, chat_id) in chats:
                    self.problem(
                        _at(w, "chat_id"),
                        f'{platform} chat "{chat_id}" is already {chats[(platform, chat_id)]}',
                    )
                else:
                    chats[(platform, chat_id)] = w
            name = self.string(e.table, "name", w)
            locale = self.locale(e.table, "locale", w)
            buurt = self.string(e.table, "buurt", w)
            if kind is GroupKind.BUURT:
                if "buurt" not in e.table:
                    self.problem(_at(w, "buurt"), 'missing (required for kind = "buurt")')
                elif buurt is not None and not self.reference(
                    buurt, _at(w, "buurt"), buurten, "buurt"
                ):
                    buurt = None
            elif kind is not None and "buurt" in e.table:
                self.problem(_at(w, "buurt"), f"only a buurtgroep has a buurt, not a {kind} group")
                buurt = None
            if kind is GroupKind.REGIE:
                if regie is not None:
                    self.problem(
                        _at(w, "kind"), f"a gemeente has one regiegroep; {regie} is one already"
                    )
                else:
                    regie = w
            draft = _GroupDraft(e, kind, platform, chat_id, name, buurt, locale)
            self.group_roles(draft, handles, max_mede)
            drafts.append(draft)
        return drafts

    def chat_id(
        self, table: Mapping[str, Any], where: str, platform: Platform | None
    ) -> str | None:
        value = self.string(table, "chat_id", where)
        if value is None or platform is None:
            return value
        if platform is Platform.TELEGRAM and not TELEGRAM_CHAT.match(value):
            self.problem(
                _at(where, "chat_id"),
                f'"{value}" is not a Telegram chat id (a number such as "-1001234567890")',
            )
            return None
        if platform is Platform.SIGNAL and not SIGNAL_GROUP.match(value):
            self.problem(
                _at(where, "chat_id"),
                f'"{value}" is not a Signal group id ("group." followed by base64)',
            )
            return None
        return value

    def group_roles(self, draft: _GroupDraft, handles: set[str], max_mede: int | None) -> None:
        table, w = draft.entry.table, draft.entry.label
        is_buurt = draft.kind is GroupKind.BUURT
        roles = draft.roles

        def assign(handle: str, where: str, role: GroupRole) -> None:
            if not self.reference(handle, where, handles, "person"):
                return
            if handle in roles:
                earlier = roles[handle]
                same = "listed twice" if earlier is role else f"already {earlier} of this group"
                self.problem(where, f'"{handle}" is {same}; a person has one role per group')
                return
            roles[handle] = role

        if not is_buurt and draft.kind is not None:
            for key in ("eigenaar", "mede_beheerders"):
                if key in table:
                    self.problem(
                        _at(w, key),
                        f"only a buurtgroep has an eigenaar and mede-beheerders; "
                        f"list the people of a {draft.kind} group under leden",
                    )
        if is_buurt:
            owner = table.get("eigenaar")
            if owner is None:
                self.problem(_at(w, "eigenaar"), "missing: a buurtgroep has exactly one eigenaar")
            elif isinstance(owner, list):
                self.problem(
                    _at(w, "eigenaar"),
                    f"a buurtgroep has exactly one eigenaar, got an array of {len(owner)}; "
                    'write eigenaar = "handle" and put the others under mede_beheerders',
                )
            else:
                handle = self.string(table, "eigenaar", w)
                if handle is not None:
                    assign(handle, _at(w, "eigenaar"), GroupRole.EIGENAAR)
            mede = self.strings(table, "mede_beheerders", w)
            if max_mede is not None and len(mede) > max_mede:
                self.problem(
                    _at(w, "mede_beheerders"),
                    f"{len(mede)} mede-beheerders, more than max_mede_beheerders = {max_mede}",
                )
            for i, handle in mede:
                assign(handle, f"{_at(w, 'mede_beheerders')}[{i}]", GroupRole.MEDE_BEHEERDER)
        for i, handle in self.strings(table, "leden", w):
            assign(handle, f"{_at(w, 'leden')}[{i}]", GroupRole.LID)


# ---------------------------------------------------------------------------------------------
# Geography: positions and the GeoJSON file
# ---------------------------------------------------------------------------------------------
def _number(value: object) -> float | None:
    """A JSON or TOML number as a float (a huge one as infinity); ``None`` for the rest."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _is_number(value: object) -> bool:
    return _number(value) is not None


def _shape_of(value: object) -> str:
    """What a wrong coordinate pair is, for its problem."""
    if not isinstance(value, list):
        return _json_type(value)
    if len(value) != 2:
        return f"an array of {len(value)}"
    bad = next(v for v in value if not _is_number(v))
    return f"an array holding {_json_type(bad)}"


def _json_type(value: object) -> str:
    match value:
        case None:
            return "null"
        case dict():
            return "an object"
    return _type_name(value)


def _num(value: float) -> str:
    return f"{value:g}"


def _degrees_problem(lat: float, lon: float, *, geojson: bool) -> str | None:
    """Why ``lat``, ``lon`` are not WGS84 degrees, or ``None`` when they are."""
    order = "[longitude, latitude]" if geojson else "[latitude, longitude]"
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return f"{order} must be finite numbers"
    if abs(lat) > 180 and abs(lon) > 180:
        pair = f"[{_num(lon)}, {_num(lat)}]" if geojson else f"[{_num(lat)}, {_num(lon)}]"
        return (
            f"{pair} is not in degrees; it looks like a projected coordinate system (such as "
            "the Dutch RD, in metres): use WGS84 degrees (EPSG:4326)"
        )
    if abs(lat) > 90:
        hint = f"; are the two the other way round? write {order}" if abs(lon) <= 90 else ""
        return f"latitude {_num(lat)} is outside -90..90{hint}"
    if abs(lon) > 180:
        return f"longitude {_num(lon)} is outside -180..180"
    return None


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


class _GeoJsonReader:
    """Walks a parsed GeoJSON document into the buurten's drafts, collecting problems.

    Stops at the first :data:`_GEOJSON_SHOWN_PROBLEMS` problems (a wrong file is usually
    wrong throughout) and once the outlines pass :data:`GEOJSON_MAX_POINTS`."""

    def __init__(self, file: str, buurten: Mapping[str, _BuurtDraft]) -> None:
        self.file = file
        self.buurten = buurten
        self.problems: list[NetworkFileProblem] = []
        self.points = 0
        #: Where each buurt's location came from, so a second one can say where the first is.
        self.located = {b: "in the network file" for b, d in buurten.items() if d.location}

    def problem(self, where: str, reason: str) -> None:
        self.problems.append(NetworkFileProblem(self.file, where, reason))

    @property
    def done(self) -> bool:
        return len(self.problems) >= _GEOJSON_SHOWN_PROBLEMS

    def read(self, doc: object) -> None:
        if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
            kind = doc.get("type") if isinstance(doc, dict) else None
            got = f'type "{kind}"' if isinstance(kind, str) else _json_type(doc)
            self.problem("", f"expected a GeoJSON FeatureCollection, got {got}")
            return
        features = doc.get("features")
        if not isinstance(features, list):
            self.problem("features", f"expected an array of features, got {_json_type(features)}")
            return
        for i, feature in enumerate(features):
            if not self.feature(f"features[{i}]", feature):
                return
            if self.done:
                self.problem("", f"stopped after {len(self.problems)} problems; fix these first")
                return

    def feature(self, where: str, feature: object) -> bool:
        """Read one feature; ``False`` when reading must stop (too many points)."""
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            self.problem(where, 'expected a Feature (an object with "type": "Feature")')
            return True
        props = feature.get("properties")
        key = "buurt" if isinstance(props, dict) and "buurt" in props else "id"
        if not isinstance(props, dict) or key not in props:
            self.problem(
                _at(where, "properties"),
                'names no buurt: give the feature "properties": {"buurt": "<buurt id>"}',
            )
            return True
        at_id = f"{where}.properties.{key}"
        bid = props[key]
        if not isinstance(bid, str):
            self.problem(at_id, f"expected a buurt id (a string), got {_json_type(bid)}")
            return True
        draft = self.buurten.get(bid)
        if draft is None:
            self.problem(at_id, f'unknown buurt "{bid}"{_suggest(bid, self.buurten)}')
            return True
        at = f"{where}.geometry"
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict):
            self.problem(
                at, f"expected a Polygon, MultiPolygon or Point, got {_json_type(geometry)}"
            )
            return True
        kind, coords = geometry.get("type"), geometry.get("coordinates")
        polygons: list[tuple[str, object]] = []
        if kind == "Point":
            self.point(f"{at}.coordinates", coords, bid, draft, where)
        elif kind == "Polygon":
            polygons.append((f"{at}.coordinates", coords))
        elif kind == "MultiPolygon":
            if not isinstance(coords, list):
                self.problem(
                    f"{at}.coordinates",
                    f"expected an array of polygons, got {_json_type(coords)}",
                )
            else:
                polygons.extend((f"{at}.coordinates[{j}]", p) for j, p in enumerate(coords))
        else:
            shown = f'"{kind}"' if isinstance(kind, str) else _json_type(kind)
            self.problem(
                f"{at}.type", f"{shown} is not supported: use Polygon, MultiPolygon or Point"
            )
        for path, polygon in polygons:
            if not isinstance(polygon, list) or not polygon:
                self.problem(path, "expected a polygon: an array of rings, the outer ring first")
                continue
            ring = self.ring(f"{path}[0]", polygon[0])
            if ring is None:
                if self.too_many():
                    return False
                continue
            draft.outline.append(ring)
        return True

    def too_many(self) -> bool:
        return self.points > GEOJSON_MAX_POINTS

    def point(self, where: str, value: object, bid: str, draft: _BuurtDraft, feature: str) -> None:
        position = self.position(where, value)
        if position is None:
            return
        if bid in self.located:
            self.problem(
                where.rsplit(".", 1)[0],
                f'buurt "{bid}" already has a location ({self.located[bid]}); give it once',
            )
            return
        self.located[bid] = f"from {feature}"
        self.points += 1
        draft.location = position

    def ring(self, where: str, value: object) -> Ring | None:
        """The outer ring of a polygon, without its closing point; ``None`` when wrong or
        when it would pass the limit on points (then the problem says so)."""
        if not isinstance(value, list):
            self.problem(
                where,
                "expected a ring: an array of [longitude, latitude] positions, "
                f"got {_json_type(value)}",
            )
            return None
        self.points += len(value)
        if self.too_many():
            self.problem(
                "",
                f"more than {GEOJSON_MAX_POINTS:,} points in all; simplify the outlines first "
                "(the map needs no survey detail)",
            )
            return None
        points: list[LatLon] = []
        for k, item in enumerate(value):
            position = self.position(f"{where}[{k}]", item)
            if position is None:
                return None  # one problem per ring is enough
            points.append(position)
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()
        if len(set(points)) < 3:
            self.problem(where, f"a ring needs at least 3 different points, got {len(points)}")
            return None
        return tuple(points)

    def position(self, where: str, value: object) -> LatLon | None:
        """A GeoJSON position ``[longitude, latitude]`` (an altitude after them is ignored)
        as ``(latitude, longitude)``."""
        lon = _number(value[0]) if isinstance(value, list) and len(value) >= 2 else None
        lat = _number(value[1]) if isinstance(value, list) and len(value) >= 2 else None
        if lon is None or lat is None:
            got = f"an array of {len(value)}" if isinstance(value, list) else _json_type(value)
            if isinstance(value, list) and len(value) >= 2:
                got = "an array holding " + _json_type(value[0] if lon is None else value[1])
            self.problem(where, f"expected a position [longitude, latitude], got {got}")
            return None
        reason = _degrees_problem(lat, lon, geojson=True)
        if reason is not None:
            self.problem(where, reason)
            return None
        return (lat, lon)


# ---------------------------------------------------------------------------------------------
# Building the spec (only from a file without problems)
# ---------------------------------------------------------------------------------------------
def _build(
    gemeente: Gemeente,
    kernen: Mapping[str, tuple[_Entry, str | None]],
    buurten: Mapping[str, _BuurtDraft],
    groups: list[_GroupDraft],
    persons: list[PersonSpec],
) -> NetworkSpec:
    gid = gemeente.id
    neighbours: dict[str, set[BuurtId]] = defaultdict(set)
    for bid, draft in buurten.items():
        for _, other in draft.adjacent:
            neighbours[bid].add(BuurtId(other))
            neighbours[other].add(BuurtId(bid))
    built_kernen = tuple(Kern(KernId(k), gid, name or k) for k, (_, name) in kernen.items())
    built_buurten = tuple(
        Buurt(
            id=BuurtId(bid),
            gemeente_id=gid,
            kern_id=KernId(d.kern or ""),
            name=d.name or bid,
            postcodes=tuple(d.postcodes),
            streets=frozenset(d.streets),
            adjacent=frozenset(neighbours[bid]),
            location=d.location,
            outline=tuple(d.outline),
        )
        for bid, d in buurten.items()
    )
    built_groups: list[Group] = []
    memberships: list[Membership] = []
    for g in groups:
        # A file without problems has all of these; the asserts tell the type checker.
        assert g.entry.id is not None
        assert g.kind is not None
        assert g.platform is not None
        assert g.chat_id is not None
        assert g.name is not None
        group_id = file_group_id(gid, g.entry.id)
        built_groups.append(
            Group(
                id=group_id,
                gemeente_id=gid,
                kind=g.kind,
                chat=ChatRef(g.platform, g.chat_id),
                name=g.name,
                buurt_id=BuurtId(g.buurt) if g.buurt else None,
                locale=g.locale,
            )
        )
        memberships.extend(
            Membership(group_id, file_person_id(gid, handle), role, RoleSource.NETWORK_FILE)
            for handle, role in g.roles.items()
        )
    network = Network(gemeente, built_kernen, built_buurten, tuple(built_groups))
    memberships.sort(key=lambda m: (m.group_id, m.person_id))
    return NetworkSpec(network, tuple(persons), tuple(memberships))
