"""Process settings: where the database is, which network files to load, platform credentials.

They come from environment variables named ``BUURTBOT_<NAME>``, optionally on top of a TOML
settings file named by ``BUURTBOT_SETTINGS`` whose keys are the same names in lower case::

    # buurtbot.toml
    database_url = "postgresql+psycopg://buurtbot@db/buurtbot"
    network = ["networks/"]          # a string or an array; relative to this file
    telegram_token = "123:abc"
    web_port = 8080

Environment variables win over the file; an empty variable counts as unset (so a compose
file may pass ``BUURTBOT_TELEGRAM_TOKEN=`` without blanking the file's token).
Every problem is reported at once in one :class:`SettingsError`; secrets never appear in
``repr`` (logs and tracebacks show settings objects).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["ENV_PREFIX", "Settings", "SettingsError", "redact_url"]

ENV_PREFIX = "BUURTBOT_"
SETTINGS_FILE_VARIABLE = f"{ENV_PREFIX}SETTINGS"
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_MASKED = "***"
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# SQLAlchemy's own grammar for ``user:password@``: it accepts unencoded ``/ ? #`` in passwords.
_SQLALCHEMY_USERINFO = re.compile(r"^([\w+]+://[^:/]*):[^@]*@")


class SettingsError(Exception):
    """The settings cannot be used; ``problems`` has one line per wrong value."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings:\n  " + "\n  ".join(problems))


def redact_url(url: str) -> str:
    """``postgresql://u:secret@h/db`` → ``postgresql://u:***@h/db``; other URLs unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if parts.password is None:
        return _SQLALCHEMY_USERINFO.sub(r"\1:***@", url, count=1)
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """Everything the process needs to start. ``network`` is ``None`` when not configured:
    the command line then decides what to load."""

    database_url: str = "sqlite:///buurtbot.db"
    network: tuple[Path, ...] | None = None
    telegram_token: str | None = None
    telegram_base_url: str | None = None
    telegram_mode: str = "polling"
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "127.0.0.1:8443"
    telegram_webhook_secret: str | None = None
    signal_service: str | None = None
    signal_number: str | None = None
    #: Basic (username + password) or bearer (token) authentication at signal-cli-rest-api.
    signal_username: str | None = None
    signal_password: str | None = None
    signal_token: str | None = None
    #: Messages per second to Signal, all chats together; Signal publishes no limit.
    signal_rate: float = 1.0
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    #: The address people open the web pages at (behind a proxy: its https:// address).
    #: Sign-in links of the dashboard use it; without it, http://web_host:web_port.
    web_public_url: str | None = None
    log_level: str = "INFO"

    @property
    def network_paths(self) -> tuple[Path, ...]:
        """The configured network files and directories; empty when none are."""
        return self.network or ()

    def __repr__(self) -> str:
        shown: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["database_url"] = redact_url(self.database_url)
        for secret in (
            "telegram_token",
            "telegram_webhook_secret",
            "signal_password",
            "signal_token",
        ):
            if shown[secret] is not None:
                shown[secret] = _MASKED
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read the settings file (if ``BUURTBOT_SETTINGS`` names one), then the variables."""
        problems: list[str] = []
        raw: dict[str, tuple[object, str, Path | None]] = {}  # name -> (value, origin, base dir)
        names = [f.name for f in fields(cls)]
        file_name = environ.get(SETTINGS_FILE_VARIABLE, "").strip()
        if file_name:
            raw.update(_read_file(Path(file_name), names, problems))
        for name in names:
            text = environ.get(ENV_PREFIX + name.upper(), "").strip()
            if text:
                raw[name] = (text, ENV_PREFIX + name.upper(), None)
        values: dict[str, Any] = {}
        for name, (value, origin, base) in raw.items():
            converted = _convert(name, value, origin, base, problems)
            if converted is not None:
                values[name] = converted
        if values.get("telegram_mode") == "webhook" and not values.get("telegram_webhook_url"):
            problems.append(
                f"{ENV_PREFIX}TELEGRAM_MODE=webhook needs {ENV_PREFIX}TELEGRAM_WEBHOOK_URL, "
                "the public https:// address Telegram posts updates to"
            )
        if values.get("signal_username") and not values.get("signal_password"):
            problems.append(
                f"{ENV_PREFIX}SIGNAL_USERNAME needs {ENV_PREFIX}SIGNAL_PASSWORD "
                "(basic authentication)"
            )
        if problems:
            raise SettingsError(problems)
        return cls(**values)

    @property
    def web_url(self) -> str:
        """Where people reach the web pages: the public address, else the listening one."""
        if self.web_public_url:
            return self.web_public_url
        wildcard = self.web_host in ("0.0.0.0", "::", "")  # noqa: S104 - only compared
        host = "127.0.0.1" if wildcard else self.web_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.web_port}"

    @property
    def telegram_listen(self) -> tuple[str, int]:
        """Where the webhook listens, from ``telegram_webhook_listen`` (checked on reading)."""
        host, _, port = self.telegram_webhook_listen.rpartition(":")
        return host.strip("[]"), int(port)


def _read_file(
    path: Path, names: list[str], problems: list[str]
) -> dict[str, tuple[object, str, Path | None]]:
    origin = f"{SETTINGS_FILE_VARIABLE}={path}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{origin}: file not found")
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{origin}: cannot read the file: {exc}")
        return {}
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{origin}: invalid TOML: {exc}")
        return {}
    out: dict[str, tuple[object, str, Path | None]] = {}
    for key, value in data.items():
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            problems.append(f"{path}: {key}: unknown setting{hint}")
            continue
        out[key] = (value, f"{path}: {key}", path.parent)
    return out


def _convert(
    name: str, value: object, origin: str, base: Path | None, problems: list[str]
) -> object | None:
    """The typed value of one setting, or ``None`` after reporting what is wrong with it."""
    if name == "web_port":
        port: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            port = value
        elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            port = int(value.strip())
        if port is None or not 1 <= port <= 65535:
            problems.append(f"{origin}: {value!r} is not a port number (1-65535)")
            return None
        return port
    if name == "signal_rate":
        rate: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            rate = float(value)
        elif isinstance(value, str):
            try:
                rate = float(value.strip())
            except ValueError:
                rate = None
        if rate is None or not 0.01 <= rate <= 100:
            problems.append(f"{origin}: {value!r} is not a rate in messages per second (0.01-100)")
            return None
        return rate
    if name == "network":
        items: list[object] = value if isinstance(value, list) else [value]
        if isinstance(value, str):
            items = [part for part in value.split(os.pathsep) if part.strip()]
        if not items or not all(isinstance(i, str) and i.strip() for i in items):
            problems.append(f"{origin}: expected one or more paths of network files or directories")
            return None
        paths = [Path(str(i).strip()) for i in items]
        return tuple(base / p if base is not None and not p.is_absolute() else p for p in paths)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{origin}: expected a non-empty string")
        return None
    text = value.strip()
    if name == "log_level":
        if text.upper() not in LOG_LEVELS:
            problems.append(f"{origin}: {text!r} is not a log level ({', '.join(LOG_LEVELS)})")
            return None
        return text.upper()
    if name == "database_url" and not _URL_SCHEME.match(text):
        problems.append(
            f"{origin}: not a database URL (e.g. sqlite:///buurtbot.db or "
            "postgresql+psycopg://user@host/db)"
        )
        return None
    if name == "telegram_mode" and text.lower() not in ("polling", "webhook"):
        problems.append(f"{origin}: {text!r} is neither polling nor webhook")
        return None
    if name == "telegram_mode":
        return text.lower()
    if name == "telegram_webhook_listen":
        host, _, digits = text.rpartition(":")
        if not host or not digits.isascii() or not digits.isdigit() or int(digits) > 65535:
            problems.append(f"{origin}: expected host:port, e.g. 127.0.0.1:8443")
            return None
        return text
    if name == "telegram_webhook_secret" and not _WEBHOOK_SECRET.match(text):
        problems.append(f"{origin}: use 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return None
    if name == "telegram_webhook_url" and not text.startswith("https://"):
        problems.append(f"{origin}: Telegram posts only to https:// addresses")
        return None
    if name == "web_public_url":
        if not text.startswith(("http://", "https://")) or any(c.isspace() for c in text):
            problems.append(f"{origin}: expected an http:// or https:// address")
            return None
        return text.rstrip("/")
    if name == "telegram_base_url" and not text.startswith(("http://", "https://")):
        problems.append(f"{origin}: expected an http:// or https:// URL")
        return None
    if name == "signal_service" and _URL_SCHEME.match(text):
        problems.append(
            f"{origin}: give the signal-cli-rest-api address as host:port, without a scheme"
        )
        return None
    if name == "signal_number":
        number = re.sub(r"[\s-]", "", text)
        if not _E164.match(number):
            problems.append(
                f"{origin}: not a phone number in international format (e.g. +31612345678)"
            )
            return None
        return number
    return text
