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


@pytest.mark.slow
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


# ---- the reader is exact for what it accepts (PyYAML decides), and refuses the rest with a line number ----------
ACCEPTED = [
    'Default: "yes"  # stays on',
    "Default: 'it''s'  # single-quoted, '' is a quote",
    "Default: yes-please  # a plain string that is not a YAML 1.1 word",
    "Default: cron(0 * ? * * *)   # trailing comment after a plain scalar",
    "Default: a#b",
    'Default: "caf\\u00e9 \\x41 \\t tab \\" quote \\\\ backslash"',
    "Default: Überwachung ≤ 63 Zeichen",
    'Default: "Überwachung"',
    "Default: 1800",
    "Default: 0.05",
    "Default: -1",
    "Default: ^(|-PT[0-9]+H)$",
    "Default: -PT1H",
    'Default: ""  # empty',
    "AllowedValues: [yes-a, 'b', \"c d\"]  # flow list",
    "AllowedValues: []",
    'Default: "a\tb"',
    "Description: >-\n      first line\n      second line\n\n      after a blank line",
    "Description: |-\n      literal\n      lines",
    "Description: >\n      folded with a final newline",
    "Description: >-  # comment on the indicator line\n      text # not a comment inside a block",
]


@pytest.mark.parametrize("attribute", ACCEPTED)
def test_the_reader_gives_what_yaml_gives_for_every_form_it_accepts(attribute):
    import yaml

    text = "Parameters:\n  P:\n    Type: String\n    " + attribute + "\nResources: {}\n"
    assert read_parameters_block(text) == yaml.safe_load(text)["Parameters"]


REFUSED = [
    ("Default: yes", "YAML reads the unquoted value yes as something other than this text; write it in quotes: \"yes\""),
    ("Default: Off", "YAML reads the unquoted value Off as something other than this text; write it in quotes: \"Off\""),
    ("Default: null", "YAML reads the unquoted value null as something other than this text; write it in quotes: "
                      "\"null\""),
    ("Default: 1_0", "YAML reads the unquoted value 1_0 as something other than this text; write it in quotes: "
                     "\"1_0\""),
    ("Default: 0123", "YAML reads the unquoted value 0123 as something other than this text; write it in quotes: "
                      "\"0123\""),
    ("Default: 1e3", "YAML reads the unquoted value 1e3 as something other than this text; write it in quotes: "
                     "\"1e3\""),
    ("Default: .inf", "YAML reads the unquoted value .inf as something other than this text; write it in quotes: "
                      "\".inf\""),
    ("Default: 2026-11-28", "YAML reads the unquoted value 2026-11-28 as something other than this text; write it in "
                            "quotes: \"2026-11-28\""),
    ("Default:\tx", "a tab character outside quotes; YAML allows only spaces there, replace it with spaces"),
    ("Default: a\tb", "a tab character outside quotes; YAML allows only spaces there, replace it with spaces"),
    ('Default: "yes" trailing', "unexpected text after the value: 'trailing'"),
    ('Default: "open', "a double-quoted string must end on its line"),
    ('Default: "\\q"', "unknown escape '\\q' in a double-quoted string"),
    ("Default: a: b", "'a: b' is not a plain YAML string this reader accepts; write it in quotes"),
    ("Default: !Ref X", "'!Ref X' is not a plain YAML string this reader accepts; write it in quotes"),
    ("Default:", "'Default' has no value; write Default: \"\" for an empty string"),
    ("Type: Number\n    Type: String", "'Type' appears twice in this parameter; keep one"),
]


@pytest.mark.parametrize(("attribute", "message"), REFUSED, ids=[a for a, _ in REFUSED])
def test_the_reader_refuses_yaml_it_cannot_read_exactly_with_the_line_number(attribute, message):
    text = "Parameters:\n  P:\n    " + attribute.replace("Type: Number\n    ", "Type: Number\n    ") + "\n"
    line = 3 + attribute.count("\n")
    with pytest.raises(ConfigError) as exc:
        read_parameters_block(text, "t.yml")
    assert str(exc.value) == f"t.yml line {line}: {message}"


def test_a_tab_in_the_indentation_is_refused_with_its_line_number():
    with pytest.raises(ConfigError) as exc:
        read_parameters_block("Parameters:\n  P:\n\tType: String\n", "t.yml")
    assert str(exc.value) == ("t.yml line 3: a tab character outside quotes; YAML allows only spaces there, "
                              "replace it with spaces")


def test_a_parameter_declared_twice_is_refused():
    with pytest.raises(ConfigError) as exc:
        read_parameters_block("Parameters:\n  P:\n    Type: String\n  P:\n    Type: Number\n", "t.yml")
    assert str(exc.value) == "t.yml line 4: parameter 'P' appears twice; keep one"


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


@pytest.mark.parametrize(("char", "shown"), [("\x0c", "'\\x0c'"), ("\x1b", "'\\x1b'"), ("\u2028", "'\\u2028'"),
                                             ("\x85", "'\\x85'")])
def test_a_character_yaml_forbids_or_reads_as_a_line_break_is_refused_with_its_line(char, shown):
    with pytest.raises(ConfigError) as exc:
        read_parameters_block(f"Parameters:\n  P:\n    Description: a{char}b\n", "t.yml")
    assert str(exc.value) == f"t.yml line 3: the character {shown} is not allowed in YAML; remove it"
