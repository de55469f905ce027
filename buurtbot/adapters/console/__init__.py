"""The console adapter: the embedded default, a REPL that stands in for every platform."""

from buurtbot.adapters.console.adapter import ConsoleAdapter, ConsoleDirectory

__all__ = ["ConsoleAdapter", "ConsoleDirectory"]
