"""buurtbot: a neighbourhood-watch network (buurtpreventie) on Telegram, Signal and the console."""

__version__ = "0.1.0"
