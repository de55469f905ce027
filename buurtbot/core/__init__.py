"""The platform-neutral core: domain model, policies, ports and services.

Nothing in this package performs I/O or imports a platform, web or SQL library; an
import-linter contract in ``pyproject.toml`` keeps it that way.
"""
