"""Kill -9 during a fan-out on Telegram: nothing lost, few repeats, Telegram's limits kept.

Two processes: the stand-in Bot API server (``python -m tests.standins.telegram_api``), which
counts every delivery and every rate-limit violation, and ``buurtbot run`` itself with a
Telegram token, on a gemeente of 200 buurtgroepen whose escalation rule reaches all of them.
An eigenaar escalates a message; while the copies go out, the bot is SIGKILLed at random
moments and started again. In the end every one of the 200 targets has the copy, a kill
repeats at most what was in flight, and no limit was broken.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fanout_network import EIGENAAR_BASE, chat_id, fanout_network

ROOT = Path(__file__).resolve().parents[2]
GROUPS = 200  # buurtgroepen; the escalation from the first reaches 199 of them + the regiegroep
TARGETS = {chat_id(n) for n in range(2, GROUPS + 2)}
KILLS = 3
MARKER = "Donkere bestelbus zonder kenteken"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StandInProcess:
    def __init__(self, tmp: Path) -> None:
        port_file = tmp / "standin.port"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.standins.telegram_api", "--port-file", str(port_file),
             "--chats", str(GROUPS + 1)],
            cwd=ROOT,
            env=os.environ | {"PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not port_file.exists():
            assert self.proc.poll() is None, "the stand-in did not start"
            assert time.monotonic() < deadline, "the stand-in did not start in time"
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_control/state") as r:
            return dict(json.load(r))

    def push(self, update: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/_control/push",
            data=json.dumps(update).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as r:
            assert r.status == 200

    def copies(self) -> Counter[int]:
        """How often each chat received the escalated copy."""
        return Counter(
            m["chat_id"] for m in self.state()["sent"] if MARKER in m["text"] and
            m["chat_id"] in TARGETS
        )  # fmt: skip

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[StandInProcess]:
    process = StandInProcess(tmp_path)
    try:
        yield process
    finally:
        process.stop()


def start_bot(tmp: Path, standin: StandInProcess, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "PYTHONPATH": str(ROOT),
        "BUURTBOT_DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
        "BUURTBOT_NETWORK": str(tmp / "fanout.toml"),
        "BUURTBOT_TELEGRAM_TOKEN": "123456:TEST",
        "BUURTBOT_TELEGRAM_BASE_URL": f"http://127.0.0.1:{standin.port}/bot",
        "BUURTBOT_WEB_PORT": str(_free_port()),
        "BUURTBOT_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "buurtbot", "run"],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )


def escalation_updates() -> list[dict[str, Any]]:
    """A resident's message in buurtgroep 1, and its eigenaar replying ``/escalate``."""
    chat = {"id": chat_id(1), "type": "supergroup", "title": "Buurtgroep 1"}
    resident = {"id": 77_001, "is_bot": False, "first_name": "Bewoner"}
    eigenaar = {"id": EIGENAAR_BASE + 1, "is_bot": False, "first_name": "Eigenaar"}
    message = {"message_id": 1, "date": int(time.time()), "chat": chat, "from": resident,
               "text": f"{MARKER} rijdt al een uur rondjes door de straat."}  # fmt: skip
    command = {
        "message_id": 2,
        "date": int(time.time()),
        "chat": chat,
        "from": eigenaar,
        "text": "/escalate",
        "entities": [{"type": "bot_command", "offset": 0, "length": 9}],
        "reply_to_message": message,
    }
    return [{"update_id": 1, "message": message}, {"update_id": 2, "message": command}]


def wait_for(condition: Any, timeout: float, what: str, bot: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert bot.poll() is None, f"the bot exited ({bot.returncode}) waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_kill_9_during_a_fan_out_loses_nothing(tmp_path: Path, standin: StandInProcess) -> None:
    (tmp_path / "fanout.toml").write_text(fanout_network(GROUPS), encoding="utf-8")
    log = tmp_path / "bot.log"
    rng = random.Random()
    for update in escalation_updates():
        standin.push(update)
    bot = start_bot(tmp_path, standin, log)
    kills = 0
    try:
        while kills < KILLS:
            seen = sum(standin.copies().values())
            if seen >= len(TARGETS) - 20:
                break  # too close to the end to kill mid-delivery
            step = rng.randint(5, 45)
            wait_for(lambda s=seen, n=step: sum(standin.copies().values()) >= s + n, 60,
                     "copies to go out", bot)  # fmt: skip
            bot.send_signal(signal.SIGKILL)
            bot.wait(10)
            kills += 1
            bot = start_bot(tmp_path, standin, log)
        wait_for(lambda: set(standin.copies()) >= TARGETS, 120, "every target", bot)
        time.sleep(1.5)  # anything still in flight would show up now
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(30)
        except subprocess.TimeoutExpired:
            bot.kill()
    copies = standin.copies()
    state = standin.state()
    print(f"kills={kills} copies={sum(copies.values())} violations={state['violations']}")
    assert kills >= 1, "the fan-out ended before the bot could be killed once"
    assert set(copies) == TARGETS
    assert sum(copies.values()) - len(TARGETS) <= kills, copies.most_common(5)
    assert state["violations"] == 0
    assert bot.returncode == 0, log.read_text(errors="replace")[-3000:]
