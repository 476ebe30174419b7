"""Generated fixture files: write them, or check that the stored ones are what the generator writes now."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType


def write_or_check(folder: Path, documents: Callable[[], dict[str, str]], argv: list[str]) -> int:
    """Write ``documents()`` (file name -> text) into ``folder``, or with --check print the stale ones (exit 1)."""
    stale = []
    for name, text in documents().items():
        path = folder / name
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    print(json.dumps({"stale": stale}))
    return 1 if stale else 0


def load_generator(path: Path) -> ModuleType:
    """A generator script (not a package module) loaded by path, for tests that regenerate its files."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
