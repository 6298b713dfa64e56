"""One SDK, one module: provider SDKs are imported only by the module that owns them."""

from __future__ import annotations

import ast
from pathlib import Path

import pictor

#: SDK top-level package -> the only modules (relative to src/pictor) allowed to import it.
OWNERS = {
    "openai": {"engines/generate/openai_compat.py"},
    "google.genai": {"engines/generate/gemini.py"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _importers(sdk: str) -> set[str]:
    root = Path(pictor.__file__).parent
    found: set[str] = set()
    for path in root.rglob("*.py"):
        if any(name == sdk or name.startswith(f"{sdk}.") for name in _imports(path)):
            found.add(path.relative_to(root).as_posix())
    return found


def test_openai_and_genai_sdks_are_imported_only_by_their_provider_modules() -> None:
    for sdk, owners in OWNERS.items():
        assert _importers(sdk) == owners, sdk


def test_translators_reach_the_sdks_through_the_provider_modules() -> None:
    root = Path(pictor.__file__).parent
    imported = _imports(root / "engines/localize/translators.py")
    assert "pictor.engines.generate.openai_compat" in imported
    assert "pictor.engines.generate.gemini" in imported
