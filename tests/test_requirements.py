"""What each requirements file installs: the runtime is boto3 alone, CodeBuild installs requirements-build.txt (the
runtime, cfn-lint and the fast tests' packages) and nothing of requirements-dev.txt's slow/e2e/bench tools."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
import yaml

from tests.support.requirement_sets import closure, dev_only_modules, requirements

REPO = Path(__file__).resolve().parents[1]


def pins(name: str) -> dict[str, str]:
    return {r.name: str(r.specifier) for r in requirements(REPO / name)}


def test_codebuild_installs_the_build_set_and_runs_the_fast_tests_with_it():
    phases = yaml.safe_load((REPO / "buildspec.yml").read_text())["phases"]
    assert phases["install"]["commands"] == ["pip install --upgrade --quiet -r requirements-build.txt"]
    assert phases["pre_build"]["commands"] == ["cfn-lint model-monitor-template.yml",
                                               'python -m pytest -q -n 2 -m "not e2e and not slow" -p no:cacheprovider']


def test_each_file_adds_its_own_pins_to_the_one_before():
    runtime, build, dev = pins("requirements.txt"), pins("requirements-build.txt"), pins("requirements-dev.txt")
    assert set(runtime) == {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"}
    assert {k: v for k, v in build.items() if k not in runtime} == {
        "cfn-lint": "==1.51.0", "moto": "==5.2.1", "cloud-radar": "==0.17.0", "pytest": "==9.0.3",
        "pytest-xdist": "==3.8.0", "hypothesis": "==6.155.2", "numpy": "==2.4.6"}
    assert {k: v for k, v in dev.items() if k not in build} == {
        "awscli": "==1.45.11", "pyinstrument": "==5.1.3", "ruff": "==0.17.5",
        "selenium": "==4.51.0", "jsonschema": "==4.26.0", "pandas": "==3.0.3",
        **{k: v for k, v in pins("requirements-report.txt").items() if k not in build}}
    assert "matplotlib" in dev
    assert [str(r) for r in requirements(REPO / "requirements-dev.txt") if r.name == "moto"] == [
        "moto==5.2.1", "moto[server]==5.2.1"]  # the build's in-process moto, then the e2e tests' server extra
    assert pins("requirements-analyzer.txt")["numpy"] == build["numpy"]


def test_the_runtime_pins_are_boto3_and_exactly_its_dependencies():
    assert closure(requirements(REPO / "requirements.txt")) == closure(requirements(REPO / "requirements.txt")[:1]) \
        == set(pins("requirements.txt"))


def test_the_build_set_check_blocks_the_dev_tools_and_nothing_the_fast_tests_use():
    try:
        metadata.version("pandas")
    except metadata.PackageNotFoundError:
        pytest.skip("requirements-dev.txt is not installed in this venv (a venv of requirements-build.txt)")
    blocked = dev_only_modules()
    assert {"pandas", "awscli", "pyinstrument", "ruff", "flask", "flask_cors", "matplotlib",
            "selenium"} <= blocked
    assert blocked.isdisjoint({"boto3", "botocore", "moto", "numpy", "yaml", "cfnlint", "cloud_radar", "pytest",
                               "xdist", "hypothesis", "requests", "werkzeug", "responses", "setuptools", "pip",
                               "jsonschema"})  # cfn-lint brings jsonschema: the build has it
