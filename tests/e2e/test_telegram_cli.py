"""``buurtbot run`` with Telegram settings that cannot work: a clear message, exit code 1,
and the token nowhere in what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_telegram_crash import ROOT, StandInProcess, _free_port


def run(tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buurtbot", "run"],
        cwd=tmp,
        env=os.environ | {"PYTHONPATH": str(ROOT), "BUURTBOT_WEB_PORT": str(_free_port())} | env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_rejected_token_stops_the_bot_with_a_clear_message(tmp_path: Path) -> None:
    standin = StandInProcess(tmp_path)
    try:
        done = run(
            tmp_path,
            BUURTBOT_TELEGRAM_TOKEN="999:secret-wrong-token",
            BUURTBOT_TELEGRAM_BASE_URL=f"http://127.0.0.1:{standin.port}/bot",
        )
    finally:
        standin.stop()
    assert done.returncode == 1
    assert "Telegram rejected the bot token" in done.stderr
    assert "secret-wrong-token" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_webhook_mode_without_an_address_is_a_settings_error(tmp_path: Path) -> None:
    done = run(tmp_path, BUURTBOT_TELEGRAM_TOKEN="1:x", BUURTBOT_TELEGRAM_MODE="webhook")
    assert done.returncode != 0
    assert "BUURTBOT_TELEGRAM_WEBHOOK_URL" in done.stderr
    assert "Traceback" not in done.stderr
