"""The floor plan (issue 16): a shared core, a formats layer, and one wing per tool; wings never import each other.

The import graph is read from the source with ``ast`` (every ``import`` and ``from ... import``, also those inside
functions), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "pipelines"
WINGS = ("deploy", "report", "ground_truth", "analyze", "watchdog")
# layer -> the layers it may import (besides itself)
ALLOWED = {"core": set(), "formats": {"core"}, **{wing: {"core", "formats"} for wing in WINGS}}


def _layer(module: str) -> str | None:
    """'pipelines.deploy.run' -> 'deploy'; 'pipelines.__version__' and top-level modules -> None (no layer)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "pipelines" and len(parts) > 1 and parts[1] in ALLOWED else None


def _imports(path: Path, root: Path = REPO) -> set[str]:
    module = ".".join(path.relative_to(root).with_suffix("").parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                base = ".".join(module.split(".")[:-node.level] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pipelines import aws`
    return found


def _graph() -> dict[str, set[str]]:
    return {".".join(p.relative_to(REPO).with_suffix("").parts): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_of_the_package_lives_in_a_layer():
    loose = [m for m in _graph() if _layer(m) is None and m not in ("pipelines.__init__", "pipelines.__version__")]
    assert loose == []


def test_no_wing_imports_another_and_core_and_formats_import_no_wing():
    crossings = sorted(f"{module} -> {target}" for module, targets in _graph().items() for target in targets
                       if _layer(module) and _layer(target) and _layer(target) != _layer(module)
                       and _layer(target) not in ALLOWED[_layer(module)])
    assert crossings == []


def test_the_rule_is_checked_on_a_real_crossing(tmp_path):
    """The check above can fail: a report module importing the deploy wing is reported."""
    module = tmp_path / "pipelines" / "report" / "x.py"
    module.parent.mkdir(parents=True)
    module.write_text("def f():\n    from pipelines.deploy import planner\n")
    assert _imports(module, tmp_path) == {"pipelines.deploy", "pipelines.deploy.planner"}
    assert _layer("pipelines.deploy.planner") not in ALLOWED[_layer("pipelines.report.x")]


@pytest.mark.parametrize(("pattern", "home"), [
    (r"fromisoformat|strptime\(", "pipelines/formats/times.py"),  # ISO-8601 and hour folders: one parser
    (r'"NoSuchKey"|"NoSuchBucket"', "pipelines/core/aws.py"),  # the not-found rule
    (r"\.get_paginator\(|\.list_objects_v2\(|\.get_object\(", "pipelines/core/aws.py"),  # one S3 store
    (r'\["groundTruthData"\]', "pipelines/formats/ground_truth.py"),  # the ground-truth record reader
    (r'get\("inferenceId"\) or', "pipelines/formats/capture.py"),  # the join key rule
])
def test_each_shared_fact_is_decided_in_one_module(pattern, home):
    where = sorted(str(p.relative_to(REPO)) for p in PACKAGE.rglob("*.py") if re.search(pattern, p.read_text())
                   and p.relative_to(REPO).as_posix() not in LAMBDA_CODE)
    assert where == [home]


# The watchdog Lambda's inline code imports nothing of the package (tests/test_watchdog.py checks: standard library
# and boto3 only), so its handler reads S3 itself; `python -m pipelines.watchdog` passes core's S3 store instead.
LAMBDA_CODE = {"pipelines/watchdog/rules.py"}


def test_stage_names_appear_only_in_the_stage_list():
    """A third stage needs no code change: 'staging'/'prod' as string literals live only in core/monitors.py."""
    literal = re.compile(r"""["'](staging|prod)["']""")
    where = sorted(str(p.relative_to(REPO)) for p in PACKAGE.rglob("*.py") if literal.search(p.read_text()))
    assert where == ["pipelines/core/monitors.py"]
