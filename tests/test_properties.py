"""Property: over stage-config documents and flag values, the CLI never shows a traceback, and every file it
writes passes the template-parameter validation (a failed run writes nothing at all)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.seed import GROUP
from pipelines.deploy.template_params import load_template_parameters, validate
from tests.support.reliability import REPO, STAGES, TEMPLATE

SPECS = load_template_parameters(TEMPLATE)
NAMES = sorted(SPECS)
PACKAGE = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}"

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 100000), st.floats(allow_nan=False),
                         st.text(max_size=12))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


@st.composite
def parameter_value(draw, name: str):
    spec = SPECS[name]
    plausible = [v for v in (spec.default, *(spec.allowed_values or ())) if v is not None]
    usual = st.sampled_from(plausible) if plausible else st.sampled_from(["", "s3://bucket-x/key"])
    return draw(st.one_of(
        usual, usual, usual, usual,  # mostly values the template accepts, so that many runs get to write files
        st.sampled_from(["", "yes", "no", "NOW", "cron(0 * ? * * *)", "cron(0 3/6 ? * * *)", "cron(5 * ? * * *)",
                         "-PT1H", "-PT0H", "-PT30H", "1", "0", "-1", "1e9", "abc", "s3://bucket-x/key",
                         "s3://Bad_Bucket/k", "subnet-0123456789abcdef0", "sg-0123456789abcdef0",
                         "arn:aws:iam::123456789012:role/x", "x" * 70]),
        st.text(max_size=30),
        json_values,
    ))


@st.composite
def stage_document(draw, stage: str):
    base = json.loads((REPO / f"{stage}-monitoring-schedule-config.json").read_text())
    kind = draw(st.sampled_from(["edit"] * 8 + ["raw-json", "text"]))
    if kind == "text":
        return draw(st.sampled_from(["", "{", "null", "[]", "{\"Parameters\": {}}", "Parameters: {}"]))
    if kind == "raw-json":
        return json.dumps(draw(json_values))
    params = base["Parameters"]
    for name in draw(st.lists(st.sampled_from(NAMES + ["StageName", "Foo", "instancetype", "ScheduleExpresion"]),
                              max_size=3, unique=True)):
        if draw(st.booleans()) and name in params:
            del params[name]
        else:
            params[name] = draw(parameter_value(name)) if name in SPECS else draw(st.text(max_size=8))
    if draw(st.integers(0, 3)) == 3:
        base["Tags"] = draw(st.dictionaries(st.text(max_size=10), json_scalars | st.text(max_size=300), max_size=3))
    if draw(st.integers(0, 9)) == 9:  # (hypothesis favours small numbers: the rare case gets the large one)
        base[draw(st.sampled_from(["Parameter", "tags", "Extra"]))] = {}
    return json.dumps(base)


flags = st.lists(st.sampled_from([
    ("--strict",), ("--dry-run",), ("--baseline-source", "endpoint"), ("--baseline-source", "registry"),
    ("--model-package-arn", f"{PACKAGE}/1"), ("--model-package-arn", f"{PACKAGE}/3"),
    ("--model-package-arn", f"{PACKAGE}/99"), ("--model-package-arn", "arn:nope"),
    ("--model-package-group-name", "fraud-unapproved"), ("--model-package-group-name", ""),
    ("--model-package-group-name", "no_such"), ("--sagemaker-project-name", "fraud_detect"),
    ("--sagemaker-project-name", "other-project"), ("--monitor-outputs-bucket", "s3://x"),
    ("--monitor-outputs-bucket", "fraud-monitor-outputs-123456789012"),
    ("--model-monitor-image-uri", "not an image"), ("--clarify-image-uri", "123.dkr.ecr.us-east-1.amazonaws.com/c:1"),
    ("--model-monitor-role", "arn:aws:iam::123456789012:role/other"), ("--log-level", "ERROR"),
]), max_size=3, unique=True)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(staging=stage_document("staging"), prod=stage_document("prod"), extra=flags)
def test_the_cli_never_shows_a_traceback_and_never_writes_an_invalid_file(registry, ws, staging, prod, extra):
    ws.write_config("staging", staging)
    ws.write_config("prod", prod)
    before = ws.seed_old_outputs()
    result = ws.run(*[part for flag in extra for part in flag])  # ws.run asserts "Traceback" not in stderr
    assert result.code in (0, 1, 2), result
    if result.code != 0:
        assert result.out == ""
        assert ws.files() == before
        assert result.err.startswith(("error: ", "usage: ")), result.err
        return
    for stage in STAGES:
        export = ws.export(stage)
        document = json.loads(export.read_text())
        assert validate(document["Parameters"], SPECS) == []
        overrides = json.loads(export.with_name(f"{stage}-config-export.parameter-overrides.json").read_text())
        assert overrides == [f"{key}={value}" for key, value in sorted(document["Parameters"].items())]
        tags = json.loads(export.with_name(f"{stage}-config-export.tags.json").read_text())
        assert tags == [f"{key}={value}" for key, value in sorted(document["Tags"].items())]


@pytest.mark.slow
@pytest.mark.parametrize("content", ['{"Parameters": {"StageName": "staging",}}', '{"Parameters": {"StageName": 7}}'])
def test_the_real_process_prints_one_error_line_and_no_traceback(tmp_path, content):
    from devtools.seed import cli_env

    config = tmp_path / "staging.json"
    config.write_text(content)
    env = {**os.environ, **cli_env(), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}  # never reached: the stage file is checked first
    done = subprocess.run([sys.executable, str(REPO / "get_baselines_and_configs.py"), "--template-file",
                           str(TEMPLATE), "--import-staging-config", str(config),
                           "--import-prod-config", str(REPO / "prod-monitoring-schedule-config.json"),
                           "--export-staging-config", str(tmp_path / "s.json"),
                           "--export-prod-config", str(tmp_path / "p.json")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"error: staging config {config}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["staging.json"]


# ---- the same check for all three commands (issue 11): a real process, one error line, no traceback -------------
CLI = [sys.executable, str(REPO / "get_baselines_and_configs.py")]
GT = [sys.executable, "-m", "pipelines.ground_truth"]
REPORT = [sys.executable, "-m", "pipelines.report"]
DEEP = "[" * 100000 + "]" * 100000  # far past Python's recursion limit
PARAMS = {"StageName": "staging", "EndpointName": "fraud-detect-staging",
          "MonitoringScheduleBaseName": "fraud-detect-staging", "GroundTruthInput": "s3://fraud-labels/gt",
          "DataQualityOutputS3Uri": "s3://fraud-outputs/dq"}
REAL_PROCESS_CASES = [
    ("cli-unknown-profile", CLI, [], {"AWS_PROFILE": "fraud-nope"}, {},
     "error: AWS profile 'fraud-nope' (AWS_PROFILE) is not in the AWS config files; set AWS_PROFILE to a profile of "
     "'aws configure list-profiles' or unset it"),
    ("cli-deeply-nested-stage-file", CLI, [], {}, {"staging.json": '{"Parameters": ' + DEEP + "}"},
     "error: staging config staging.json is not a stage config: JSON nested deeper than 100 levels; expected "
     "{\"Parameters\": {...}, \"Tags\": {...}} of strings"),
    ("gt-log-level-env", GT, ["labels.csv", "--stage", "staging"], {"LOG_LEVEL": "debug"}, {},
     "python -m pipelines.ground_truth: error: environment variable LOG_LEVEL: invalid choice: 'debug' (as "
     "--log-level; choose from 'DEBUG', 'INFO', 'WARNING', 'ERROR')"),
    ("gt-labels-not-utf8", GT, ["labels.csv", "--stage", "staging", "--dry-run"], {},
     {"labels.csv": b"inference_id,is_fraud\n\xff,1\n"}, "error: labels.csv is not UTF-8 text (line 2); save it as UTF-8"),
    ("gt-malformed-region", GT, ["labels.csv", "--stage", "staging"], {"AWS_REGION": "us-east-1 "}, {},
     "error: AWS region 'us-east-1 ' (AWS_REGION, AWS_DEFAULT_REGION or the profile's region) is not a region name; "
     "use one such as us-east-1"),
    ("report-executions-env", REPORT, ["--stage", "staging"], {"REPORT_EXECUTIONS": "x"}, {},
     "python -m pipelines.report: error: environment variable REPORT_EXECUTIONS: invalid int value: 'x' (as "
     "--executions)"),
    ("report-deeply-nested-params", REPORT, ["--stage", "staging"], {},
     {"staging-config-export.json": '{"Parameters": ' + DEEP + "}"},
     "error: staging-config-export.json is not valid JSON (JSON nested deeper than 100 levels); regenerate it with "
     "get_baselines_and_configs.py"),
    ("report-endpoint-url", REPORT, ["--stage", "staging"], {"AWS_ENDPOINT_URL": "fraud"}, {},
     "error: AWS endpoint URL 'fraud' (AWS_ENDPOINT_URL or the profile's endpoint_url) is not a URL; use a full URL "
     "such as http://127.0.0.1:5000 or unset it"),
]


def _real_env(extra: dict[str, str]) -> dict[str, str]:
    from devtools.seed import cli_env

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_"))}
    return {**env, **cli_env(), "PYTHONPATH": str(REPO), "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", **extra}


def _cli_files(tmp_path) -> list[str]:
    return ["--template-file", str(TEMPLATE), "--import-staging-config", "staging.json",
            "--import-prod-config", str(REPO / "prod-monitoring-schedule-config.json"),
            "--export-staging-config", str(tmp_path / "s.json"), "--export-prod-config", str(tmp_path / "p.json")]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "argv", "env", "files", "error"), [case[1:] for case in REAL_PROCESS_CASES],
                         ids=[case[0] for case in REAL_PROCESS_CASES])
def test_every_command_as_a_real_process_prints_one_error_line_and_no_traceback(tmp_path, command, argv, env, files,
                                                                                error):
    defaults = {"labels.csv": "inference_id,is_fraud\ntx-1,1\n",
                "staging.json": (REPO / "staging-monitoring-schedule-config.json").read_text(),
                "staging-config-export.json": json.dumps({"Parameters": PARAMS})}
    for name, body in {**defaults, **files}.items():
        (tmp_path / name).write_bytes(body if isinstance(body, bytes) else body.encode())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    extra = _cli_files(tmp_path) if command is CLI else []
    done = subprocess.run([*command, *argv, *extra], cwd=tmp_path, env=_real_env(env), capture_output=True,
                          text=True, timeout=60)
    assert "Traceback" not in done.stderr
    assert (done.returncode, done.stdout, done.stderr.splitlines()[-1]) == (2, "", error)
    assert done.stderr.count("\n") == 1 or done.stderr.startswith("usage: ")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize(("command", "argv", "after"), [
    (CLI, [], "nothing was written"),
    (GT, ["labels.csv", "--stage", "staging"], "rerun the upload (objects are content-addressed, re-uploading is safe)"),
    (REPORT, ["--stage", "staging"], "rerun the report"),
], ids=["cli", "ground_truth", "report"])
@pytest.mark.slow
def test_sigterm_at_the_first_aws_request_is_one_line_exit_143_and_changes_nothing(tmp_path, command, argv, after):
    """CodeBuild's "Stop build" sends SIGTERM. The endpoint is a socket that accepts and never answers: the signal
    arrives exactly while the process waits for AWS (no sleep, no timing)."""
    import signal
    import socket

    for name, body in {"labels.csv": "inference_id,is_fraud\ntx-1,1\n",
                       "staging.json": (REPO / "staging-monitoring-schedule-config.json").read_text(),
                       "staging-config-export.json": json.dumps({"Parameters": PARAMS}),
                       "s.json": "old\n", "s.parameter-overrides.json": "old\n", "s.tags.json": "old\n"}.items():
        (tmp_path / name).write_text(body)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(60)  # a process that fails before calling AWS must fail the test, not hang it
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        extra = _cli_files(tmp_path) if command is CLI else []
        process = subprocess.Popen([*command, *argv, *extra], cwd=tmp_path, env=_real_env({"AWS_ENDPOINT_URL": url}),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            connection, _ = server.accept()  # the process is now inside its first AWS call
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
            connection.close()
        finally:
            if process.poll() is None:
                process.kill()
    assert (process.returncode, out, err) == (143, "", f"error: terminated (SIGTERM); {after}\n")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
