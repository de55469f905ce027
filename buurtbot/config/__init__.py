"""Configuration read from outside the program: network files and process settings.

Not part of the core: it reads files and the environment, then hands the core plain values
(:class:`~buurtbot.core.domain.networkspec.NetworkSpec`, :class:`Settings`).
"""

from buurtbot.config.network_file import (
    NetworkFileError,
    NetworkFileProblem,
    load_network_file,
    load_network_files,
    network_file_paths,
)
from buurtbot.config.settings import Settings, SettingsError

__all__ = [
    "NetworkFileError",
    "NetworkFileProblem",
    "Settings",
    "SettingsError",
    "load_network_file",
    "load_network_files",
    "network_file_paths",
]
