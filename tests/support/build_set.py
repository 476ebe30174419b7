"""pytest plugin: run the tests as if only requirements-build.txt were installed (what CodeBuild installs).

`python -m pytest -p tests.support.build_set -m "not e2e and not slow"` blocks the import of
every distribution that requirements-dev.txt adds on top of requirements-build.txt (with their dependencies, as
installed in this venv), so a fast test that starts needing pandas, awscli, pyinstrument or moto's server
fails `make test` instead of a user's CodeBuild run. `make test` runs it (make test-future); `make test-build` checks
the same thing in a real fresh venv."""

from __future__ import annotations

import os
import sys

from tests.support.requirement_sets import dev_only_modules

# Dev-only packages still advertise hypothesis plugins (trio does) through their entry points, which a build venv
# would not have: hypothesis loads none (its documented switch), as in the build venv.
os.environ["HYPOTHESIS_NO_PLUGINS"] = "1"
BLOCKED = sorted(dev_only_modules())
for _module in BLOCKED:
    if _module in sys.modules:  # loaded before this plugin: the check could not see its use
        raise RuntimeError(f"{_module} (a requirements-dev.txt package) was imported before tests.support.build_set")
    sys.modules[_module] = None  # type: ignore[assignment]  # `import x` now raises ModuleNotFoundError


def pytest_report_header(config) -> str:
    return f"build set only (requirements-build.txt): blocked {', '.join(BLOCKED)}"
