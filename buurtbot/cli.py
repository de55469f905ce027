"""The ``buurtbot`` command: init, run, demo, network check/show, db upgrade.

Errors are reported in words with a non-zero exit code, never as a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from buurtbot import __version__
from buurtbot.core.ports import PlatformUnavailable

if TYPE_CHECKING:
    from buurtbot.config.settings import Settings
    from buurtbot.core.domain.model import Locale

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A problem to report to the person at the terminal, in their words."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"buurtbot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="buurtbot",
        description="Run a gemeente's buurtpreventie network on Telegram, Signal or the console.",
    )
    parser.add_argument("--version", action="version", version=f"buurtbot {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")

    def network_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--network",
            action="append",
            type=Path,
            metavar="FILE",
            help="network file or folder of them (repeatable; default: $BUURTBOT_NETWORK)",
        )

    p = sub.add_parser("init", help="create or migrate the database and load the network")
    network_option(p)
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("run", help="run the bot (the console when no platform is configured)")
    network_option(p)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("demo", help="play a scripted scenario on a throwaway database")
    p.add_argument("--locale", choices=["nl", "en"], default="nl", help="language of the scene")
    p.set_defaults(func=_cmd_demo)

    net = sub.add_parser("network", help="check or show network files")
    net_sub = net.add_subparsers(metavar="ACTION")
    p = net_sub.add_parser("check", help="validate network files and report every problem")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(func=_cmd_network_check)
    p = net_sub.add_parser(
        "show", help="print gemeente → kernen → buurten → groups with their beheerders"
    )
    p.add_argument(
        "files", nargs="*", type=Path, metavar="FILE", help="show files instead of the database"
    )
    p.set_defaults(func=_cmd_network_show)
    net.set_defaults(func=_usage(net))

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(metavar="ACTION")
    p = db_sub.add_parser("upgrade", help="migrate the database to the newest schema")
    p.set_defaults(func=_cmd_db_upgrade)
    db.set_defaults(func=_usage(db))
    return parser


# -- helpers ---------------------------------------------------------------------------------
def _usage(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """For a command group called without its action: show what the actions are."""

    def show(_args: argparse.Namespace) -> int:
        parser.print_help()
        return EXIT_USAGE

    return show


def _settings() -> Settings:
    from buurtbot.config.settings import Settings, SettingsError

    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise CliError(str(exc)) from exc


def _network_paths(args: argparse.Namespace, settings: Settings) -> list[Path]:
    if getattr(args, "network", None):
        return list(args.network)
    return list(settings.network_paths)


def _configure_logging(level: str) -> None:
    numeric = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(
        level=numeric,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Migrations narrate every step at INFO, httpx logs every Bot API request and APScheduler
    # every job it adds: noise unless someone asks for DEBUG.
    for chatty in ("alembic", "httpx", "apscheduler"):
        logging.getLogger(chatty).setLevel(max(numeric, logging.WARNING))


def _prepare(
    database_url: str, paths: Sequence[Path], *, default_locale: Locale | None = None
) -> list[str]:
    from sqlalchemy.exc import SQLAlchemyError

    from buurtbot.bootstrap import prepare_database
    from buurtbot.config.network_file import NetworkFileError
    from buurtbot.core.services.network_sync import NetworkSyncError

    try:
        return [
            str(r) for r in prepare_database(database_url, paths, default_locale=default_locale)
        ]
    except NetworkFileError as exc:
        raise CliError("the network file has problems:\n" + str(exc)) from exc
    except NetworkSyncError as exc:
        raise CliError(str(exc)) from exc
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise CliError(
            f"the database at {_safe_url(database_url)} cannot be used: {first_line}"
        ) from exc


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(invalid database URL)"


# -- commands --------------------------------------------------------------------------------
def _cmd_init(args: argparse.Namespace) -> int:
    settings = _settings()
    _configure_logging(settings.log_level)
    paths = _network_paths(args, settings)
    for line in _prepare(settings.database_url, paths):
        print(line)
    if not paths:
        print("database ready; no network file given (use --network FILE or BUURTBOT_NETWORK)")
    return EXIT_OK


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = _settings()
    _configure_logging(settings.log_level)
    _prepare(settings.database_url, ())
    print(f"database {_safe_url(settings.database_url)} is at the newest schema")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from buurtbot.bootstrap import build_app

    settings = _settings()
    _configure_logging(settings.log_level)
    for line in _prepare(settings.database_url, _network_paths(args, settings)):
        print(line, file=sys.stderr)
    interactive = sys.stdin.isatty()
    app = build_app(settings, stdin=sys.stdin, stdout=sys.stdout, interactive=interactive, web=True)
    try:
        if interactive:
            print(
                "buurtbot console — /console for help, /people and /groups to look around, "
                "/as <person> <group> to start."
            )
        asyncio.run(app.run())
    except PlatformUnavailable as exc:
        raise CliError(f"cannot start: {exc}") from None
    finally:
        app.close()
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from buurtbot.bootstrap import build_app, example_network_path
    from buurtbot.core.domain.model import Locale
    from buurtbot.demo import script

    example = example_network_path()
    if example is None:
        raise CliError("the example network (examples/hof-van-twente.toml) is not installed")
    settings = _settings()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="buurtbot-demo-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        _prepare(url, [example], default_locale=Locale(args.locale))
        app = build_app(
            replace(settings, database_url=url),
            stdin=io.StringIO(script(Locale(args.locale))),
            stdout=sys.stdout,
            web=True,
        )
        if sys.stdin.isatty():
            # Someone watching: keep the demo's dashboard up for the link it just printed.
            app.linger = (
                f"The dashboard of this demo is at {settings.web_url}/dashboard "
                "(open the sign-in link above). Press Ctrl+C to end the demo."
            )
        try:
            asyncio.run(app.run())
        finally:
            app.close()
    return EXIT_OK


def _cmd_network_check(args: argparse.Namespace) -> int:
    from buurtbot.config.network_file import NetworkFileError, load_network_files

    try:
        specs = load_network_files(list(args.files))
    except NetworkFileError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED
    for spec in specs:
        net = spec.network
        print(
            f"OK {net.gemeente.name} ({net.gemeente.id}): {len(net.kernen)} kernen, "
            f"{len(net.buurten)} buurten, {len(net.groups)} groups, {len(spec.persons)} persons"
        )
    return EXIT_OK


def _cmd_network_show(args: argparse.Namespace) -> int:
    from buurtbot.core.services.queries import network_tree

    if args.files:
        return _show_files(list(args.files))
    settings = _settings()
    from buurtbot.adapters.sql.engine import make_engine
    from buurtbot.adapters.sql.migrate import current_revision
    from buurtbot.adapters.sql.uow import SqlUnitOfWork, make_session_factory

    engine = make_engine(settings.database_url)
    try:
        if current_revision(engine) is None:
            raise CliError(
                f"the database {_safe_url(settings.database_url)} is empty; "
                "run 'buurtbot init --network FILE' first"
            )
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            lines = network_tree(uow)
    finally:
        engine.dispose()
    print("\n".join(lines) if lines else "no network loaded; run 'buurtbot init --network FILE'")
    return EXIT_OK


def _show_files(paths: list[Path]) -> int:
    from buurtbot.config.network_file import NetworkFileError, load_network_files
    from buurtbot.core.services.queries import spec_tree

    try:
        specs = load_network_files(paths)
    except NetworkFileError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED
    print("\n".join(line for spec in specs for line in spec_tree(spec)))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:] if len(sys.argv) > 1 else None))
