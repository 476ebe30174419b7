"""The template's Parameters (ParameterSpec) and CloudFormation-style validation of values; the reader itself is
tested in test_template_yaml.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.core.errors import ConfigError
from pipelines.deploy.template_params import (
    ParameterSpec,
    check_value,
    load_template_parameters,
    validate,
)

TEMPLATE = Path(__file__).resolve().parents[1] / "model-monitor-template.yml"


@pytest.mark.parametrize(
    ("spec", "value", "problems"),
    [
        (ParameterSpec("N", type="Number", min_value=1, max_value=100), "101", ["N is 101, above the maximum 100"]),
        (ParameterSpec("N", type="Number", min_value=1), "0", ["N is 0, below the minimum 1"]),
        (ParameterSpec("N", type="Number"), "ten", ["N must be a number, got 'ten'"]),
        (ParameterSpec("N", type="Number", min_value=0, max_value=1), "0.5", []),
        (ParameterSpec("E", allowed_values=("yes", "no")), "Yes", ["E is 'Yes', allowed: yes, no"]),
        (ParameterSpec("P", allowed_pattern="^(|s3://.+)$"), "", []),
        (ParameterSpec("P", allowed_pattern="^s3://.+$"), "s3:/x",
         ["P 's3:/x' does not match the template's AllowedPattern ^s3://.+$"]),
        (ParameterSpec("P", allowed_pattern="[a-z]+"), "abc1",
         ["P 'abc1' does not match the template's AllowedPattern [a-z]+"]),  # whole value, as CloudFormation
        (ParameterSpec("L", min_length=2, max_length=3), "abcd", ["L is 4 characters, longer than 3"]),
        (ParameterSpec("L", min_length=2), "a", ["L 'a' is shorter than 2 characters"]),
        (ParameterSpec("C", type="CommaDelimitedList", allowed_values=("a", "b")), "a,c", ["C is 'c', allowed: a, b"]),
    ],
)
def test_check_value_reports_what_cloudformation_would(spec, value, problems):
    assert check_value(spec, value) == problems


def test_validate_reports_unknown_keys_and_missing_required_values():
    specs = load_template_parameters(TEMPLATE)
    problems = validate({"StageName": "staging", "EnableDataQualtyMonitor": "yes"}, specs)
    assert problems[0] == "unknown template parameter 'EnableDataQualtyMonitor'; did you mean 'EnableDataQualityMonitor'?"
    assert problems[1:4] == ["SageMakerProjectName is required by the template and has no value",
                             "SageMakerProjectId is required by the template and has no value",
                             "EndpointName is required by the template and has no value"]


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("fraud-detect-staging", []),
        ("b" * 42, []),  # the longest suffix, -model-explainability, makes exactly 63
        ("b" * 43, ["schedule name '" + "b" * 43 + "-model-explainability' is 64 characters, over SageMaker's 63; "
                    "shorten MonitoringScheduleBaseName or the project name"]),
        ("fraud_detect", ["schedule name 'fraud_detect-data-quality' must match ^[a-zA-Z0-9](-*[a-zA-Z0-9])*$ "
                          "(letters, digits, hyphens)"]),
    ],
)
def test_derived_schedule_names_are_checked_against_sagemaker_rules(base, expected):
    specs = {"MonitoringScheduleBaseName": ParameterSpec("MonitoringScheduleBaseName")}
    assert [p for p in validate({"MonitoringScheduleBaseName": base}, specs) if p.startswith("schedule")][:1] == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"ScheduleExpression": "NOW"}, ["ScheduleExpression NOW needs DataAnalysisStartTime and DataAnalysisEndTime "
                                         "(e.g. -PT1H and -PT0H)"]),
        ({"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT25H", "DataAnalysisEndTime": "-PT0H"},
         ["the NOW analysis window -PT25H to -PT0H is 25 hours; SageMaker allows at most 24"]),
        ({"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "-PT2H"},
         ["DataAnalysisStartTime -PT1H must be earlier than DataAnalysisEndTime -PT2H"]),
        ({"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT24H", "DataAnalysisEndTime": "-PT0H"}, []),
        ({"ScheduleExpression": "cron(0 * ? * * *)", "DataAnalysisStartTime": "-PT1H"},
         ["DataAnalysisStartTime / DataAnalysisEndTime apply only with ScheduleExpression NOW; remove them or set NOW"]),
        ({"ScheduleExpression": "cron(0 0/6 ? * * *)"}, []),
        ({"ScheduleExpression": "cron(0 12 ? * * *)"}, []),
        ({"SubnetIds": "subnet-0123456789abcdef0"}, ["SubnetIds and SecurityGroupIds must be set together "
                                                     "(a VPC needs both)"]),
    ],
)
def test_product_rules_catch_what_sagemaker_rejects_only_at_run_time(params, expected):
    from pipelines.deploy.template_params import product_rules

    assert product_rules(params, load_template_parameters(TEMPLATE)) == expected


# ---- the reader is exact for what it accepts (PyYAML decides), and refuses the rest with a line number ----------
def test_a_quoted_default_with_a_trailing_comment_is_the_quoted_text():
    specs = load_template_parameters_from_text('Parameters:\n  EnableX:\n    Type: String\n'
                                               '    Default: "yes"  # on by default\n    AllowedValues: ["yes", "no"]\n')
    assert (specs["EnableX"].default, specs["EnableX"].allowed_values) == ("yes", ("yes", "no"))


def test_a_template_that_is_not_utf8_is_one_config_error(tmp_path):
    path = tmp_path / "t.yml"
    path.write_bytes(b"Parameters:\n  P:\n    Description: caf\xe9\n")
    with pytest.raises(ConfigError) as exc:
        load_template_parameters(path)
    assert str(exc.value) == f"template {path} is not UTF-8 text (line 3); save it as UTF-8"


def load_template_parameters_from_text(text, tmp=None):
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "t.yml"
        path.write_text(text)
        return load_template_parameters(path)
