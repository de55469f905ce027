"""The real command line, end to end: scripted stdin in, the labelled transcript out."""

from __future__ import annotations

import os
import pty
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hof-van-twente.toml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def buurtbot(
    *args: str, tmp_path: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BUURTBOT_")} | {
        "BUURTBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "BUURTBOT_WEB_PORT": str(free_port()),  # `run` serves the sign-up form too
        "PYTHONUTF8": "1",
    }
    environment |= env or {}
    return subprocess.run(
        [sys.executable, "-m", "buurtbot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )


def bot_lines(output: str, chat: str) -> list[str]:
    """What the bot sent into ``chat``, one entry per message (continuation lines joined)."""
    messages: list[str] = []
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith("#") or line.startswith("("):
            if current is not None:
                messages.append("\n".join(current))
            is_bot = line.startswith("#") and f"[{chat}] bot" in line
            current = [line.split(": ", 1)[1]] if is_bot else None
        elif current is not None:
            current.append(line)
    if current is not None:
        messages.append("\n".join(current))
    return messages


SCENE = """\
/as eva goor-centrum
/language en
/rules
/as daan goor-centrum
/rules
/as stranger goor-centrum
/escalate
/quit
"""


def test_each_person_gets_the_rules_in_their_own_language(tmp_path: Path) -> None:
    result = buurtbot("run", "--network", str(EXAMPLE), tmp_path=tmp_path, stdin=SCENE)
    assert result.returncode == 0, result.stderr
    group = "Buurtpreventie Goor Centrum · telegram"
    sent = bot_lines(result.stdout, group)
    assert sent[0] == "From now on I will write to you in English."
    assert sent[1].startswith("House rules of buurtpreventie Hof van Twente")
    assert sent[2].startswith("Spelregels van buurtpreventie Hof van Twente")
    assert sent[3].startswith("Ik ken je nog niet, dus /escalate kan ik niet voor je doen.")
    assert "Traceback" not in result.stderr


def test_language_choice_survives_a_restart(tmp_path: Path) -> None:
    first = buurtbot(
        "run", "--network", str(EXAMPLE), tmp_path=tmp_path,
        stdin="/as eva goor-centrum\n/taal en\n",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    second = buurtbot(
        "run", "--network", str(EXAMPLE), tmp_path=tmp_path,
        stdin="/as eva\n/regels\n",
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    [rules] = bot_lines(second.stdout, "private · Eva Nijhuis")
    assert rules.startswith("House rules")


def test_console_lines_before_choosing_a_person_are_explained(tmp_path: Path) -> None:
    result = buurtbot("run", "--network", str(EXAMPLE), tmp_path=tmp_path, stdin="/regels\n/as\n")
    assert result.returncode == 0
    assert "(choose who you are first" in result.stdout
    assert "(usage: /as <person> [<group>]" in result.stdout


def test_odd_input_does_not_break_the_console(tmp_path: Path) -> None:
    scene = (
        "/as daan goor-centrum\n"
        + "x" * 20_000 + "\n"
        + "/regels@buurtbot \u202e\u0000 extra args\n"
        + ">999 /taal\n"
        + "/as daan no-such-group\n"
        + "<b>hallo</b> & 🚓\n"
        + "/wiebenik\n"
    )  # fmt: skip
    result = buurtbot("run", "--network", str(EXAMPLE), tmp_path=tmp_path, stdin=scene)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "(no group 'no-such-group'" in result.stdout
    sent = bot_lines(result.stdout, "Buurtpreventie Goor Centrum · telegram")
    assert sent[0].startswith("Spelregels")
    assert sent[-1].startswith("Daan Wolters")


DEMO_STEPS = {
    "nl": [
        "Spelregels van buurtpreventie",  # the house rules
        "bot: 🚨 Melding: Verdacht voertuig",  # the guided melding is posted
        "12-GZB-8",  # with the plate normalised
        "bot (↩ #23): ☎ 112 is gebeld door Eva Nijhuis",  # 112 announced once
        "112 is al gebeld om",  # the second /112
        "Doorgezet naar 4 ontvangers: Regiegroep Hof van Twente, Buurtpreventie Goor Oost, "
        "Buurtpreventie Goor West, Buurtpreventie Goor Zuid.",
        "[Buurtpreventie Markelo Dorp · signal] bot: ⬆ Doorgezet vanuit Goor Centrum",  # forward
        "From now on I will write to you in English.",
        "Je hebt nu 3 actieve waarschuwingen",
        "[Buurtpreventie Goor Centrum · telegram] Joost Olthof: removed from the group",
        "[Buurtpreventie Goor Oost · telegram] Joost Olthof: removed from the group",  # blocked
        "De blokkade van Joost Olthof is opgeheven.",
        "Hanneke Pierik hief de blokkade van Joost Olthof op",  # the log
        # sign-up: the regiegroep's short notice, the eigenaar decides, the invite is used
        "[Regiegroep Hof van Twente · telegram] bot: 📝 Nieuwe aanmelding",
        "[private · Anna Huisman] bot: Nieuwe aanmelding",
        "Wachten op jouw besluit",
        "Anna Huisman: /toelaten ",  # the number copied from the screen
        "bot: Welkom! Je bent toegelaten tot Buurtpreventie Goor Centrum.",
        "is toegelaten. Ik heb de uitnodiging gestuurd.",
        "sanne: /start ",  # the token copied from the screen
        "Nog één stap voordat je lid wordt.",
        "[private · Sanne Bosch] bot: Je bent nu lid van Buurtpreventie Goor Centrum.",
        "Sanne Bosch heeft de uitnodiging voor Buurtpreventie Goor Centrum aangenomen.",
        # a mixed gemeente: from a Signal buurtgroep to the Telegram regiegroep and neighbours
        "[Buurtpreventie Goor West · signal] Henk Scholten: Twee mannen met een ladder",
        "[Regiegroep Hof van Twente · telegram] bot: ⬆ Doorgezet vanuit Goor West",
        "[Buurtpreventie Goor Centrum · telegram] bot: ⬆ Doorgezet vanuit Goor West",
        # the hoofdcoordinator's sign-in link to the dashboard, privately
        "[private · Hanneke Pierik] bot (↩ #101): Dashboard van Hof van Twente",
        "/dashboard/login?token=",
    ],
    "en": [
        "House rules of buurtpreventie",
        "bot: 🚨 Melding: Suspicious vehicle",
        "bot (↩ #23): ☎ 112 has been called by Eva Nijhuis",
        "112 was already called at",
        "Passed on to 4 targets: Regiegroep Hof van Twente",
        "Forwarded by Ria Vos of the regiegroep",
        "Spelregels van buurtpreventie",  # Eva chose Dutch
        "You now have 3 active warnings",
        "[Buurtpreventie Goor Oost · telegram] Joost Olthof: removed from the group",
        "The block of Joost Olthof has been lifted.",
        "[Regiegroep Hof van Twente · telegram] bot: 📝 New sign-up",
        "[private · Anna Huisman] bot: New sign-up",
        "Waiting for your decision",
        "Anna Huisman: /admit ",
        "bot: Welcome! You have been admitted to Buurtpreventie Goor Centrum.",
        "is admitted. I have sent them the invite.",
        "sanne: /start ",
        "One last step before you join.",
        "[private · Sanne Bosch] bot: You are now a member of Buurtpreventie Goor Centrum.",
        "Sanne Bosch has accepted the invite to Buurtpreventie Goor Centrum.",
        "[Buurtpreventie Goor West · signal] Henk Scholten: Two men with a ladder",
        "[Regiegroep Hof van Twente · telegram] bot: ⬆ Escalated from Goor West",
        "[Buurtpreventie Goor Centrum · telegram] bot: ⬆ Escalated from Goor West",
        "[private · Hanneke Pierik] bot (↩ #101): Dashboard of Hof van Twente",
        "/dashboard/login?token=",
    ],
}


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_demo_plays_every_flow_in_both_languages(tmp_path: Path, locale: str) -> None:
    result = buurtbot("demo", "--locale", locale, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    position = 0
    for step in DEMO_STEPS[locale]:
        found = result.stdout.find(step, position)
        assert found >= 0, f"missing or out of order: {step!r}"
        position = found
    # Every target receives each escalation once (one from Goor Centrum, one from Goor West).
    assert result.stdout.count("[Regiegroep Hof van Twente · telegram] bot: ⬆") == 2
    # After the block is lifted, joining Goor Oost again removes nobody.
    assert result.stdout.count("Goor Oost · telegram] Joost Olthof: removed from the group") == 1
    # The copied number and token are the real ones: nothing on the screen was missing.
    assert "(nothing on the screen offers" not in result.stdout
    assert not (tmp_path / "bot.db").exists(), "the demo must not touch the real database"


def test_the_demo_in_a_terminal_serves_its_dashboard_until_ctrl_c(tmp_path: Path) -> None:
    """Run by a person (standard input a terminal), the demo keeps the web server up after
    its script, so the sign-in link it printed opens the demo's dashboard; Ctrl+C ends it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURTBOT_")} | {
        "BUURTBOT_WEB_PORT": str(port),
        "PYTHONUTF8": "1",
    }
    terminal, tty = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "buurtbot", "demo", "--locale", "en"],
        stdin=tty,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    os.close(tty)
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        link = None
        while link is None and (line := process.stdout.readline()):
            found = re.search(rf"(http://127\.0\.0\.1:{port}/dashboard/login\?token=\S+)", line)
            link = found.group(1) if found else None
        assert link is not None
        said = ""
        while "Ctrl+C" not in said and (line := process.stderr.readline()):
            said += line  # the script has ended; the demo now only serves
        assert f"http://127.0.0.1:{port}/dashboard" in said, said
        with urllib.request.urlopen(link, timeout=10) as response:
            page = response.read().decode()
        assert 'id="sign-in"' in page
        assert "Sign in to the dashboard" in page
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
    finally:
        os.close(terminal)
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, rest
    assert "Traceback" not in said + rest


def test_network_show_prints_the_tree_of_hof_van_twente(tmp_path: Path) -> None:
    init = buurtbot("init", "--network", str(EXAMPLE), tmp_path=tmp_path)
    assert init.returncode == 0, init.stderr
    shown = buurtbot("network", "show", tmp_path=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "Hof van Twente (hof-van-twente)"
    for kern in ("Goor", "Delden", "Markelo", "Diepenheim", "Hengevelde", "Bentelo"):
        assert f"  {kern}" in lines
    assert any("eigenaar: Anna Huisman" in line for line in lines)
    from_file = buurtbot("network", "show", str(EXAMPLE), tmp_path=tmp_path)
    assert from_file.stdout == shown.stdout


def test_init_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    first = buurtbot("init", "--network", str(EXAMPLE), tmp_path=tmp_path)
    second = buurtbot("init", "--network", str(EXAMPLE), tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert first.stdout != second.stdout
    assert "no changes" in second.stdout.lower()


def test_network_check_reports_problems_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('adjacent = ["', 'adjacent = ["nergens", "', 1)
    )
    result = buurtbot("network", "check", str(bad), tmp_path=tmp_path)
    assert result.returncode == 1
    assert "nergens" in result.stderr
    assert "Traceback" not in result.stderr
    good = buurtbot("network", "check", str(EXAMPLE), tmp_path=tmp_path)
    assert good.returncode == 0
    assert good.stdout.startswith("OK Hof van Twente")


def test_an_unusable_database_is_reported_in_words(tmp_path: Path) -> None:
    result = buurtbot(
        "db", "upgrade", tmp_path=tmp_path,
        env={"BUURTBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("buurtbot: the database at sqlite:///")
    assert "Traceback" not in result.stderr


def test_network_show_on_an_empty_database_says_what_to_do(tmp_path: Path) -> None:
    result = buurtbot("network", "show", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "buurtbot init --network FILE" in result.stderr


def test_every_command_has_help(tmp_path: Path) -> None:
    for args in (["--help"], ["init", "--help"], ["run", "--help"], ["demo", "--help"],
                 ["network", "check", "--help"], ["network", "show", "--help"],
                 ["db", "upgrade", "--help"]):  # fmt: skip
        result = buurtbot(*args, tmp_path=tmp_path)
        assert result.returncode == 0, args
        assert "usage: buurtbot" in result.stdout


def test_sign_up_admit_and_redeem_an_invite(tmp_path: Path) -> None:
    """A newcomer signs up by dialogue, the eigenaar admits, the invite is redeemed."""
    network = ("run", "--network", str(EXAMPLE))
    answers = "/as zoe\n/signup\nZoë de Vries\n7471 AB 12\n1\n1\n1\n/quit\n"
    first = buurtbot(*network, tmp_path=tmp_path, stdin=answers)
    assert first.returncode == 0, first.stderr
    found = re.search(r"/(?:toelaten|admit) ([A-Z0-9]{6})", first.stdout)
    assert found is not None, first.stdout
    number = found.group(1)
    admit = buurtbot(*network, tmp_path=tmp_path, stdin=f"/as anna\n/toelaten {number}\n/quit\n")
    assert admit.returncode == 0, admit.stderr
    invite = re.search(r"/start ([A-Za-z0-9_-]{16,64})", admit.stdout)
    assert invite is not None, admit.stdout
    redeem = buurtbot(
        *network, tmp_path=tmp_path, stdin=f"/as zoe\n/start {invite.group(1)}\n1\n1\n/quit\n"
    )
    assert redeem.returncode == 0, redeem.stderr
    assert "Buurtpreventie Goor Centrum" in redeem.stdout
    anna = bot_lines(redeem.stdout, "private · Anna Huisman")
    assert any("Zoë de Vries" in line for line in anna), redeem.stdout
    again = buurtbot(
        *network, tmp_path=tmp_path, stdin=f"/as zoe\n/start {invite.group(1)}\n/quit\n"
    )
    # used once: the invite does not work again (no house rules, no second welcome)
    assert "0900-8844" not in again.stdout.split(f"/start {invite.group(1)}", 1)[1]
    assert "Traceback" not in first.stderr + admit.stderr + redeem.stderr + again.stderr
