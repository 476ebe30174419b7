"""The four commands start the same way from every entry point: `python get_baselines_and_configs.py`,
`python -m pipelines.<tool>` and the console scripts pyproject.toml declares (run here as the wrapper pip
generates for them: import the module, ``sys.exit(function())``), each a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pipelines.__version__ import __version__

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
USAGE = {
    "get_baselines_and_configs:main": "usage: get_baselines_and_configs.py [-h]",
    "pipelines.ground_truth.cli:main": "usage: python -m pipelines.ground_truth [-h]",
    "pipelines.report.cli:main": "usage: python -m pipelines.report [-h]",
    "pipelines.analyze.__main__:main": "usage: python -m pipelines.analyze [-h]",
    "pipelines.watchdog.cli:main": "usage: python -m pipelines.watchdog [-h]",
}
pytestmark = pytest.mark.slow  # sub-processes


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def console_script(target: str, *argv: str) -> subprocess.CompletedProcess:
    module, function = target.split(":")
    wrapper = f"import sys; from {module} import {function}; sys.exit({function}())"
    return run("-c", wrapper, *argv)


def test_pyproject_declares_one_console_script_per_command():
    assert SCRIPTS == {"get-baselines-and-configs": "get_baselines_and_configs:main",
                       "model-monitor-ground-truth": "pipelines.ground_truth.cli:main",
                       "model-monitor-report": "pipelines.report.cli:main",
                       "model-monitor-analyze": "pipelines.analyze.__main__:main",
                       "model-monitor-watchdog": "pipelines.watchdog.cli:main"}


@pytest.mark.parametrize("argv", [("get_baselines_and_configs.py",), ("-m", "pipelines.ground_truth"),
                                  ("-m", "pipelines.report"), ("-m", "pipelines.analyze"),
                                  ("-m", "pipelines.watchdog")],
                         ids=["script", "ground_truth", "report", "analyze", "watchdog"])
def test_each_command_prints_its_help_and_exits_0(argv):
    done = run(*argv, "--help")
    target = {"get_baselines_and_configs.py": "get_baselines_and_configs:main",
              "pipelines.ground_truth": "pipelines.ground_truth.cli:main",
              "pipelines.report": "pipelines.report.cli:main",
              "pipelines.analyze": "pipelines.analyze.__main__:main",
              "pipelines.watchdog": "pipelines.watchdog.cli:main"}[argv[-1]]
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(USAGE[target])


@pytest.mark.parametrize("target", sorted(USAGE))
def test_each_console_script_target_prints_the_same_help_as_its_command(target):
    done = console_script(target, "--help")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(USAGE[target])


USAGE_ERRORS = {
    "get_baselines_and_configs:main": "get_baselines_and_configs.py: error: unrecognized arguments: --no-such-flag",
    # the label file is optional since --matured-negatives (issue 18); without one run() says so (exit 2)
    "pipelines.ground_truth.cli:main": "python -m pipelines.ground_truth: error: unrecognized arguments: "
                                       "--no-such-flag",
    "pipelines.report.cli:main": "python -m pipelines.report: error: unrecognized arguments: --no-such-flag",
    "pipelines.analyze.__main__:main": "python -m pipelines.analyze: error: the following arguments are required: "
                                       "command",
    "pipelines.watchdog.cli:main": "python -m pipelines.watchdog: error: one of the arguments --schedule-base-name "
                                   "--schedules is required",
}


@pytest.mark.parametrize("target", sorted(USAGE))
def test_each_console_script_target_exits_2_with_argparses_usage_and_one_error_line(target):
    done = console_script(target, "--no-such-flag")
    lines = done.stderr.splitlines()
    assert (done.returncode, done.stdout, lines[-1]) == (2, "", USAGE_ERRORS[target])
    assert lines[0].startswith(USAGE[target])
    assert "Traceback" not in done.stderr


def test_the_main_command_prints_its_version():
    done = console_script("get_baselines_and_configs:main", "--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"get_baselines_and_configs.py {__version__}\n", "")


def test_the_analyzer_checks_its_environment_fallback_like_its_flag():
    done = subprocess.run([sys.executable, "-m", "pipelines.analyze", "data-quality", "--capture", "x", "--output",
                           "y", "--statistics", "a", "--constraints", "b"], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "LOG_LEVEL": "debug"})
    assert (done.returncode, done.stdout, done.stderr.splitlines()[-1]) == (
        2, "", "python -m pipelines.analyze: error: environment variable LOG_LEVEL: invalid choice: 'debug' "
               "(as --log-level; choose from 'DEBUG', 'INFO', 'WARNING', 'ERROR')")
