"""The sign-up form in a real browser against the real ``buurtbot run``, then the console.

A resident signs up on the web page (headless Chromium through Playwright); the eigenaar,
driven through the console on the process's stdin, sees the sign-up, admits it and gets
the invite to pass on; the resident redeems it as a new console person.

Needs Debian's ``chromium`` and the ``playwright`` package (whose driver ships in the
wheel; no browser download). Without them the tests skip, except under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hof-van-twente.toml"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _require_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    elif importlib.util.find_spec("playwright") is None:
        problem = "the playwright package is missing (pip install -e '.[test]')"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)


class Bot:
    """``buurtbot run`` in a subprocess: type console lines, wait for what it prints."""

    def __init__(self, tmp_path: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BUURTBOT_")} | {
            "BUURTBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "BUURTBOT_WEB_PORT": str(self.port),
            "PYTHONUTF8": "1",
        }
        self._stderr_path = tmp_path / "stderr.txt"
        self._stderr = self._stderr_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "buurtbot", "run", "--network", str(EXAMPLE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=tmp_path,
            env=env,
        )
        self.output: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = f"http://127.0.0.1:{self.port}"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"buurtbot run ended early:\n{self.stop()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.2)
        pytest.fail("the web form did not come up")

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first match of ``pattern`` in what was printed so far or arrives in time."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, "".join(self.output))
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no {pattern!r} in the console output:\n{''.join(self.output)}")
            with contextlib.suppress(queue.Empty):
                self.output.append(self._lines.get(timeout=min(remaining, 0.5)))

    def stop(self) -> str:
        """End the console (EOF), wait for the process; its stderr. Safe to call twice."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        while not self._lines.empty():
            self.output.append(self._lines.get())
        return self._stderr_path.read_text(encoding="utf-8")


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    _require_browser()
    running = Bot(tmp_path)
    try:
        running.wait_until_serving()
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def fill_in(page: Page) -> None:
    page.fill("#name", "Ria Bakker <b>")
    page.fill("#postcode", "7471 ab")
    page.fill("#house_number", "12")
    page.check("#contact-phone")
    page.fill("#phone", "06-12345678")
    page.check("#adult")
    page.check("#lives_here")
    page.check("#rules")


def test_sign_up_on_the_web_then_admit_and_redeem_on_the_console(
    bot: Bot, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{bot.url}/aanmelden?lang=nl")
    assert page.get_attribute("html", "lang") == "nl"
    assert "Spelregels van buurtpreventie Hof van Twente" in page.inner_text("main")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "aanmelden-desktop.png"), full_page=True)
    fill_in(page)
    page.click("button[type=submit]")
    page.wait_for_url("**/aanmelden/bedankt?lang=nl")
    assert page.get_attribute("html", "lang") == "nl"
    assert page.inner_text("h1")
    page.close()

    bot.type("/as anna")
    bot.type("/pending")
    number = bot.expect(r"([A-Z0-9]{6}) · Ria Bakker &?<?b?>?").group(1)
    bot.type(f"/admit {number}")
    token = bot.expect(r"(?:/start|START) ([A-Za-z0-9_-]{16,64})").group(1)
    bot.type("/as newperson")
    bot.type(f"/start {token}")
    bot.type("1")
    bot.type("1")
    bot.expect(r"Buurtpreventie Goor Centrum")
    stderr = bot.stop()
    assert bot.process.returncode == 0, stderr
    assert "Traceback" not in stderr
    transcript = "".join(bot.output)
    # The regiegroep heard of the sign-up, without the phone number.
    [regie] = [line for line in transcript.splitlines() if f"{number}: Ria Bakker" in line]
    assert "612345678" not in regie


@pytest.mark.parametrize(
    ("lang", "name_error"), [("nl", "Vul je naam in."), ("en", "Please give your name.")]
)
def test_an_empty_form_explains_itself(
    bot: Bot, browser: Browser, lang: str, name_error: str
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{bot.url}/aanmelden?lang={lang}")
    if lang == "nl":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "aanmelden-phone.png"), full_page=True)
    page.click("button[type=submit]")
    assert page.inner_text("#name-error") == name_error
    described = page.get_attribute("#name", "aria-describedby") or ""
    assert "name-error" in described.split()
    assert page.get_attribute("html", "lang") == lang
    page.close()
