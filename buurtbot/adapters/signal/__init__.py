"""The Signal adapter: signal-cli-rest-api in json-rpc mode, through signalbot 2.2.1 where it
fits and our own receive loop where it does not."""

from buurtbot.adapters.signal.adapter import SignalAdapter, SignalConfig, SignalUnavailable
from buurtbot.adapters.signal.mapping import CAPABILITIES, to_event, to_signal_text

__all__ = [
    "CAPABILITIES",
    "SignalAdapter",
    "SignalConfig",
    "SignalUnavailable",
    "to_event",
    "to_signal_text",
]
