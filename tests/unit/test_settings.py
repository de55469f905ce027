"""Settings from ``BUURTBOT_*`` variables and the optional TOML file named by BUURTBOT_SETTINGS.

Every test passes an explicit environ dict; the real ``os.environ`` is never read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from buurtbot.config.settings import Settings, SettingsError, redact_url

TOKEN = "123456:AAH-sUp3rS3cr3tT0ken"
DB_PASSWORD = "hunter2-db-secret"
DB_URL = f"postgresql+psycopg://buurtbot:{DB_PASSWORD}@db.example:5432/buurtbot"


def write_settings(directory: Path, text: str, name: str = "buurtbot.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(environ: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)
    return caught.value.problems


# --- defaults -----------------------------------------------------------------------------


def test_empty_environment_gives_the_documented_defaults() -> None:
    settings = Settings.from_env({})

    assert settings.database_url == "sqlite:///buurtbot.db"  # relative: the working directory
    assert settings.network is None
    assert settings.network_paths == ()
    assert settings.telegram_token is None
    assert settings.telegram_base_url is None
    assert settings.signal_service is None
    assert settings.signal_number is None
    assert settings.web_host == "127.0.0.1"
    assert settings.web_port == 8080
    assert settings.log_level == "INFO"


def test_unrelated_variables_are_ignored() -> None:
    settings = Settings.from_env({"HOME": "/root", "BUURTBOT_UNKNOWN": "x", "WEB_PORT": "1"})

    assert settings == Settings()


@pytest.mark.parametrize(
    "name",
    [
        "BUURTBOT_DATABASE_URL",
        "BUURTBOT_NETWORK",
        "BUURTBOT_TELEGRAM_TOKEN",
        "BUURTBOT_SIGNAL_SERVICE",
        "BUURTBOT_WEB_PORT",
        "BUURTBOT_LOG_LEVEL",
        "BUURTBOT_SETTINGS",
    ],
)
@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_empty_or_blank_variable_counts_as_unset(name: str, blank: str) -> None:
    assert Settings.from_env({name: blank}) == Settings()


# --- every variable -------------------------------------------------------------------------


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "BUURTBOT_DATABASE_URL": DB_URL,
            "BUURTBOT_NETWORK": "networks/goor.toml",
            "BUURTBOT_TELEGRAM_TOKEN": TOKEN,
            "BUURTBOT_TELEGRAM_BASE_URL": "http://localhost:8081/bot",
            "BUURTBOT_SIGNAL_SERVICE": "signal-api:8080",
            "BUURTBOT_SIGNAL_NUMBER": "+31612345678",
            "BUURTBOT_WEB_HOST": "0.0.0.0",
            "BUURTBOT_WEB_PORT": "9090",
            "BUURTBOT_LOG_LEVEL": "DEBUG",
        }
    )

    assert settings == Settings(
        database_url=DB_URL,
        network=(Path("networks/goor.toml"),),
        telegram_token=TOKEN,
        telegram_base_url="http://localhost:8081/bot",
        signal_service="signal-api:8080",
        signal_number="+31612345678",
        web_host="0.0.0.0",
        web_port=9090,
        log_level="DEBUG",
    )


def test_values_are_stripped_of_surrounding_whitespace() -> None:
    settings = Settings.from_env(
        {"BUURTBOT_TELEGRAM_TOKEN": f"  {TOKEN}\n", "BUURTBOT_WEB_PORT": " 8443 "}
    )

    assert settings.telegram_token == TOKEN
    assert settings.web_port == 8443


@pytest.mark.parametrize("given", ["debug", "Warning", " error "])
def test_log_level_is_case_insensitive_and_upper_cased(given: str) -> None:
    settings = Settings.from_env({"BUURTBOT_LOG_LEVEL": given})

    assert settings.log_level == given.strip().upper()


@pytest.mark.parametrize("given", ["+31 6 1234 5678", "+31-6-12345678", "+31612345678"])
def test_signal_number_spaces_and_dashes_are_removed(given: str) -> None:
    settings = Settings.from_env({"BUURTBOT_SIGNAL_NUMBER": given})

    assert settings.signal_number == "+31612345678"


@pytest.mark.parametrize("port", ["1", "65535"])
def test_web_port_accepts_the_bounds(port: str) -> None:
    assert Settings.from_env({"BUURTBOT_WEB_PORT": port}).web_port == int(port)


# --- network paths ------------------------------------------------------------------------


def test_network_variable_is_split_on_the_path_separator() -> None:
    value = os.pathsep.join(["networks/", "extra/goor.toml", "/etc/buurtbot/hengelo.toml"])

    settings = Settings.from_env({"BUURTBOT_NETWORK": value})

    assert settings.network_paths == (
        Path("networks/"),
        Path("extra/goor.toml"),
        Path("/etc/buurtbot/hengelo.toml"),
    )


def test_network_variable_skips_empty_parts_between_separators() -> None:
    value = f"{os.pathsep}a.toml{os.pathsep}{os.pathsep} {os.pathsep}b.toml{os.pathsep}"

    settings = Settings.from_env({"BUURTBOT_NETWORK": value})

    assert settings.network_paths == (Path("a.toml"), Path("b.toml"))


def test_network_paths_from_the_environment_stay_relative_to_the_working_directory() -> None:
    settings = Settings.from_env({"BUURTBOT_NETWORK": "networks"})

    assert settings.network_paths == (Path("networks"),)
    assert not settings.network_paths[0].is_absolute()


def test_network_variable_of_only_separators_is_an_error_naming_the_variable() -> None:
    problems = problems_of({"BUURTBOT_NETWORK": os.pathsep * 3})

    assert len(problems) == 1
    assert "BUURTBOT_NETWORK" in problems[0]


# --- settings file ------------------------------------------------------------------------


def test_settings_file_supplies_every_setting(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path,
        f"""
        database_url = "{DB_URL}"
        network = ["/srv/networks"]
        telegram_token = "{TOKEN}"
        telegram_base_url = "https://telegram.example"
        signal_service = "localhost:8080"
        signal_number = "+31612345678"
        web_host = "::"
        web_port = 8000
        log_level = "warning"
        """,
    )

    settings = Settings.from_env({"BUURTBOT_SETTINGS": str(path)})

    assert settings == Settings(
        database_url=DB_URL,
        network=(Path("/srv/networks"),),
        telegram_token=TOKEN,
        telegram_base_url="https://telegram.example",
        signal_service="localhost:8080",
        signal_number="+31612345678",
        web_host="::",
        web_port=8000,
        log_level="WARNING",
    )


def test_environment_wins_over_the_settings_file(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path,
        'telegram_token = "from-file"\nweb_port = 8000\nlog_level = "DEBUG"\n',
    )

    settings = Settings.from_env(
        {"BUURTBOT_SETTINGS": str(path), "BUURTBOT_WEB_PORT": "9000", "BUURTBOT_LOG_LEVEL": "ERROR"}
    )

    assert settings.web_port == 9000
    assert settings.log_level == "ERROR"
    assert settings.telegram_token == "from-file"  # not overridden, so the file's value


def test_empty_variable_does_not_blank_the_settings_file_value(tmp_path: Path) -> None:
    path = write_settings(tmp_path, f'telegram_token = "{TOKEN}"\n')

    settings = Settings.from_env({"BUURTBOT_SETTINGS": str(path), "BUURTBOT_TELEGRAM_TOKEN": ""})

    assert settings.telegram_token == TOKEN


def test_environment_value_replaces_an_invalid_file_value_without_error(tmp_path: Path) -> None:
    path = write_settings(tmp_path, 'web_port = "not-a-port"\n')

    settings = Settings.from_env({"BUURTBOT_SETTINGS": str(path), "BUURTBOT_WEB_PORT": "8081"})

    assert settings.web_port == 8081


def test_relative_network_paths_in_the_file_are_relative_to_the_file(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    path = write_settings(conf, 'network = ["networks/", "../shared/goor.toml", "/abs/x.toml"]\n')

    settings = Settings.from_env({"BUURTBOT_SETTINGS": str(path)})

    assert settings.network_paths == (
        conf / "networks",
        conf / "../shared/goor.toml",
        Path("/abs/x.toml"),
    )


def test_network_in_the_file_may_be_a_single_string(tmp_path: Path) -> None:
    path = write_settings(tmp_path, 'network = "networks"\n')

    settings = Settings.from_env({"BUURTBOT_SETTINGS": str(path)})

    assert settings.network_paths == (tmp_path / "networks",)


def test_network_from_the_environment_is_not_rebased_on_the_settings_file(
    tmp_path: Path,
) -> None:
    path = write_settings(tmp_path, 'network = ["from-file"]\n')

    settings = Settings.from_env({"BUURTBOT_SETTINGS": str(path), "BUURTBOT_NETWORK": "from-env"})

    assert settings.network_paths == (Path("from-env"),)


def test_settings_file_name_is_stripped(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "web_port = 8123\n")

    settings = Settings.from_env({"BUURTBOT_SETTINGS": f"  {path}\n"})

    assert settings.web_port == 8123


def test_empty_settings_file_gives_defaults(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "")

    assert Settings.from_env({"BUURTBOT_SETTINGS": str(path)}) == Settings()


# --- invalid values -----------------------------------------------------------------------


@pytest.mark.parametrize("port", ["http", "80a", "-1", "8080.0", "²", "0x50", "1e3"])
def test_web_port_that_is_not_a_number_is_reported(port: str) -> None:
    problems = problems_of({"BUURTBOT_WEB_PORT": port})

    assert len(problems) == 1
    assert problems[0].startswith("BUURTBOT_WEB_PORT: ")
    assert "not a port number" in problems[0]


@pytest.mark.parametrize("port", ["0", "65536", "99999999999999999999"])
def test_web_port_out_of_range_is_reported(port: str) -> None:
    problems = problems_of({"BUURTBOT_WEB_PORT": port})

    assert problems == [f"BUURTBOT_WEB_PORT: {port!r} is not a port number (1-65535)"]


@pytest.mark.parametrize("toml", ["web_port = 0", "web_port = 70000", "web_port = true"])
def test_web_port_in_file_out_of_range_or_boolean_is_reported(tmp_path: Path, toml: str) -> None:
    path = write_settings(tmp_path, toml + "\n")

    problems = problems_of({"BUURTBOT_SETTINGS": str(path)})

    assert len(problems) == 1
    assert f"{path}: web_port" in problems[0]
    assert "not a port number" in problems[0]


@pytest.mark.parametrize("level", ["VERBOSE", "TRACE", "5", "info!"])
def test_unknown_log_level_is_reported(level: str) -> None:
    problems = problems_of({"BUURTBOT_LOG_LEVEL": level})

    assert len(problems) == 1
    assert problems[0].startswith("BUURTBOT_LOG_LEVEL: ")
    assert repr(level) in problems[0]
    assert "DEBUG" in problems[0]  # the valid choices are listed


@pytest.mark.parametrize(
    "service", ["http://signal:8080", "https://signal:8080", "tcp://signal:8080"]
)
def test_signal_service_with_a_scheme_is_reported(service: str) -> None:
    problems = problems_of({"BUURTBOT_SIGNAL_SERVICE": service})

    assert len(problems) == 1
    assert problems[0].startswith("BUURTBOT_SIGNAL_SERVICE: ")
    assert "host:port" in problems[0]


@pytest.mark.parametrize("number", ["0612345678", "+0612345678", "+316", "+31 6 abc 5678"])
def test_signal_number_not_in_international_format_is_reported(number: str) -> None:
    problems = problems_of({"BUURTBOT_SIGNAL_NUMBER": number})

    assert len(problems) == 1
    assert problems[0].startswith("BUURTBOT_SIGNAL_NUMBER: ")


@pytest.mark.parametrize("url", ["wijk.sqlite", "localhost/wijkdb", "wijk:geheim@host/wijkdb"])
def test_database_url_without_scheme_is_reported(url: str) -> None:
    problems = problems_of({"BUURTBOT_DATABASE_URL": url})

    assert len(problems) == 1
    assert problems[0].startswith("BUURTBOT_DATABASE_URL: ")
    assert url not in problems[0]  # the value may hold a password, so it is not echoed


@pytest.mark.parametrize("url", ["api.telegram.org", "ftp://telegram.example"])
def test_telegram_base_url_that_is_not_http_is_reported(url: str) -> None:
    problems = problems_of({"BUURTBOT_TELEGRAM_BASE_URL": url})

    assert len(problems) == 1
    assert problems[0].startswith("BUURTBOT_TELEGRAM_BASE_URL: ")


def test_missing_settings_file_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"

    problems = problems_of({"BUURTBOT_SETTINGS": str(missing)})

    assert problems == [f"BUURTBOT_SETTINGS={missing}: file not found"]


def test_settings_file_that_is_a_directory_is_reported_as_unreadable(tmp_path: Path) -> None:
    problems = problems_of({"BUURTBOT_SETTINGS": str(tmp_path)})

    assert len(problems) == 1
    assert problems[0].startswith(f"BUURTBOT_SETTINGS={tmp_path}: cannot read the file")


def test_settings_file_that_is_not_utf8_is_reported_as_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('web_host = "café"\n'.encode("latin-1"))

    problems = problems_of({"BUURTBOT_SETTINGS": str(path)})

    assert len(problems) == 1
    assert problems[0].startswith(f"BUURTBOT_SETTINGS={path}: cannot read the file")


@pytest.mark.parametrize(
    "text", ["web_port = ", "[unclosed", "web_port = 1\nweb_port = 2\n", "= 3", "x = 'a"]
)
def test_malformed_settings_file_is_reported_as_invalid_toml(tmp_path: Path, text: str) -> None:
    path = write_settings(tmp_path, text)

    problems = problems_of({"BUURTBOT_SETTINGS": str(path)})

    assert len(problems) == 1
    assert problems[0].startswith(f"BUURTBOT_SETTINGS={path}: invalid TOML")


def test_unknown_key_in_settings_file_is_rejected_with_a_suggestion(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "web_prot = 8080\n")

    problems = problems_of({"BUURTBOT_SETTINGS": str(path)})

    assert problems == [f'{path}: web_prot: unknown setting (did you mean "web_port"?)']


def test_unknown_key_without_a_close_match_is_rejected_without_suggestion(
    tmp_path: Path,
) -> None:
    path = write_settings(tmp_path, "[server]\nport = 8080\n")

    problems = problems_of({"BUURTBOT_SETTINGS": str(path)})

    assert problems == [f"{path}: server: unknown setting"]


def test_upper_case_prefixed_key_in_settings_file_is_unknown(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "BUURTBOT_WEB_PORT = 8080\n")

    problems = problems_of({"BUURTBOT_SETTINGS": str(path)})

    assert len(problems) == 1
    assert "BUURTBOT_WEB_PORT: unknown setting" in problems[0]


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("telegram_token = 12345", "telegram_token"),
        ('telegram_token = ""', "telegram_token"),
        ("web_host = ['a']", "web_host"),
        ("network = []", "network"),
        ("network = [1, 2]", "network"),
        ('network = ["ok", ""]', "network"),
        ("log_level = 10", "log_level"),
    ],
)
def test_wrongly_typed_file_value_is_reported_with_file_and_key(
    tmp_path: Path, toml: str, key: str
) -> None:
    path = write_settings(tmp_path, toml + "\n")

    problems = problems_of({"BUURTBOT_SETTINGS": str(path)})

    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: {key}: ")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write_settings(tmp_path, 'log_level = "LOUD"\nwebport = 1\n')

    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "BUURTBOT_SETTINGS": str(path),
                "BUURTBOT_WEB_PORT": "eighty",
                "BUURTBOT_SIGNAL_SERVICE": "http://signal:8080",
                "BUURTBOT_DATABASE_URL": "wijk.sqlite",
            }
        )

    problems = caught.value.problems
    assert len(problems) == 5
    for fragment in (
        "webport: unknown setting",
        f"{path}: log_level",
        "BUURTBOT_WEB_PORT",
        "BUURTBOT_SIGNAL_SERVICE",
        "BUURTBOT_DATABASE_URL",
    ):
        assert sum(fragment in p for p in problems) == 1, fragment
    message = str(caught.value)
    assert message.startswith("invalid settings:")
    assert all(p in message for p in problems)
    assert message.count("\n") == len(problems)


def test_settings_file_problem_and_environment_problem_are_reported_together(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "missing.toml"

    problems = problems_of({"BUURTBOT_SETTINGS": str(missing), "BUURTBOT_LOG_LEVEL": "LOUD"})

    assert len(problems) == 2
    assert any("file not found" in p for p in problems)
    assert any(p.startswith("BUURTBOT_LOG_LEVEL: ") for p in problems)


# --- secrets never shown ------------------------------------------------------------------


def test_repr_and_str_hide_the_token_and_the_database_password() -> None:
    settings = Settings.from_env(
        {"BUURTBOT_TELEGRAM_TOKEN": TOKEN, "BUURTBOT_DATABASE_URL": DB_URL}
    )

    for shown in (repr(settings), str(settings), f"{settings}", repr([settings])):
        assert TOKEN not in shown
        assert DB_PASSWORD not in shown
        assert "telegram_token='***'" in shown
        assert "postgresql+psycopg://buurtbot:***@db.example:5432/buurtbot" in shown


def test_repr_shows_the_non_secret_settings() -> None:
    settings = Settings(web_host="0.0.0.0", web_port=9000, signal_service="signal:8080")

    shown = repr(settings)

    assert shown.startswith("Settings(")
    assert "web_host='0.0.0.0'" in shown
    assert "web_port=9000" in shown
    assert "signal_service='signal:8080'" in shown
    assert "telegram_token=None" in shown  # no token: nothing to mask, and None says so


@pytest.mark.parametrize("password", ["pa#ss", "pa/ss", "pa?ss", "p@ss", "p:ss"])
def test_repr_hides_a_database_password_with_special_characters(password: str) -> None:
    settings = Settings(database_url=f"postgresql+psycopg://buurtbot:{password}@db/buurtbot")

    assert password not in repr(settings)
    assert password not in str(settings)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:secret@h/db", "postgresql://u:***@h/db"),
        (
            "postgresql://u:secret@h:5432/db?sslmode=require",
            "postgresql://u:***@h:5432/db?sslmode=require",
        ),
        ("postgresql://:secret@h/db", "postgresql://:***@h/db"),
        ("postgresql://u:@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:pa#ss@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:pa/ss@h/db", "postgresql://u:***@h/db"),
        ("sqlite:///buurtbot.db", "sqlite:///buurtbot.db"),
        ("sqlite:////var/lib/buurtbot/buurtbot.db", "sqlite:////var/lib/buurtbot/buurtbot.db"),
        ("postgresql+psycopg://buurtbot@db/buurtbot", "postgresql+psycopg://buurtbot@db/buurtbot"),
        ("postgresql://h:5432/db", "postgresql://h:5432/db"),
        ("postgresql://u@h:5432/db", "postgresql://u@h:5432/db"),
    ],
)
def test_redact_url_masks_only_the_password(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_of_an_unparseable_url_hides_everything() -> None:
    assert redact_url(f"postgresql://u:{DB_PASSWORD}@[::1/db") == "***"


def test_settings_error_does_not_echo_a_token_given_in_the_wrong_type(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "telegram_token = 123456789\n")

    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"BUURTBOT_SETTINGS": str(path)})

    assert "123456789" not in str(caught.value)


# --- Telegram modes -------------------------------------------------------------------------


def test_telegram_webhook_settings_are_read_and_the_secret_is_masked() -> None:
    settings = Settings.from_env(
        {
            "BUURTBOT_TELEGRAM_TOKEN": TOKEN,
            "BUURTBOT_TELEGRAM_MODE": "Webhook",
            "BUURTBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/hook",
            "BUURTBOT_TELEGRAM_WEBHOOK_LISTEN": "0.0.0.0:8443",
            "BUURTBOT_TELEGRAM_WEBHOOK_SECRET": "s3cr3t_web-hook",
        }
    )
    assert settings.telegram_mode == "webhook"
    assert settings.telegram_listen == ("0.0.0.0", 8443)
    assert "s3cr3t_web-hook" not in repr(settings)
    assert TOKEN not in repr(settings)


def test_telegram_defaults_to_polling_and_a_local_webhook_address() -> None:
    settings = Settings.from_env({})
    assert settings.telegram_mode == "polling"
    assert settings.telegram_listen == ("127.0.0.1", 8443)
    assert Settings.from_env({"BUURTBOT_TELEGRAM_WEBHOOK_LISTEN": "[::1]:0"}).telegram_listen == (
        "::1",
        0,
    )


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("BUURTBOT_TELEGRAM_MODE", "push", "neither polling nor webhook"),
        ("BUURTBOT_TELEGRAM_WEBHOOK_URL", "http://bot.example.org/hook", "https://"),
        ("BUURTBOT_TELEGRAM_WEBHOOK_LISTEN", "8443", "host:port"),
        ("BUURTBOT_TELEGRAM_WEBHOOK_LISTEN", "localhost:99999", "host:port"),
        ("BUURTBOT_TELEGRAM_WEBHOOK_SECRET", "with space", "A-Z, a-z"),
        ("BUURTBOT_TELEGRAM_WEBHOOK_SECRET", "x" * 257, "A-Z, a-z"),
    ],
)
def test_wrong_telegram_settings_are_reported(name: str, value: str, complaint: str) -> None:
    [problem] = problems_of({name: value})
    assert name in problem
    assert complaint in problem
    assert value not in problem or "SECRET" not in name


def test_webhook_mode_needs_the_public_address() -> None:
    [problem] = problems_of({"BUURTBOT_TELEGRAM_MODE": "webhook"})
    assert "BUURTBOT_TELEGRAM_WEBHOOK_URL" in problem


# --- Signal ---------------------------------------------------------------------------------


def test_signal_authentication_and_rate_are_read_and_secrets_masked() -> None:
    settings = Settings.from_env(
        {
            "BUURTBOT_SIGNAL_SERVICE": "signal-api:8080",
            "BUURTBOT_SIGNAL_NUMBER": "+31 6 1234 5678",
            "BUURTBOT_SIGNAL_USERNAME": "buurtbot",
            "BUURTBOT_SIGNAL_PASSWORD": "pw-signal-secret",
            "BUURTBOT_SIGNAL_TOKEN": "tok-signal-secret",
            "BUURTBOT_SIGNAL_RATE": "0.5",
        }
    )
    assert settings.signal_number == "+31612345678"
    assert settings.signal_rate == 0.5
    assert "pw-signal-secret" not in repr(settings)
    assert "tok-signal-secret" not in repr(settings)
    assert Settings.from_env({}).signal_rate == 1.0


@pytest.mark.parametrize("rate", ["0", "fast", "1000", "-1"])
def test_a_signal_rate_that_is_no_rate_is_reported(rate: str) -> None:
    [problem] = problems_of({"BUURTBOT_SIGNAL_RATE": rate})
    assert "BUURTBOT_SIGNAL_RATE" in problem


def test_a_signal_username_needs_a_password() -> None:
    [problem] = problems_of({"BUURTBOT_SIGNAL_USERNAME": "buurtbot"})
    assert "BUURTBOT_SIGNAL_PASSWORD" in problem
