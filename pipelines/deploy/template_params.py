"""The template's parameters as CloudFormation sees them (ParameterSpec, read by pipelines.deploy.template_yaml) and the
checks CloudFormation and SageMaker apply to their values, all problems at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.core.errors import ConfigError
from pipelines.core.files import decode_utf8
from pipelines.core.monitors import SCHEDULE_SUFFIXES
from pipelines.deploy.template_yaml import read_parameters_block

NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
NAME_MAX = 63  # MonitoringScheduleName / JobDefinitionName: 1-63 chars (botocore checks only the minimum)
# Number parameters: CloudFormation passes the text on; SageMaker and CloudWatch parse it as JSON numbers do.
PLAIN_NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")
INT_RE = re.compile(r"-?[0-9]+")
# Number parameters that reach an *integer* SageMaker field (botocore data/sagemaker/2017-07-24/service-2.json:
# ProcessingInstanceCount, ProcessingVolumeSizeInGB, MonitoringMaxRuntimeInSeconds are "type": "integer").
INTEGER_PARAMETERS = {"InstanceCount": "SageMaker's MonitoringClusterConfig.InstanceCount",
                      "VolumeSizeInGB": "SageMaker's MonitoringClusterConfig.VolumeSizeInGB",
                      "MaxRuntimeInSeconds": "SageMaker's MonitoringStoppingCondition.MaxRuntimeInSeconds",
                      # the missed-run alarms' EvaluationPeriods / DatapointsToAlarm (CloudWatch PutMetricAlarm)
                      **{f"{monitor}MissedRunAlarmHours": "CloudWatch's PutMetricAlarm EvaluationPeriods"
                         for monitor in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")},
                      # written into the matured job's offsets, -P<n>DT24H / -P<n>D: ISO-8601 days are whole here
                      "LabelMaturityDays": "the matured model quality job's StartTimeOffset (-P<n>DT24H)"}


@dataclass(frozen=True)
class ParameterSpec:
    """One template parameter as CloudFormation sees it."""

    name: str
    type: str = "String"
    default: str | None = None
    allowed_values: tuple[str, ...] | None = None
    allowed_pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def load_template_parameters(path: Path) -> dict[str, ParameterSpec]:
    """ParameterSpec per template parameter, in template order."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read template {path}: {exc.strerror}; pass --template-file "
                          "or run from the repository root") from exc
    text = decode_utf8(data, f"template {path}", ConfigError)
    specs = {}
    for name, raw in read_parameters_block(text, str(path)).items():
        specs[name] = ParameterSpec(
            name=name,
            type=str(raw.get("Type", "String")),
            default=None if "Default" not in raw else _as_param_string(raw["Default"]),
            allowed_values=tuple(_as_param_string(v) for v in raw["AllowedValues"]) if "AllowedValues" in raw else None,
            allowed_pattern=raw.get("AllowedPattern"),
            min_length=int(raw["MinLength"]) if "MinLength" in raw else None,
            max_length=int(raw["MaxLength"]) if "MaxLength" in raw else None,
            min_value=float(raw["MinValue"]) if "MinValue" in raw else None,
            max_value=float(raw["MaxValue"]) if "MaxValue" in raw else None,
            description=str(raw.get("Description", "")),
        )
    return specs


def _as_param_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def closest(name: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    """The closest valid name for a misspelt one (None when nothing is close)."""
    import difflib

    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if found:
        return found[0]
    lowered = {c.lower(): c for c in candidates}
    return lowered.get(name.lower())


def unknown_name_message(name: str, candidates: list[str] | tuple[str, ...], what: str) -> str:
    """'unknown parameter X (did you mean Y?)' in one place, for stage files and the validator."""
    hint = closest(name, candidates)
    suggestion = f"; did you mean '{hint}'?" if hint else "; see the template's Parameters for valid names"
    return f"unknown {what} '{name}'{suggestion}"


def check_value(spec: ParameterSpec, value: str) -> list[str]:
    """Problems CloudFormation would report for one value (empty list when fine)."""
    problems = []
    name = spec.name
    if not isinstance(value, str):
        return [f"{name} must be a string, got {type(value).__name__}"]
    if spec.type == "Number":
        try:
            number = float(value)
        except ValueError:
            return [f"{name} must be a number, got '{value}'"]
        if not PLAIN_NUMBER_RE.fullmatch(value):
            example = "a whole number such as 1000" if name in INTEGER_PARAMETERS else "e.g. 0.5"
            return [f"{name} '{value}' must be a plain decimal number (digits, optional '-' and '.'), as CloudFormation "
                    f"and SageMaker read it; write {example}, not 1e3, 1_000, nan, inf or spaces"]
        if name in INTEGER_PARAMETERS and not INT_RE.fullmatch(value):
            return [f"{name} is {value}; {INTEGER_PARAMETERS[name]} is an integer, write a whole number"]
        if spec.min_value is not None and number < spec.min_value:
            problems.append(f"{name} is {value}, below the minimum {_fmt(spec.min_value)}")
        if spec.max_value is not None and number > spec.max_value:
            problems.append(f"{name} is {value}, above the maximum {_fmt(spec.max_value)}")
    items = [item.strip() for item in value.split(",")] if spec.type == "CommaDelimitedList" else [value]
    if spec.allowed_values is not None:
        for item in items:
            if item not in spec.allowed_values:
                problems.append(f"{name} is '{item}', allowed: {', '.join(spec.allowed_values)}")
    if spec.type != "Number":
        if spec.min_length is not None and len(value) < spec.min_length:
            problems.append(f"{name} '{value}' is shorter than {spec.min_length} characters")
        if spec.max_length is not None and len(value) > spec.max_length:
            problems.append(f"{name} is {len(value)} characters, longer than {spec.max_length}")
    if spec.allowed_pattern is not None:
        for item in items:
            if re.fullmatch(spec.allowed_pattern, item) is None:
                problems.append(f"{name} '{item}' does not match the template's AllowedPattern {spec.allowed_pattern}")
    return problems


def _fmt(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def validate(params: dict[str, str], specs: dict[str, ParameterSpec]) -> list[str]:
    """Every problem CloudFormation (and SageMaker's name rules) would report, all at once, in a stable order."""
    problems = [unknown_name_message(name, tuple(specs), "template parameter")
                for name in sorted(params) if name not in specs]
    for name, spec in specs.items():
        if name not in params:
            if spec.default is None:
                problems.append(f"{name} is required by the template and has no value")
            continue
        problems.extend(check_value(spec, params[name]))
    base = params.get("MonitoringScheduleBaseName")
    if base is not None:
        for suffix in SCHEDULE_SUFFIXES:
            schedule = base + suffix
            if len(schedule) > NAME_MAX:
                problems.append(f"schedule name '{schedule}' is {len(schedule)} characters, over SageMaker's {NAME_MAX}; "
                                "shorten MonitoringScheduleBaseName or the project name")
            elif not NAME_RE.match(schedule):
                problems.append(f"schedule name '{schedule}' must match {NAME_RE.pattern} (letters, digits, hyphens)")
    return problems + product_rules(params, specs)


# Model Monitor accepts these cron forms only (hourly, daily at an hour, every N hours); see the SageMaker docs
# "Schedule monitoring jobs". CloudFormation would take any string; the first hourly run would then fail.
CRON_RE = re.compile(r"^cron\(0 (\*|([01]?[0-9]|2[0-3])(/([01]?[0-9]|2[0-4]))?) \? \* \* \*\)$")
OFFSET_HOURS_RE = re.compile(r"^-PT([0-9]+)H$")
MAX_WINDOW_HOURS = 24


def product_rules(params: dict[str, str], specs: dict[str, ParameterSpec]) -> list[str]:
    """Rules across parameters that CloudFormation cannot express and SageMaker enforces only at run time."""
    def value(name: str) -> str:
        return params.get(name, specs[name].default or "") if name in specs else params.get(name, "")

    problems = []
    expression = value("ScheduleExpression")
    start, end = value("DataAnalysisStartTime"), value("DataAnalysisEndTime")
    if expression == "NOW":
        if not start or not end:
            problems.append("ScheduleExpression NOW needs DataAnalysisStartTime and DataAnalysisEndTime "
                            "(e.g. -PT1H and -PT0H)")
        else:
            start_match, end_match = OFFSET_HOURS_RE.match(start), OFFSET_HOURS_RE.match(end)
            if start_match and end_match:
                start_h, end_h = int(start_match.group(1)), int(end_match.group(1))
                if start_h <= end_h:
                    problems.append(f"DataAnalysisStartTime {start} must be earlier than DataAnalysisEndTime {end}")
                elif start_h - end_h > MAX_WINDOW_HOURS:
                    problems.append(f"the NOW analysis window {start} to {end} is {start_h - end_h} hours; "
                                    f"SageMaker allows at most {MAX_WINDOW_HOURS}")
    else:
        if expression and expression.startswith("cron(") and not CRON_RE.match(expression):
            problems.append(f"ScheduleExpression '{expression}' is not a Model Monitor schedule; use hourly "
                            "cron(0 * ? * * *), daily cron(0 H ? * * *), every N hours cron(0 H/N ? * * *), or NOW")
        if start or end:
            problems.append("DataAnalysisStartTime / DataAnalysisEndTime apply only with ScheduleExpression NOW; "
                            "remove them or set NOW")
    if bool(value("SubnetIds")) != bool(value("SecurityGroupIds")):
        problems.append("SubnetIds and SecurityGroupIds must be set together (a VPC needs both)")
    return problems
