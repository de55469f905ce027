"""Network files: the example loads, and every kind of mistake is reported with its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from buurtbot.config.network_file import (
    NetworkFileError,
    NetworkFileProblem,
    load_network_file,
    load_network_files,
)
from buurtbot.core.domain.escalation import DEFAULT_RULES, EscalationRule, Scope, TargetKind
from buurtbot.core.domain.melding import DEFAULT_CATEGORIES
from buurtbot.core.domain.model import (
    GemeenteRole,
    GemeenteSettings,
    GroupKind,
    GroupRole,
    Locale,
    RoleSource,
)
from buurtbot.core.ids import BuurtId, ChatRef, GroupId, PersonId, Platform, PlatformIdentity

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hof-van-twente.toml"

GEMEENTE = """
[gemeente]
id = "g"
name = "Gemeente G"
"""
KERN = """
[[kern]]
id = "k"
name = "Kern K"
"""
BUURTEN = """
[[buurt]]
id = "a"
kern = "k"
name = "Buurt A"
postcodes = ["7471"]

[[buurt]]
id = "b"
kern = "k"
name = "Buurt B"
postcodes = ["7472AA-7472MZ"]
adjacent = ["a"]
"""
GROUP_A = """
[[group]]
id = "ga"
kind = "buurt"
buurt = "a"
platform = "telegram"
chat_id = "-1001"
name = "Group A"
eigenaar = "anna"
mede_beheerders = ["bert"]
leden = ["carla"]
"""
PERSONS = """
[[person]]
handle = "anna"
name = "Anna"
telegram = "11"

[[person]]
handle = "bert"
name = "Bert"
signal = "+31611111111"

[[person]]
handle = "carla"
name = "Carla"
roles = ["politie"]
"""
BASE = GEMEENTE + KERN + BUURTEN + GROUP_A + PERSONS


def write(tmp_path: Path, text: str, name: str = "net.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def group(**fields: str) -> str:
    """A ``[[group]]`` table to append to a document."""
    return "\n[[group]]\n" + "".join(f'{k} = "{v}"\n' for k, v in fields.items())


def problems(tmp_path: Path, text: str) -> list[NetworkFileProblem]:
    path = write(tmp_path, text)
    with pytest.raises(NetworkFileError) as info:
        load_network_file(path)
    return info.value.errors


def the_problem(tmp_path: Path, text: str) -> NetworkFileProblem:
    found = problems(tmp_path, text)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def assert_problem(tmp_path: Path, text: str, field: str, reason: str) -> None:
    problem = the_problem(tmp_path, text)
    assert problem.field == field, str(problem)
    assert reason in problem.reason, str(problem)


# -- files that load -------------------------------------------------------------------------
def test_the_example_loads_cleanly() -> None:
    spec = load_network_file(EXAMPLE)
    net = spec.network
    assert net.gemeente.id == "hof-van-twente"
    assert {k.name for k in net.kernen} == {
        "Goor",
        "Delden",
        "Markelo",
        "Diepenheim",
        "Hengevelde",
        "Bentelo",
    }
    kinds = [g.kind for g in net.groups]
    assert kinds.count(GroupKind.REGIE) == 1
    assert kinds.count(GroupKind.COORDINATOREN) == 1
    platforms = {g.chat.platform for g in net.groups if g.kind is GroupKind.BUURT}
    assert platforms == {Platform.TELEGRAM, Platform.SIGNAL}
    assert any(not net.buurtgroepen_of(b.id) for b in net.buurten)  # a waiting-list buurt
    # Goor Oost and Goor Zuid share 7472: the street decides.
    assert net.route("7472 AB", "kerkstraat") == net.buurt(BuurtId("goor-oost"))
    assert net.route("7472AB", "Molenstraat") == net.buurt(BuurtId("goor-zuid"))
    assert net.route("7472AB") is None


def test_the_example_restates_the_default_settings_and_escalation_rules() -> None:
    settings = load_network_file(EXAMPLE).network.gemeente.settings
    assert settings == GemeenteSettings()
    assert set(settings.escalation_rules) == set(DEFAULT_RULES)


def test_the_example_puts_beheerders_in_the_coordinatorengroep_and_regie_in_regie() -> None:
    spec = load_network_file(EXAMPLE)
    net = spec.network
    (coord,) = net.groups_of_kind(GroupKind.COORDINATOREN)
    (regie,) = net.groups_of_kind(GroupKind.REGIE)
    beheerders = {m.person_id for m in spec.memberships if m.role.is_beheerder}
    assert beheerders <= {m.person_id for m in spec.memberships_of(coord.id)}
    with_regie_roles = {
        spec.person_id(p.handle)
        for p in spec.persons
        if p.gemeente_roles
        & {GemeenteRole.HOOFDCOORDINATOR, GemeenteRole.CONTACTPERSOON, GemeenteRole.POLITIE}
    }
    assert {m.person_id for m in spec.memberships_of(regie.id)} == with_regie_roles


def test_a_small_file_becomes_a_spec_with_namespaced_ids_and_file_sourced_roles(
    tmp_path: Path,
) -> None:
    spec = load_network_file(write(tmp_path, BASE))
    group = spec.network.group(GroupId("g:ga"))
    assert group is not None
    assert group.chat == ChatRef(Platform.TELEGRAM, "-1001")
    assert group.buurt_id == "a"
    assert [(m.person_id, m.role, m.source) for m in spec.memberships] == [
        (PersonId("g:anna"), GroupRole.EIGENAAR, RoleSource.NETWORK_FILE),
        (PersonId("g:bert"), GroupRole.MEDE_BEHEERDER, RoleSource.NETWORK_FILE),
        (PersonId("g:carla"), GroupRole.LID, RoleSource.NETWORK_FILE),
    ]
    anna, bert, carla = spec.persons
    assert anna.identities == {PlatformIdentity(Platform.TELEGRAM, "11")}
    assert bert.identities == {PlatformIdentity(Platform.SIGNAL, "+31611111111")}
    assert carla.gemeente_roles == {GemeenteRole.POLITIE}
    assert spec.network.gemeente.settings.max_mede_beheerders == 3  # the default


def test_adjacency_listed_one_way_is_read_both_ways(tmp_path: Path) -> None:
    spec = load_network_file(write(tmp_path, BASE))
    a, b = spec.network.buurten
    assert a.adjacent == {BuurtId("b")}
    assert b.adjacent == {BuurtId("a")}


def test_buurten_may_share_postcodes_when_disjoint_streets_decide(tmp_path: Path) -> None:
    text = BASE.replace(
        'postcodes = ["7472AA-7472MZ"]', 'postcodes = ["7471"]\nstreets = ["Markt"]'
    )
    text = text.replace(
        'postcodes = ["7471"]\n\n', 'postcodes = ["7471"]\nstreets = ["Kerkstraat"]\n\n', 1
    )
    spec = load_network_file(write(tmp_path, text))
    assert spec.network.route("7471AB", " MARKT ") == spec.network.buurt(BuurtId("b"))


def test_a_signal_number_with_spaces_is_normalised(tmp_path: Path) -> None:
    spec = load_network_file(write(tmp_path, BASE.replace("+31611111111", "+31 6 1111 1111")))
    assert PlatformIdentity(Platform.SIGNAL, "+31611111111") in spec.persons[1].identities


# -- the file itself -------------------------------------------------------------------------
def test_a_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    problem = the_problem(tmp_path, '[gemeente]\nid = "g"\nname = \n')
    assert problem.field == "line 3, column 8"
    assert problem.reason.startswith("invalid TOML: ")
    assert str(problem) == f"{tmp_path / 'net.toml'}: line 3, column 8: {problem.reason}"


def test_a_missing_file_and_a_directory_are_problems_not_tracebacks(tmp_path: Path) -> None:
    with pytest.raises(NetworkFileError) as missing:
        load_network_file(tmp_path / "nope.toml")
    assert missing.value.errors == [
        NetworkFileProblem(str(tmp_path / "nope.toml"), "", "file not found")
    ]
    with pytest.raises(NetworkFileError) as directory:
        load_network_file(tmp_path)
    assert "is a directory" in directory.value.errors[0].reason


def test_a_file_that_is_not_utf8_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[gemeente]\nname = "Coördinatoren"\n'.encode("latin-1"))
    with pytest.raises(NetworkFileError) as info:
        load_network_file(path)
    assert "not UTF-8" in info.value.errors[0].reason


def test_every_problem_is_collected_not_just_the_first(tmp_path: Path) -> None:
    text = (
        BASE.replace('name = "Kern K"', 'nam = "Kern K"')
        .replace('adjacent = ["a"]', 'adjacent = ["a", "c"]')
        .replace('telegram = "11"', 'telegram = "eleven"')
    )
    found = problems(tmp_path, text)
    assert [p.field for p in found] == [
        'kern "k".nam',
        'kern "k".name',
        'buurt "b".adjacent[1]',
        'person "anna".telegram',  # persons come last, as in the schema
    ]
    assert all(p.file == str(tmp_path / "net.toml") for p in found)
    message = str(NetworkFileError(found))
    assert message.startswith("4 problems")
    assert f'{tmp_path / "net.toml"}: buurt "b".adjacent[1]: unknown buurt "c"' in message


# -- fields ----------------------------------------------------------------------------------
def test_a_missing_required_field(tmp_path: Path) -> None:
    assert_problem(tmp_path, BASE.replace('name = "Kern K"\n', ""), 'kern "k".name', "missing")


def test_a_missing_gemeente_table(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE.replace(GEMEENTE, ""))
    assert ("gemeente", "missing (required): the [gemeente] table") in [
        (p.field, p.reason) for p in found
    ]


def test_an_unknown_field_is_a_typo_with_a_suggestion(tmp_path: Path) -> None:
    text = BASE.replace('postcodes = ["7471"]', 'postcode = ["7471"]')
    assert_problem(
        tmp_path, text, 'buurt "a".postcode', 'unknown field (did you mean "postcodes"?)'
    )


def test_an_unknown_section(tmp_path: Path) -> None:
    assert_problem(tmp_path, BASE + '\n[[buurten]]\nid = "x"\n', "buurten", "unknown section")


def test_a_section_that_should_be_an_array_of_tables(tmp_path: Path) -> None:
    text = BASE.replace(KERN, '\n[kern]\nid = "k"\nname = "K"\n')
    found = problems(tmp_path, text)
    assert found[0].field == "kern"
    assert "expected an array of tables ([[kern]])" in found[0].reason


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ('name = "Gemeente G"', "name = 7", "gemeente.name", "expected a string, got an integer"),
        ('name = "Gemeente G"', 'name = "  "', "gemeente.name", "must not be empty"),
        ('telegram = "11"', "telegram = 11", 'person "anna".telegram', 'in quotes: "11"'),
        (
            'leden = ["carla"]',
            'leden = "carla"',
            'group "ga".leden',
            "expected an array of strings, got a string",
        ),
        ('leden = ["carla"]', 'leden = ["carla", 3]', 'group "ga".leden[1]', "expected a string"),
        (
            'id = "g"',
            'id = "g"\nwarning_threshold = "3"',
            "gemeente.warning_threshold",
            "expected an integer, got a string",
        ),
        (
            'id = "g"',
            'id = "g"\nretention_days = true',
            "gemeente.retention_days",
            "expected an integer, got a boolean",
        ),
    ],
)
def test_a_mistyped_field(tmp_path: Path, old: str, new: str, field: str, reason: str) -> None:
    assert_problem(tmp_path, BASE.replace(old, new, 1), field, reason)


@pytest.mark.parametrize(
    "key", ["warning_threshold", "warning_expiry_days", "retention_days", "max_mede_beheerders"]
)
@pytest.mark.parametrize("value", [0, -1])
def test_a_non_positive_number(tmp_path: Path, key: str, value: int) -> None:
    text = BASE.replace('id = "g"', f'id = "g"\n{key} = {value}')
    assert_problem(tmp_path, text, f"gemeente.{key}", f"must be a positive number, got {value}")


def test_a_bad_timezone(tmp_path: Path) -> None:
    text = BASE.replace('id = "g"', 'id = "g"\ntimezone = "Europe/Goor"')
    assert_problem(tmp_path, text, "gemeente.timezone", 'unknown timezone "Europe/Goor"')


def test_a_bad_locale(tmp_path: Path) -> None:
    text = BASE.replace('name = "Bert"', 'name = "Bert"\nlocale = "fr"')
    assert_problem(tmp_path, text, 'person "bert".locale', 'unknown locale "fr"')


def test_a_locale_is_read_leniently(tmp_path: Path) -> None:
    text = BASE.replace('name = "Bert"', 'name = "Bert"\nlocale = "en-GB"')
    assert load_network_file(write(tmp_path, text)).persons[1].locale is Locale.EN


# -- ids and references ----------------------------------------------------------------------
def test_a_bad_slug_labels_the_entry_by_position(tmp_path: Path) -> None:
    text = BASE.replace('id = "b"', 'id = "Goor West"').replace('adjacent = ["a"]', "")
    assert_problem(tmp_path, text, "buurt[1].id", '"Goor West" is not a valid id')


def test_a_bad_handle(tmp_path: Path) -> None:
    text = BASE.replace('handle = "carla"', 'handle = "Carla!"').replace('["carla"]', "[]")
    assert_problem(tmp_path, text, "person[2].handle", '"Carla!" is not a valid id')


def test_a_duplicate_id(tmp_path: Path) -> None:
    text = BASE.replace('id = "b"', 'id = "a"').replace('adjacent = ["a"]', "")
    assert_problem(tmp_path, text, "buurt[1].id", 'duplicate buurt "a" (first at buurt[0])')


def test_an_unknown_kern(tmp_path: Path) -> None:
    text = BASE.replace('kern = "k"', 'kern = "goor"', 1)
    assert_problem(tmp_path, text, 'buurt "a".kern', 'unknown kern "goor"')


def test_an_unknown_adjacent_buurt(tmp_path: Path) -> None:
    text = BASE.replace('adjacent = ["a"]', 'adjacent = ["a", "goor-oost"]')
    assert_problem(tmp_path, text, 'buurt "b".adjacent[1]', 'unknown buurt "goor-oost"')


def test_a_buurt_adjacent_to_itself(tmp_path: Path) -> None:
    text = BASE.replace('adjacent = ["a"]', 'adjacent = ["b"]')
    assert_problem(tmp_path, text, 'buurt "b".adjacent[0]', "cannot be adjacent to itself")


def test_an_unknown_person(tmp_path: Path) -> None:
    text = BASE.replace('leden = ["carla"]', 'leden = ["carla", "karla"]')
    assert_problem(
        tmp_path, text, 'group "ga".leden[1]', 'unknown person "karla" (did you mean "carla"?)'
    )


def test_a_person_with_a_fault_is_still_known_to_the_groups_naming_them(tmp_path: Path) -> None:
    text = BASE.replace('name = "Carla"\n', "")
    assert_problem(tmp_path, text, 'person "carla".name', "missing (required)")


def test_an_unknown_gemeente_role(tmp_path: Path) -> None:
    text = BASE.replace('roles = ["politie"]', 'roles = ["police"]')
    assert_problem(tmp_path, text, 'person "carla".roles[0]', 'unknown role "police"')


# -- groups and roles ------------------------------------------------------------------------
def test_a_buurtgroep_without_eigenaar(tmp_path: Path) -> None:
    text = BASE.replace('eigenaar = "anna"\n', "")
    assert_problem(tmp_path, text, 'group "ga".eigenaar', "exactly one eigenaar")


def test_a_buurtgroep_with_two_eigenaren(tmp_path: Path) -> None:
    text = BASE.replace('eigenaar = "anna"', 'eigenaar = ["anna", "bert"]').replace(
        'mede_beheerders = ["bert"]', "mede_beheerders = []"
    )
    assert_problem(tmp_path, text, 'group "ga".eigenaar', "exactly one eigenaar, got an array of 2")


def test_the_eigenaar_listed_again_in_another_role_of_the_group(tmp_path: Path) -> None:
    text = BASE.replace('leden = ["carla"]', 'leden = ["carla", "anna"]')
    assert_problem(
        tmp_path, text, 'group "ga".leden[1]', '"anna" is already eigenaar of this group'
    )


def test_a_person_with_two_roles_in_one_group(tmp_path: Path) -> None:
    text = BASE.replace('leden = ["carla"]', 'leden = ["bert"]')
    assert_problem(tmp_path, text, 'group "ga".leden[0]', "already mede-beheerder of this group")


def test_a_person_listed_twice_in_one_role(tmp_path: Path) -> None:
    text = BASE.replace('leden = ["carla"]', 'leden = ["carla", "carla"]')
    assert_problem(tmp_path, text, 'group "ga".leden[1]', '"carla" is listed twice')


def test_more_mede_beheerders_than_allowed(tmp_path: Path) -> None:
    text = (
        BASE.replace('id = "g"', 'id = "g"\nmax_mede_beheerders = 1')
        .replace('mede_beheerders = ["bert"]', 'mede_beheerders = ["bert", "carla"]')
        .replace('leden = ["carla"]', "leden = []")
    )
    assert_problem(
        tmp_path,
        text,
        'group "ga".mede_beheerders',
        "2 mede-beheerders, more than max_mede_beheerders = 1",
    )


def test_a_group_with_an_empty_chat_id(tmp_path: Path) -> None:
    assert_problem(
        tmp_path, BASE.replace('"-1001"', '""'), 'group "ga".chat_id', "must not be empty"
    )


@pytest.mark.parametrize(
    ("platform", "chat_id", "reason"),
    [
        ("telegram", "goor-west", "not a Telegram chat id"),
        ("signal", "-1001", "not a Signal group id"),
    ],
)
def test_a_chat_id_of_the_wrong_shape(
    tmp_path: Path, platform: str, chat_id: str, reason: str
) -> None:
    text = BASE.replace('platform = "telegram"', f'platform = "{platform}"').replace(
        '"-1001"', f'"{chat_id}"'
    )
    assert_problem(tmp_path, text, 'group "ga".chat_id', reason)


def test_two_groups_on_one_chat(tmp_path: Path) -> None:
    regie = group(id="regie", kind="regie", platform="telegram", chat_id="-1001", name="R")
    assert_problem(
        tmp_path,
        BASE + regie,
        'group "regie".chat_id',
        'telegram chat "-1001" is already group "ga"',
    )


def test_the_same_chat_id_on_two_platforms_is_two_chats(tmp_path: Path) -> None:
    regie = group(id="regie", kind="regie", platform="console", chat_id="-1001", name="R")
    assert len(load_network_file(write(tmp_path, BASE + regie)).network.groups) == 2


def test_a_buurtgroep_without_buurt(tmp_path: Path) -> None:
    text = BASE.replace('buurt = "a"\n', "")
    assert_problem(tmp_path, text, 'group "ga".buurt', 'missing (required for kind = "buurt")')


def test_a_buurtgroep_of_an_unknown_buurt(tmp_path: Path) -> None:
    text = BASE.replace('buurt = "a"\n', 'buurt = "z"\n')
    assert_problem(tmp_path, text, 'group "ga".buurt', 'unknown buurt "z"')


@pytest.mark.parametrize("kind", ["regie", "coordinatoren"])
def test_a_regie_or_coordinatoren_group_with_a_buurt(tmp_path: Path, kind: str) -> None:
    extra = group(id="x", kind=kind, buurt="a", platform="console", chat_id="x", name="X")
    assert_problem(tmp_path, BASE + extra, 'group "x".buurt', "only a buurtgroep has a buurt")


def test_a_coordinatorengroep_with_an_eigenaar(tmp_path: Path) -> None:
    extra = group(
        id="x", kind="coordinatoren", platform="console", chat_id="x", name="X", eigenaar="anna"
    )
    assert_problem(
        tmp_path, BASE + extra, 'group "x".eigenaar', "only a buurtgroep has an eigenaar"
    )


def test_two_regiegroepen(tmp_path: Path) -> None:
    def regie(n: int) -> str:
        return group(id=f"r{n}", kind="regie", platform="console", chat_id=f"r{n}", name="R")

    assert_problem(
        tmp_path, BASE + regie(1) + regie(2), 'group "r2".kind', 'group "r1" is one already'
    )


def test_an_unknown_group_kind_and_platform(tmp_path: Path) -> None:
    text = BASE.replace('kind = "buurt"', 'kind = "wijk"').replace(
        'platform = "telegram"', 'platform = "whatsapp"'
    )
    found = problems(tmp_path, text)
    assert [(p.field, p.reason) for p in found] == [
        ('group "ga".kind', '"wijk" is not one of buurt | coordinatoren | regie'),
        ('group "ga".platform', '"whatsapp" is not one of telegram | signal | console'),
    ]


# -- postcodes -------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["747", "0471", "7471SS", "7472ZZ-7472AA", "7471-", "Goor"])
def test_an_invalid_postcode_or_range(tmp_path: Path, bad: str) -> None:
    text = BASE.replace('postcodes = ["7471"]', f'postcodes = ["7471AA", "{bad}"]')
    assert_problem(tmp_path, text, 'buurt "a".postcodes[1]', f'"{bad}" is not a postcode area')


def test_overlapping_postcodes_without_streets(tmp_path: Path) -> None:
    text = BASE.replace('postcodes = ["7472AA-7472MZ"]', 'postcodes = ["7471KA-7471KZ"]')
    assert_problem(
        tmp_path,
        text,
        'buurt "b".postcodes',
        'overlaps 7471 of buurt "a"; buurten may share postcodes only if both list their streets',
    )


def test_overlapping_postcodes_where_only_one_buurt_lists_streets(tmp_path: Path) -> None:
    text = BASE.replace(
        'postcodes = ["7472AA-7472MZ"]', 'postcodes = ["7471"]\nstreets = ["Markt"]'
    )
    assert_problem(tmp_path, text, 'buurt "b".postcodes', "overlaps 7471")


def test_overlapping_postcodes_with_a_street_in_both_buurten(tmp_path: Path) -> None:
    text = BASE.replace(
        'postcodes = ["7472AA-7472MZ"]', 'postcodes = ["7471"]\nstreets = ["Markt", "Laan"]'
    ).replace('postcodes = ["7471"]\n\n', 'postcodes = ["7471"]\nstreets = [" markt "]\n\n', 1)
    assert_problem(tmp_path, text, 'buurt "b".streets', 'also the street(s) "markt"')


# -- persons ---------------------------------------------------------------------------------
def test_two_persons_with_one_telegram_id(tmp_path: Path) -> None:
    text = BASE.replace('name = "Carla"', 'name = "Carla"\ntelegram = "11"')
    assert_problem(tmp_path, text, 'person "carla".telegram', 'also person "anna"')


def test_two_persons_with_one_signal_number(tmp_path: Path) -> None:
    text = BASE.replace('name = "Carla"', 'name = "Carla"\nsignal = "+316 1111 1111"')
    assert_problem(tmp_path, text, 'person "carla".signal', 'also person "bert"')


@pytest.mark.parametrize("number", ["0612345678", "+31", "+316123456789012345", "+31 6 abc"])
def test_a_signal_number_not_in_international_format(tmp_path: Path, number: str) -> None:
    text = BASE.replace("+31611111111", number)
    assert_problem(tmp_path, text, 'person "bert".signal', "international format")


def test_a_telegram_id_that_is_not_a_number(tmp_path: Path) -> None:
    text = BASE.replace('telegram = "11"', 'telegram = "@anna"')
    assert_problem(tmp_path, text, 'person "anna".telegram', "not a Telegram user id")


# -- several files ---------------------------------------------------------------------------
def other_gemeente(gid: str = "h", chat: str = "-2001", telegram: str = "22") -> str:
    return f"""
[gemeente]
id = "{gid}"
name = "H"

[[group]]
id = "regie"
kind = "regie"
platform = "telegram"
chat_id = "{chat}"
name = "Regie H"
leden = ["dirk"]

[[person]]
handle = "dirk"
name = "Dirk"
telegram = "{telegram}"
"""


def test_several_files_and_a_directory_load_as_several_gemeenten(tmp_path: Path) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    write(folder, other_gemeente("j", "-3001", "33"), "b.toml")
    write(folder, other_gemeente("h"), "a.toml")
    (folder / "notes.txt").write_text("not a network file")
    specs = load_network_files([write(tmp_path, BASE), folder, folder / "a.toml"])
    assert [s.gemeente_id for s in specs] == ["g", "h", "j"]


def test_two_files_of_one_gemeente(tmp_path: Path) -> None:
    first = write(tmp_path, other_gemeente("h"), "first.toml")
    second = write(tmp_path, other_gemeente("h", "-2002", "23"), "second.toml")
    with pytest.raises(NetworkFileError) as info:
        load_network_files([first, second])
    (problem,) = info.value.errors
    assert (problem.file, problem.field) == (str(second), "gemeente.id")
    assert f'gemeente "h" is also defined in {first}' == problem.reason


def test_two_gemeenten_sharing_a_chat_or_an_account(tmp_path: Path) -> None:
    first = write(tmp_path, BASE, "g.toml")
    second = write(tmp_path, other_gemeente("h", chat="-1001", telegram="11"), "h.toml")
    with pytest.raises(NetworkFileError) as info:
        load_network_files([first, second])
    assert [(p.file, p.field) for p in info.value.errors] == [
        (str(second), 'group "regie".chat_id'),
        (str(second), 'person "dirk".telegram'),
    ]
    assert 'also person "anna" in' in info.value.errors[1].reason


def test_problems_of_all_files_are_collected(tmp_path: Path) -> None:
    bad1 = write(tmp_path, "[gemeente\n", "a.toml")
    bad2 = write(tmp_path, other_gemeente("H"), "b.toml")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NetworkFileError) as info:
        load_network_files([bad1, bad2, empty, tmp_path / "gone.toml"])
    assert [(p.file, p.field) for p in info.value.errors] == [
        (str(empty), ""),
        (str(bad1), "line 1, column 10"),
        (str(bad2), "gemeente.id"),
        (str(tmp_path / "gone.toml"), ""),
    ]


# -- gemeente policy and escalation rules ----------------------------------------------------
def settings_of(tmp_path: Path, text: str) -> GemeenteSettings:
    return load_network_file(write(tmp_path, text)).network.gemeente.settings


def with_gemeente(*lines: str) -> str:
    return BASE.replace('id = "g"', "\n".join(['id = "g"', *lines]), 1)


def rule(scope: str, targets: str, category: str | None = None) -> str:
    extra = f'category = "{category}"\n' if category else ""
    return f'\n[[escalation]]\nscope = "{scope}"\ntargets = {targets}\n{extra}'


#: One rule per scope, without categories (Dutch words where /escalate accepts them).
EVERY_SCOPE = (
    rule("default", '["adjacent"]')
    + rule("buren", '["adjacent"]')
    + rule("dorp", '["kern", "adjacent"]')
    + rule("politie", '["politie"]')
    + rule("regie", "[]")
)


def test_without_policy_settings_the_defaults_apply(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, BASE)
    assert settings == GemeenteSettings()
    assert settings.categories == DEFAULT_CATEGORIES
    assert settings.escalation_rules == DEFAULT_RULES


def test_policy_settings_are_read(tmp_path: Path) -> None:
    text = with_gemeente(
        "called_112_window_minutes = 45",
        "group_warning_notice = false",
        "chatter_nudge = true",
        "invite_valid_days = 14",
        "auto_route = false",
        "pattern_window_hours = 48",
        'categories = ["inbraak", "fietsendiefstal"]',
        'flagged_words = ["sukkel", " Mafkees "]',
    )
    settings = settings_of(tmp_path, text)
    assert settings.called_112_window_minutes == 45
    assert settings.group_warning_notice is False
    assert settings.chatter_nudge is True
    assert settings.invite_valid_days == 14
    assert settings.auto_route is False
    assert settings.pattern_window_hours == 48
    assert settings.categories == ("inbraak", "fietsendiefstal")
    assert settings.extra_flagged_words == ("sukkel", "Mafkees")
    assert settings.escalation_rules == DEFAULT_RULES


@pytest.mark.parametrize(("line", "hours"), [("", 48), ("police_followup_hours = 12", 12),
                                             ("police_followup_hours = 0", 0)])  # fmt: skip
def test_the_police_followup_reminder_is_48_hours_by_default_and_0_switches_it_off(
    tmp_path: Path, line: str, hours: int
) -> None:
    text = with_gemeente(line) if line else BASE
    assert settings_of(tmp_path, text).police_followup_hours == hours


def test_escalation_rules_replace_the_defaults_and_always_reach_the_regiegroep(
    tmp_path: Path,
) -> None:
    text = BASE + EVERY_SCOPE + rule("default", '["gemeente"]', category="inbraak")
    rules = settings_of(tmp_path, text).escalation_rules
    regie, adjacent, kern = TargetKind.REGIE, TargetKind.ADJACENT, TargetKind.KERN
    assert rules == (
        EscalationRule(Scope.DEFAULT, frozenset({regie, adjacent})),
        EscalationRule(Scope.ADJACENT, frozenset({regie, adjacent})),
        EscalationRule(Scope.KERN, frozenset({regie, kern, adjacent})),
        EscalationRule(Scope.POLITIE, frozenset({regie, TargetKind.POLITIE})),
        EscalationRule(Scope.REGIE, frozenset({regie})),
        EscalationRule(Scope.DEFAULT, frozenset({regie, TargetKind.GEMEENTE}), "inbraak"),
    )


def test_a_rule_may_name_a_category_of_the_gemeentes_own(tmp_path: Path) -> None:
    text = (
        with_gemeente('categories = ["fietsendiefstal", "overig"]')
        + EVERY_SCOPE
        + rule("kern", '["kern"]', category="fietsendiefstal")
    )
    rules = settings_of(tmp_path, text).escalation_rules
    assert rules[-1] == EscalationRule(
        Scope.KERN, frozenset({TargetKind.REGIE, TargetKind.KERN}), "fietsendiefstal"
    )


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        ("called_112_window_minutes = 0", "called_112_window_minutes", "must be a positive"),
        ("called_112_window_minutes = -5", "called_112_window_minutes", "must be a positive"),
        ('called_112_window_minutes = "2h"', "called_112_window_minutes", "expected an integer"),
        ('group_warning_notice = "yes"', "group_warning_notice", "expected true or false"),
        (
            'chatter_nudge = "true"',
            "chatter_nudge",
            "expected true or false, got a string (write it without quotes: true)",
        ),
        ("chatter_nudge = 1", "chatter_nudge", "expected true or false, got an integer"),
        ("invite_valid_days = 0", "invite_valid_days", "must be a positive"),
        ('invite_valid_days = "7"', "invite_valid_days", "expected an integer"),
        ("pattern_window_hours = 0", "pattern_window_hours", "must be a positive"),
        ('pattern_window_hours = "24h"', "pattern_window_hours", "expected an integer"),
        ("police_followup_hours = -1", "police_followup_hours", "must be 0 or more, got -1"),
        ('police_followup_hours = "48"', "police_followup_hours", "expected an integer"),
        ("police_followup_hours = true", "police_followup_hours", "expected an integer"),
        ("police_followup_hours = 1.5", "police_followup_hours", "expected an integer"),
        ('auto_route = "no"', "auto_route", "expected true or false"),
        ("categories = []", "categories", "must list at least one category"),
        ('categories = "inbraak"', "categories", "expected an array of strings"),
        ('categories = ["inbraak", 3]', "categories[1]", "expected a string"),
        ('categories = ["Inbraak"]', "categories[0]", '"Inbraak" is not a valid category'),
        ('categories = ["inbraak", "inbraak"]', "categories[1]", '"inbraak" is listed twice'),
        ('flagged_words = "sukkel"', "flagged_words", "expected an array of strings"),
        ('flagged_words = ["sukkel", ""]', "flagged_words[1]", "must not be empty"),
        ('flagged_words = ["sukkel", "SUKKEL"]', "flagged_words[1]", "listed twice"),
        ("flaged_words = []", "flaged_words", 'unknown field (did you mean "flagged_words"?)'),
    ],
)
def test_a_wrong_policy_setting(tmp_path: Path, line: str, field: str, reason: str) -> None:
    assert_problem(tmp_path, with_gemeente(line), f"gemeente.{field}", reason)


def test_escalation_rules_must_cover_every_scope(tmp_path: Path) -> None:
    text = BASE + rule("default", '["adjacent"]') + rule("kern", '["kern"]', category="inbraak")
    found = problems(tmp_path, text)
    assert [(p.field, p.reason.split(";")[0]) for p in found] == [
        ("escalation", "no rule for scope 'adjacent' without a category"),
        ("escalation", "no rule for scope 'kern' without a category"),
        ("escalation", "no rule for scope 'politie' without a category"),
        ("escalation", "no rule for scope 'regie' without a category"),
    ]
    assert "replace the defaults" in found[0].reason


def test_an_empty_escalation_array_covers_no_scope(tmp_path: Path) -> None:
    found = problems(tmp_path, "escalation = []\n" + BASE)
    assert [p.reason.split(";")[0] for p in found] == [
        f"no rule for scope '{scope}' without a category" for scope in Scope
    ]


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        (
            rule("everywhere", '["kern"]'),
            "escalation[5].scope",
            '"everywhere" is not a scope; use default | adjacent | kern | politie | regie',
        ),
        (
            rule("kern", '["kern", "buurt"]', category="inbraak"),
            "escalation[5].targets[1]",
            '"buurt" is not a target; targets are regie | adjacent | kern | politie | gemeente',
        ),
        (
            rule("kern", '["kern", "kern"]', category="inbraak"),
            "escalation[5].targets[1]",
            'target "kern" is listed twice',
        ),
        (
            rule("kern", '"kern"', category="inbraak"),
            "escalation[5].targets",
            "expected an array of strings, got a string",
        ),
        (
            rule("kern", '["kern"]', category="inbrak"),
            "escalation[5].category",
            'unknown category "inbrak" (did you mean "inbraak"?)',
        ),
        (
            rule("dorp", '["gemeente"]'),
            "escalation[5].scope",
            'scope "kern" without a category already has a rule (escalation[2])',
        ),
        (
            rule("kern", '["kern"]', "inbraak") + rule("kern", '["gemeente"]', "inbraak"),
            "escalation[6].scope",
            'scope "kern" and category "inbraak" already has a rule (escalation[5])',
        ),
        (
            '\n[[escalation]]\nscope = "kern"\ncategory = "inbraak"\n',
            "escalation[5].targets",
            "missing (required)",
        ),
        (
            rule("kern", '["kern"]', "inbraak") + "when = 3\n",
            "escalation[5].when",
            "unknown field",
        ),
    ],
)
def test_a_wrong_escalation_rule(tmp_path: Path, extra: str, field: str, reason: str) -> None:
    assert_problem(tmp_path, BASE + EVERY_SCOPE + extra, field, reason)


def test_escalation_as_a_single_table_is_one_problem(tmp_path: Path) -> None:
    text = BASE + '\n[escalation]\nscope = "kern"\ntargets = ["kern"]\n'
    assert_problem(tmp_path, text, "escalation", "expected an array of tables ([[escalation]])")


def test_policy_and_escalation_problems_are_collected_with_the_others(tmp_path: Path) -> None:
    text = (
        with_gemeente("chatter_nudge = 3").replace('telegram = "11"', 'telegram = "x"')
        + EVERY_SCOPE
        + rule("kern", '["kern"]', category="brand")
    )
    assert [p.field for p in problems(tmp_path, text)] == [
        "gemeente.chatter_nudge",
        "escalation[5].category",
        'person "anna".telegram',
    ]
