"""Offline judges for model-monitor-template.yml: render it, check it against the SageMaker API, moto and cfn-lint.

Reusable by any test: `render`, `render_stack`, `api_problems`, `alerting_problems`, `create_job_definitions_in_moto`,
`cfn_lint`, `sample_parameters`.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import botocore.session
from botocore.model import Shape
from botocore.validate import ParamValidator
from cloud_radar.cf.unit import Template
from cloud_radar.cf.unit._template import validate_parameter_constraints

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "model-monitor-template.yml"

BUCKET = "s3://fraud-monitor-outputs-123456789012"
MODEL_MONITOR_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY_IMAGE = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"

# CloudFormation type -> (SageMaker Create* operation, MonitoringType of a schedule that uses it).
JOB_DEFINITION_TYPES: dict[str, tuple[str, str]] = {
    "AWS::SageMaker::DataQualityJobDefinition": ("CreateDataQualityJobDefinition", "DataQuality"),
    "AWS::SageMaker::ModelQualityJobDefinition": ("CreateModelQualityJobDefinition", "ModelQuality"),
    "AWS::SageMaker::ModelBiasJobDefinition": ("CreateModelBiasJobDefinition", "ModelBias"),
    "AWS::SageMaker::ModelExplainabilityJobDefinition": (
        "CreateModelExplainabilityJobDefinition",
        "ModelExplainability",
    ),
}
SCHEDULE_TYPE = "AWS::SageMaker::MonitoringSchedule"
ALARM_TYPE = "AWS::CloudWatch::Alarm"
RULE_TYPE = "AWS::Events::Rule"
MONITOR_PREFIXES = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")  # template parameter prefixes
# Top-level properties CloudFormation accepts on these types but the Create* API input does not have.
CFN_ONLY_PROPERTIES = frozenset({"EndpointName"})
# MonitoringScheduleName / JobDefinitionName: botocore checks only the minimum length (facts.md).
SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
_NO_VALUE = "<<AWS::NoValue>>"


class TemplateRuleError(ValueError):
    """When a parameter set breaks one of the template's Rules (CloudFormation would refuse the deployment)."""


class _Template(Template):
    """cloud-radar's Template with the two fixes this template needs (see the comments)."""

    # cloud-radar's AWS::NoValue sentinel is "", so it also deletes every property that resolves to an empty
    # string; CloudFormation would send that "" to SageMaker. A distinct sentinel keeps real empty strings visible.
    NoValue = _NO_VALUE

    def set_parameters(self, parameters: dict[str, str] | None = None) -> None:
        """Like cloud-radar's, but checks Number parameters as numbers (cloud-radar int()s "0.5" and fails)."""
        parameters = parameters or {}
        t_params = self.template["Parameters"]
        unknown = sorted(set(parameters) - set(t_params))
        if unknown:
            raise ValueError(f"parameters not in the template: {', '.join(unknown)}")
        for name, definition in t_params.items():
            if name not in parameters and "Default" not in definition:
                raise ValueError(f"parameter {name} has no Default and no value")
            value = str(parameters.get(name, definition.get("Default")))
            if definition["Type"] == "Number":
                _check_number(name, definition, value)
            else:
                validate_parameter_constraints(name, definition, value)
                pattern = definition.get("AllowedPattern")
                if pattern and not re.fullmatch(pattern, value):  # CloudFormation matches the whole value
                    raise ValueError(f"Value {value!r} does not match the AllowedPattern for parameter {name}")
            definition["Value"] = value

    def resolve_values(self, data: Any) -> Any:
        """Like cloud-radar's, but a Step Functions Choice rule's JSONata ``Condition`` stays a string.

        cloud-radar reads every ``{"Condition": "<string>"}`` as Fn::Condition; inside a state machine Definition it is
        the rule's JSONata expression (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html).
        """
        if isinstance(data, dict) and str(data.get("Condition", "")).lstrip().startswith("{%"):
            return {key: value if key == "Condition" else self.resolve_values(value) for key, value in data.items()}
        return super().resolve_values(data)

    def evaluate_rules(self) -> list[str]:
        """AssertDescriptions of the failed Rules assertions (cloud-radar ignores the Rules section)."""
        failed: list[str] = []
        for rule in copy.deepcopy(self.template.get("Rules", {})).values():
            if "RuleCondition" in rule and not self.resolve_values(rule["RuleCondition"]):
                continue
            for assertion in rule["Assertions"]:
                if not self.resolve_values(assertion["Assert"]):
                    failed.append(assertion["AssertDescription"])
        return failed


def _check_number(name: str, definition: dict[str, Any], value: str) -> None:
    """Raise ValueError unless value is a number within the parameter's MinValue / MaxValue."""
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"Value {value!r} of parameter {name} is not a number") from None
    if "MinValue" in definition and number < float(definition["MinValue"]):
        raise ValueError(f"Value {value} is below the minimum value for parameter {name}")
    if "MaxValue" in definition and number > float(definition["MaxValue"]):
        raise ValueError(f"Value {value} is above the maximum value for parameter {name}")


def _contains(value: Any, needle: str) -> bool:
    """Whether needle occurs as a string anywhere in a nested structure."""
    if isinstance(value, dict):
        return any(_contains(v, needle) for v in value.values())
    if isinstance(value, list):
        return any(_contains(v, needle) for v in value)
    return value == needle


@functools.lru_cache(maxsize=4)
def _parsed_template(path: Path, mtime_ns: int) -> dict[str, Any]:
    """The template as cloud-radar loads it (short-form tags expanded); parsed once per file version."""
    with contextlib.redirect_stdout(io.StringIO()):  # cloud-radar's hook runner prints every Template it builds
        return _Template.from_yaml(path).template


def _sorted_copy(value: Any) -> Any:
    """A deep copy with every mapping's keys sorted (what a yaml.dump / yaml.load round trip gives)."""
    if isinstance(value, dict):
        return {key: _sorted_copy(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_copy(item) for item in value]
    return copy.copy(value)


class _CopyNotYaml:
    """Stands in for the ``yaml`` module inside cloud-radar's Template while a parameter set renders.

    Template.__init__ dumps the template to a YAML string and render() loads it back, only to start from a fresh
    copy: for this template that round trip was ~0.25 s of every render (most of test_template.py's time). A deep
    copy of the already parsed dict, keys sorted at every level as yaml.dump sorts them, is the same fresh copy.
    Loading the file (from_yaml) still uses real YAML.
    """

    FullLoader = None

    @staticmethod
    def dump(template: dict[str, Any]) -> dict[str, Any]:
        return _sorted_copy(template)

    @staticmethod
    def load(raw: dict[str, Any], Loader: Any = None) -> dict[str, Any]:  # noqa: N803 - yaml.load's own name
        return copy.deepcopy(raw)


@contextlib.contextmanager
def _without_yaml_round_trip() -> Any:
    import cloud_radar.cf.unit._template as cloud_radar_template

    real = cloud_radar_template.yaml
    cloud_radar_template.yaml = _CopyNotYaml
    try:
        yield
    finally:
        cloud_radar_template.yaml = real


def render_stack(params: dict[str, str], region: str = "us-east-1") -> dict[str, Any]:
    """The template after Rules, Conditions and intrinsic functions: {"Resources": ..., "Outputs": ...}."""
    parsed = _parsed_template(TEMPLATE_PATH, TEMPLATE_PATH.stat().st_mtime_ns)
    with contextlib.redirect_stdout(io.StringIO()), _without_yaml_round_trip():
        template = _Template(copy.deepcopy(parsed))
        stack = template.create_stack(params=params, region=region)
    failed = template.evaluate_rules()
    if failed:
        raise TemplateRuleError("; ".join(failed))
    rendered = {"Resources": stack["Resources"], "Outputs": stack.get("Outputs", {})}
    # CloudFormation removes AWS::NoValue list items too; cloud-radar does not, and this template has none.
    if _contains(rendered, _NO_VALUE):
        raise ValueError("AWS::NoValue left in a list: the renderer cannot resolve it like CloudFormation")
    return rendered


def render(params: dict[str, str], region: str = "us-east-1") -> dict[str, Any]:
    """The resources CloudFormation would create for this parameter set (conditions applied)."""
    return render_stack(params, region)["Resources"]


def _sagemaker_model() -> botocore.model.ServiceModel:
    """The SageMaker service model of the installed botocore."""
    return botocore.session.get_session().get_service_model("sagemaker")


def coerce(value: Any, shape: Shape) -> Any:
    """Convert parameter strings to the API shape's type, as CloudFormation does ("1" -> 1, "true" -> True)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: coerce(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [coerce(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: coerce(v, shape.value) for k, v in value.items()}
    if isinstance(value, str):
        if shape.type_name in ("integer", "long") and re.fullmatch(r"-?[0-9]+", value):
            return int(value)
        if shape.type_name in ("float", "double") and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
            return float(value)
        if shape.type_name == "boolean" and value.lower() in ("true", "false"):
            return value.lower() == "true"
    if shape.type_name == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _empty_strings(value: Any, path: str) -> list[str]:
    """Paths of empty-string values (CloudFormation would pass them on; the API rejects or misreads them)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _empty_strings(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _empty_strings(v, f"{path}[{i}]")]
    return [path] if value == "" else []


def generated_name(logical_id: str) -> str:
    """A stand-in for the name CloudFormation generates for a resource without an explicit name."""
    return f"{logical_id}-0123456789ab"


generated_job_definition_name = generated_name


def api_requests(resources: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Rendered SageMaker monitoring resources as (Create* operation, coerced API input) per logical id."""
    model = _sagemaker_model()
    requests: dict[str, tuple[str, dict[str, Any]]] = {}
    for logical_id, resource in resources.items():
        props = {k: v for k, v in resource.get("Properties", {}).items() if k not in CFN_ONLY_PROPERTIES}
        if resource["Type"] in JOB_DEFINITION_TYPES:
            operation = JOB_DEFINITION_TYPES[resource["Type"]][0]
            props = {"JobDefinitionName": generated_job_definition_name(logical_id), **props}
        elif resource["Type"] == SCHEDULE_TYPE:
            operation = "CreateMonitoringSchedule"
            config = props.get("MonitoringScheduleConfig", {})
            target = str(config.get("MonitoringJobDefinitionName", ""))
            if target.endswith(".JobDefinitionName"):  # cloud-radar's placeholder for !GetAtt X.JobDefinitionName
                props["MonitoringScheduleConfig"] = {
                    **config,
                    "MonitoringJobDefinitionName": generated_job_definition_name(target.split(".")[0]),
                }
        else:
            continue
        requests[logical_id] = (operation, coerce(props, model.operation_model(operation).input_shape))
    return requests


def _schedule_target_problems(logical_id: str, resource: dict[str, Any], resources: dict[str, Any]) -> list[str]:
    """Problems with the job definition a schedule points at (exists in this render, matching MonitoringType)."""
    config = resource.get("Properties", {}).get("MonitoringScheduleConfig", {})
    target = str(config.get("MonitoringJobDefinitionName", ""))
    if not target.endswith(".JobDefinitionName"):
        return [f"{logical_id}: MonitoringJobDefinitionName is not !GetAtt <job definition>.JobDefinitionName"]
    target_id = target.split(".")[0]
    if target_id not in resources:
        return [f"{logical_id}: job definition {target_id} is not deployed with this parameter set"]
    expected = JOB_DEFINITION_TYPES.get(resources[target_id]["Type"], ("", "?"))[1]
    if config.get("MonitoringType") != expected:
        return [f"{logical_id}: MonitoringType {config.get('MonitoringType')!r} but {target_id} is {expected}"]
    return []


def api_problems(resources: dict[str, Any]) -> list[str]:
    """Everything the SageMaker API would reject in the rendered job definitions and schedules."""
    model = _sagemaker_model()
    validator = ParamValidator()
    problems: list[str] = []
    for logical_id, (operation, request) in api_requests(resources).items():
        report = validator.validate(request, model.operation_model(operation).input_shape)
        if report.has_errors():
            problems += [f"{logical_id} ({operation}): {line}" for line in report.generate_report().splitlines()]
        problems += [f"{logical_id}: empty string at {p}" for p in _empty_strings(request, "")]
        for key in ("JobDefinitionName", "MonitoringScheduleName"):
            name = request.get(key)
            if isinstance(name, str) and not (len(name) <= 63 and SAGEMAKER_NAME.match(name)):
                problems.append(f"{logical_id}: {key} {name!r} is not 1-63 of [a-zA-Z0-9-] without a leading '-'")
        if operation == "CreateMonitoringSchedule":
            problems += _schedule_target_problems(logical_id, resources[logical_id], resources)
    return problems


def alerting_requests(resources: dict[str, Any]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    """Rendered alarms and EventBridge rules as the API calls CloudFormation makes: (service, operation, input).

    An alarm is one PutMetricAlarm; a rule is PutRule (EventPattern as the JSON string the API takes) and, when it
    has targets, PutTargets on the same rule name.
    """
    session = botocore.session.get_session()
    shapes = {
        ("cloudwatch", "PutMetricAlarm"): session.get_service_model("cloudwatch").operation_model("PutMetricAlarm"),
        ("events", "PutRule"): session.get_service_model("events").operation_model("PutRule"),
        ("events", "PutTargets"): session.get_service_model("events").operation_model("PutTargets"),
    }

    def call(service: str, operation: str, request: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return service, operation, coerce(request, shapes[(service, operation)].input_shape)

    requests: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for logical_id, resource in resources.items():
        props = dict(resource.get("Properties", {}))
        if resource["Type"] == ALARM_TYPE:
            requests[logical_id] = [call("cloudwatch", "PutMetricAlarm",
                                         {"AlarmName": generated_name(logical_id), **props})]
        elif resource["Type"] == RULE_TYPE:
            name = props.pop("Name", generated_name(logical_id))
            targets = props.pop("Targets", None)
            pattern = props.get("EventPattern")
            rule = {"Name": name, **props}
            if pattern is not None:
                rule["EventPattern"] = json.dumps(pattern, sort_keys=True)
            requests[logical_id] = [call("events", "PutRule", rule)]
            if targets is not None:
                requests[logical_id].append(call("events", "PutTargets", {"Rule": name, "Targets": targets}))
    return requests


def alerting_problems(resources: dict[str, Any]) -> list[str]:
    """Everything CloudWatch / EventBridge would reject in the rendered alarms, rules and targets."""
    session = botocore.session.get_session()
    validator = ParamValidator()
    problems: list[str] = []
    for logical_id, calls in alerting_requests(resources).items():
        for service, operation, request in calls:
            shape = session.get_service_model(service).operation_model(operation).input_shape
            report = validator.validate(request, shape)
            if report.has_errors():
                problems += [f"{logical_id} ({operation}): {line}" for line in report.generate_report().splitlines()]
            problems += [f"{logical_id}: empty string at {p}" for p in _empty_strings(request, "")]
    return problems


_DESCRIBE = {
    "CreateDataQualityJobDefinition": "describe_data_quality_job_definition",
    "CreateModelQualityJobDefinition": "describe_model_quality_job_definition",
    "CreateModelBiasJobDefinition": "describe_model_bias_job_definition",
    "CreateModelExplainabilityJobDefinition": "describe_model_explainability_job_definition",
}


def create_job_definitions_in_moto(resources: dict[str, Any], region: str = "us-east-1") -> dict[str, dict]:
    """Create every rendered job definition in moto and return each describe_* response by logical id."""
    import boto3
    from moto import mock_aws

    described: dict[str, dict] = {}
    with mock_aws():
        client = boto3.client(
            "sagemaker", region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        for logical_id, (operation, request) in api_requests(resources).items():
            if operation not in _DESCRIBE:
                continue  # moto 5.2 has no monitoring schedules (NotImplementedError)
            getattr(client, _snake(operation))(**request)
            describe = getattr(client, _DESCRIBE[operation])
            described[logical_id] = describe(JobDefinitionName=request["JobDefinitionName"])
    return described


def _snake(operation: str) -> str:
    """CreateDataQualityJobDefinition -> create_data_quality_job_definition."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def parameter_file(params: dict[str, str]) -> list[dict[str, str]]:
    """The only parameter-file format cfn-lint accepts: a list of {ParameterKey, ParameterValue}."""
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(params.items())]


def _cfn_lint_binary() -> str:
    """cfn-lint of the running interpreter's environment (`python -m cfnlint` has no __main__), else PATH's."""
    beside = Path(sys.executable).parent / "cfn-lint"
    found = str(beside) if beside.exists() else shutil.which("cfn-lint")
    if found is None:
        raise RuntimeError("cfn-lint not found next to the Python interpreter or on PATH: pip install cfn-lint")
    return found


def cfn_lint(param_sets: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Findings per named parameter set ("" for findings that hold for the template whatever the parameters).

    One cfn-lint process checks all sets: it takes several --parameter-files and names the file each finding
    comes from (in Filename, or in the message as "from [...]"), which saves ~3 s per set.
    """
    findings: dict[str, list[str]] = {name: [] for name in [*param_sets, ""]}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, params in param_sets.items():
            path = Path(tmp) / f"{re.sub(r'[^A-Za-z0-9_-]', '_', name)}.json"
            path.write_text(json.dumps(parameter_file(params)))
            paths[str(path)] = name
        command = [_cfn_lint_binary(), "--format", "json", str(TEMPLATE_PATH)]
        if paths:
            command += ["--parameter-files", *paths]
        result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
        if result.returncode not in (0, 2, 4, 6, 8, 10, 12, 14) or not result.stdout.strip().startswith("["):
            raise RuntimeError(f"cfn-lint failed to run (exit {result.returncode}): {result.stderr.strip()}")
        for match in json.loads(result.stdout):
            line = match["Location"]["Start"]["LineNumber"]
            text = f"{match['Rule']['Id']} {match['Message']} ({match['Filename']}:{line})"
            owners = {paths[p] for p in paths if p == match["Filename"] or p in match["Message"]}
            for owner in owners or {""}:
                findings[owner].append(text.replace(tmp + "/", "").replace(f"{REPO_ROOT}/", ""))
    return findings


def sample_parameters(stage: str = "staging", **overrides: str) -> dict[str, str]:
    """A complete, realistic parameter set for a stage, as the CLI writes it (all values strings)."""
    project, project_id = "fraud-detection", "p-1a2b3c4d5e6f"
    endpoint = f"{project}-{stage}"
    baselines = f"{BUCKET}/baselines/{project}-{project_id}/7"  # ModelBuild artifacts of package version 7
    derived = f"{BUCKET}/derived/{project}-{project_id}/7"  # files the CLI writes (merged bias, adjusted config)
    params = {
        "SageMakerProjectName": project,
        "SageMakerProjectId": project_id,
        "StageName": stage,
        "EndpointName": endpoint,
        "MonitoringScheduleBaseName": endpoint,
        "ModelMonitorRoleArn": "arn:aws:iam::123456789012:role/fraud-model-monitor",
        "ModelMonitorImageUri": MODEL_MONITOR_IMAGE,
        "ClarifyImageUri": CLARIFY_IMAGE,
        "ScheduleExpression": "cron(0 * ? * * *)",
        "DataAnalysisStartTime": "",
        "DataAnalysisEndTime": "",
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": "1",
        "VolumeSizeInGB": "20",
        "MaxRuntimeInSeconds": "1800",
        "KmsKeyId": "",
        "SubnetIds": "",
        "SecurityGroupIds": "",
        "EnableInterContainerTrafficEncryption": "true",
        "EnableNetworkIsolation": "true",
        "EnableClarifyNetworkIsolation": "false",
        "EnableDataQualityMonitor": "yes",
        "DataQualityBaselineStatistics": f"{baselines}/data-quality/statistics.json",
        "DataQualityBaselineConstraints": f"{baselines}/data-quality/constraints.json",
        "DataQualityOutputS3Uri": f"{BUCKET}/monitor-output/{stage}/data-quality",
        "EnableModelQualityMonitor": "yes",
        "ModelQualityBaselineConstraints": f"{baselines}/model-quality/constraints.json",
        "ModelQualityOutputS3Uri": f"{BUCKET}/monitor-output/{stage}/model-quality",
        "ProblemType": "BinaryClassification",
        "InferenceAttribute": "",
        "ProbabilityAttribute": "0",
        "ProbabilityThresholdAttribute": "0.5",
        "GroundTruthInput": f"{BUCKET}/ground-truth/{endpoint}",
        "GroundTruthStartTimeOffset": "-P8D",
        "GroundTruthEndTimeOffset": "-P7D",
        "EnableModelBiasMonitor": "yes",
        "ModelBiasBaselineConstraints": f"{derived}/bias/constraints-3f2a9c.json",
        "ModelBiasConfigUri": f"{baselines}/bias/analysis_config.json",
        "ModelBiasOutputS3Uri": f"{BUCKET}/monitor-output/{stage}/model-bias",
        "EnableModelExplainabilityMonitor": "yes",
        "ModelExplainabilityBaselineConstraints": f"{baselines}/explainability/constraints.json",
        "ModelExplainabilityConfigUri": f"{derived}/explainability/analysis_config-8b1d04.json",
        "ModelExplainabilityOutputS3Uri": f"{BUCKET}/monitor-output/{stage}/model-explainability",
        "NotificationTopicArn": "",
        "NotificationEmail": "",
        "ModelQualityAlarmMetric": "recall",
        "ModelQualityAlarmThreshold": "0.82",
        "LabelMaturityDays": "90",
        "ExpectedDailyFrauds": "30",
        "ModelQualityMaturedBaselineConstraints": f"{derived}/model-quality/constraints-matured-5c1e7a.json",
        "ModelQualityMaturedAlarmThreshold": "0.679802",
        "DriftAlarmFeatures": "",
        "DriftAlarmThresholds": "",
        "DataQualityMetricsNamespace": "aws/sagemaker/Endpoints/data-metrics",
        "DataQualityMetricsEndpointDimension": "Endpoint",
        "EnableWatchdog": "yes",  # issue 18: the template's defaults; staging ships StageTraffic intermittent
        "StageTraffic": "continuous",
        "MonitoringEngine": "model-monitor",
        "DataCaptureS3Uri": "",
        "CaptureVariantNames": "AllTraffic",
        **{f"{m}{suffix}": "" for m in MONITOR_PREFIXES for suffix in ("ScheduleExpression", "MaxRuntimeInSeconds")},
        **{f"{m}MissedRunAlarmHours": "26" for m in MONITOR_PREFIXES},
    }
    unknown = sorted(set(overrides) - set(params))
    if unknown:
        raise KeyError(f"not template parameters: {', '.join(unknown)}")
    return {**params, **overrides}
