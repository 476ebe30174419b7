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

from bench.seed import GROUP
from pipelines.template_params import load_template_parameters, validate
from reliability_support import REPO, STAGES, TEMPLATE, registry, world, ws  # noqa: F401 - fixtures

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


@pytest.mark.parametrize("content", ['{"Parameters": {"StageName": "staging",}}', '{"Parameters": {"StageName": 7}}'])
def test_the_real_process_prints_one_error_line_and_no_traceback(tmp_path, content):
    from bench.seed import cli_env

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
