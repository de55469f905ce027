"""Run every benchmark and print each result as a ratio to its same-run baseline.

Usage: ``.venv/bin/python benchmarks/run.py`` (machines here are noisy; compare ratios,
not absolute times).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import console_messages, dashboard, fanout, routing, telegram_bot


def main() -> int:
    print(console_messages.report(console_messages.run()))
    print(fanout.report(fanout.run()))
    print(routing.report(routing.run()))
    print(telegram_bot.report_overhead(telegram_bot.overhead()))
    print(telegram_bot.report_fanout(telegram_bot.fanout()))
    print(dashboard.report(dashboard.run()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
