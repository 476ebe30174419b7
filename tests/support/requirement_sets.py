"""The requirement files as sets of installed distributions: what requirements-dev.txt adds to
requirements-build.txt (what CodeBuild installs). Used by the tests.support.build_set plugin."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
IN_EVERY_VENV = {"pip", "setuptools"}  # `python -m venv` installs them: CodeBuild's Python has them too


def requirements(path: Path) -> list[Requirement]:
    """The pinned requirements of a requirements file, following `-r` includes."""
    found: list[Requirement] = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if match := re.fullmatch(r"-r\s+(\S+)", line):
            found += requirements(path.parent / match.group(1))
        else:
            found.append(Requirement(line))
    return found


def closure(roots: list[Requirement]) -> set[str]:
    """The installed distributions these requirements bring in, extras and dependencies included."""
    seen: set[str] = set()
    todo = [(canonicalize_name(r.name), frozenset(r.extras)) for r in roots]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in done:
            continue
        done.add((name, extras))
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:  # not installed here (e.g. in a venv of requirements-build.txt)
            continue
        for text in requires:
            dependency = Requirement(text)
            environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if dependency.marker is None or any(dependency.marker.evaluate(env) for env in environments):
                todo.append((canonicalize_name(dependency.name), frozenset(dependency.extras)))
    return seen


def dev_only_modules() -> set[str]:
    """Top-level import names of the distributions that only requirements-dev.txt installs."""
    dev_only = closure(requirements(REPO / "requirements-dev.txt")) - closure(requirements(REPO /
                                                                                           "requirements-build.txt"))
    dev_only -= IN_EVERY_VENV
    return {module for module, dists in metadata.packages_distributions().items()
            if module.isidentifier() and {canonicalize_name(d) for d in dists} <= dev_only}

