"""The core stays pure: checked by import-linter and, independently, by reading the source."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "sqlalchemy",
    "alembic",
    "psycopg",
    "telegram",
    "signalbot",
    "aiohttp",
    "httpx",
    "starlette",
    "apscheduler",
    "matplotlib",
}


def test_import_linter_contract_holds() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is part of the test extras"
    result = subprocess.run(
        [exe, str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_core_module_imports_a_platform_or_storage_library() -> None:
    offenders = {}
    for path in sorted((ROOT / "buurtbot" / "core").rglob("*.py")):
        bad = {
            name
            for name in imported_modules(path)
            if name.split(".")[0] in FORBIDDEN or name.startswith("buurtbot.adapters")
        }
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}
