"""The template's Parameters section, read without PyYAML, and CloudFormation-style validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import ConfigError
from pipelines.template_params import (
    ParameterSpec,
    check_value,
    load_template_parameters,
    read_parameters_block,
    validate,
)

TEMPLATE = Path(__file__).resolve().parents[1] / "model-monitor-template.yml"


def test_reader_gives_exactly_what_cfn_lint_decodes_from_the_template():
    import cfnlint.decode

    decoded, matches = cfnlint.decode.decode(str(TEMPLATE))
    assert matches == []
    full = {name: {k: (list(v) if isinstance(v, list) else v) for k, v in spec.items()}
            for name, spec in decoded["Parameters"].items()}
    assert read_parameters_block(TEMPLATE.read_text()) == full


def test_reader_rejects_yaml_it_does_not_understand():
    with pytest.raises(ConfigError) as exc:
        read_parameters_block("Parameters:\n  A:\n    Type: String\n   - odd\n", "t.yml")
    assert str(exc.value) == ("t.yml line 4: cannot read this Parameters line; keep the section to 'Name:' mappings "
                              "of scalars, flow lists and '>-' text")


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
    from pipelines.template_params import product_rules

    assert product_rules(params, load_template_parameters(TEMPLATE)) == expected
