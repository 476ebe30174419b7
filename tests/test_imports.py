"""What the CLI imports on its run path: boto3 and the standard library, never the SageMaker SDK (issue 6).

Each check runs in a fresh interpreter (``sys.executable -c``), so modules the test session already loaded do not
hide an import. Not a timing test: `make bench` measures time; this pins the import list that makes it fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MARKER = "MODULES-JSON "
PROJECT_ROOTS = {"pipelines", "utils", "get_baselines_and_configs"}
# The boto3 stack and what it needs at run time; anything else on the run path is a new dependency to justify.
BOTO_STACK = {"boto3", "botocore", "s3transfer", "urllib3", "dateutil", "jmespath", "six", "certifi", "charset_normalizer",
              "idna"}
FORBIDDEN_ROOTS = {"sagemaker", "yaml", "cfnlint", "moto", "pyinstrument", "pandas", "numpy", "cloud_radar", "awscli"}
RUN_PATH_MODULES = ["get_baselines_and_configs", "pipelines.deploy.cli", "pipelines.deploy.run", "pipelines.core.aws",
                    "pipelines.deploy.registry", "pipelines.deploy.baselines", "pipelines.deploy.planner", "pipelines.deploy.derived",
                    "pipelines.deploy.options", "pipelines.deploy.outputs", "pipelines.deploy.stage_config", "pipelines.deploy.template_params",
                    "pipelines.deploy.image_uris", "pipelines.core.monitors", "utils"]


def _modules(code: str, tmp_path: Path) -> dict:
    """Run ``code`` in a fresh interpreter (cwd = repo); it prints MARKER + JSON on its last line."""
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    assert len(lines) == 1, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(lines[0][len(MARKER):])


def _env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(REPO)
    return env


def _roots(modules: list[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def _not_stdlib(roots: set[str]) -> set[str]:
    return {root for root in roots if root not in sys.stdlib_module_names and not root.startswith("_")}


@pytest.mark.slow
def test_importing_the_run_path_and_building_clients_loads_only_boto3_and_the_standard_library(tmp_path: Path) -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {RUN_PATH_MODULES!r}: importlib.import_module(name)\n"
        "from pipelines.core import aws\n"
        "session = aws.make_session(region='us-east-1')\n"
        "aws.make_client(session, 'sagemaker'); aws.make_client(session, 's3')\n"
        f"print({MARKER!r} + json.dumps(sorted(sys.modules)))\n"
    )
    modules = _modules(code, tmp_path)
    roots = _roots(modules)
    assert sorted(n for n in modules if n.split(".")[0] in FORBIDDEN_ROOTS) == []
    assert _not_stdlib(roots) - PROJECT_ROOTS - BOTO_STACK == set()


@pytest.mark.slow
def test_importing_the_cli_module_alone_does_not_import_boto3(tmp_path: Path) -> None:
    """`--help`, `--version` and usage errors answer without paying for boto3 (it is imported when a run starts)."""
    code = (
        "import json, sys\n"
        "import get_baselines_and_configs\n"
        f"print({MARKER!r} + json.dumps(sorted(sys.modules)))\n"
    )
    roots = _roots(_modules(code, tmp_path))
    assert roots & (BOTO_STACK | FORBIDDEN_ROOTS) == set()


@pytest.mark.slow
def test_a_full_cli_run_under_moto_imports_nothing_beyond_the_project_and_the_standard_library(tmp_path: Path) -> None:
    """Seed moto in-process, then diff sys.modules around main(): what main() adds comes from the project's path.

    moto, boto3 and PyYAML are already loaded by the seeding, so they cannot hide in the diff as project imports;
    the emulator answering the calls may lazily import its own ``moto.*`` modules, which are allowed.
    """
    args = ["--import-staging-config", str(REPO / "staging-monitoring-schedule-config.json"),
            "--import-prod-config", str(REPO / "prod-monitoring-schedule-config.json"),
            "--template-file", str(REPO / "model-monitor-template.yml"),
            "--export-staging-config", str(tmp_path / "staging.json"),
            "--export-prod-config", str(tmp_path / "prod.json")]
    code = (
        "import json, os, sys\n"
        "from moto import mock_aws\n"
        "import boto3\n"
        "from devtools.seed import cli_env, seed\n"
        "os.environ.update(cli_env())\n"
        "os.environ['AWS_CONFIG_FILE'] = os.environ['AWS_SHARED_CREDENTIALS_FILE'] = os.devnull\n"
        "with mock_aws():\n"
        "    seed(boto3.client('sagemaker'), boto3.client('s3'))\n"
        "    before = set(sys.modules)\n"
        "    import get_baselines_and_configs\n"
        f"    code = get_baselines_and_configs.main({args!r})\n"
        "    added = sorted(set(sys.modules) - before)\n"
        f"print({MARKER!r} + json.dumps({{'exit': code, 'added': added, 'all': sorted(sys.modules)}}))\n"
    )
    result = _modules(code, tmp_path)
    assert result["exit"] == 0
    added = result["added"]
    assert "pipelines.deploy.run" in added and "get_baselines_and_configs" in added  # the diff did see the run path
    assert [n for n in result["all"] if n == "sagemaker" or n.startswith("sagemaker.")] == []
    assert [n for n in added if n.split(".")[0] in FORBIDDEN_ROOTS - {"moto"}] == []
    assert _not_stdlib(_roots(added)) - PROJECT_ROOTS - {"moto"} == set()


@pytest.mark.e2e
def test_the_real_cli_against_moto_server_loads_only_boto3_and_the_standard_library(tmp_path: Path) -> None:
    """The whole process, as CodeBuild runs it, with the emulator in another process: nothing to filter out."""
    import boto3

    from devtools.moto import moto_server
    from devtools.seed import cli_env, seed

    args = ["--import-staging-config", str(REPO / "staging-monitoring-schedule-config.json"),
            "--import-prod-config", str(REPO / "prod-monitoring-schedule-config.json"),
            "--template-file", str(REPO / "model-monitor-template.yml"),
            "--export-staging-config", str(tmp_path / "staging.json"),
            "--export-prod-config", str(tmp_path / "prod.json")]
    code = (
        "import json, sys\n"
        "import get_baselines_and_configs\n"
        f"code = get_baselines_and_configs.main({args!r})\n"
        f"print({MARKER!r} + json.dumps({{'exit': code, 'all': sorted(sys.modules)}}))\n"
    )
    with moto_server() as url:
        kwargs = {"endpoint_url": url, "region_name": "us-east-1"}
        seed(boto3.client("sagemaker", **kwargs), boto3.client("s3", **kwargs))
        env = _env() | cli_env(url)
        done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith(MARKER))
    result = json.loads(line[len(MARKER):])
    assert result["exit"] == 0, done.stderr[-3000:]
    modules = result["all"]
    assert sorted(n for n in modules if n.split(".")[0] in FORBIDDEN_ROOTS) == []
    assert _not_stdlib(_roots(modules)) - PROJECT_ROOTS - BOTO_STACK == set()


@pytest.mark.slow
def test_python_x_importtime_of_the_run_path_lists_no_yaml_parser_and_no_module_beyond_the_budget(tmp_path: Path) -> None:
    """The template's Parameters are read without PyYAML (issue 11 measured: the exact subset reader takes 1.4 ms;
    PyYAML adds ~24 ms of import and 1.9-32 ms of parsing to a ~0.46 s run). The budget is the import list, read
    from ``python -X importtime`` itself (no timing is asserted: `make bench` measures time)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           "import get_baselines_and_configs, pipelines.deploy.cli, pipelines.ground_truth, pipelines.report"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    modules = [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
               and "|" in line][1:]  # the first line is the header
    assert modules and "pipelines.deploy.template_params" in modules
    assert sorted(n for n in modules if n.split(".")[0] in FORBIDDEN_ROOTS) == []
    # importtime also lists imports that were only tried: site's optional hooks and copy's Jython probe
    tried_only = {"sitecustomize", "usercustomize", "org"}
    assert _not_stdlib(_roots(modules)) - PROJECT_ROOTS - BOTO_STACK - tried_only == set()
