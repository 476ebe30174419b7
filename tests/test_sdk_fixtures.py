"""Registry artifacts as a real ModelBuild pipeline writes them (tests/fixtures/sdk): regenerated with the
SageMaker SDK, told apart by kind, and all four monitors on with every shape a pipeline registers."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from devtools import seed as seedmod
from devtools.seed import FIXTURES, OUTPUTS_BUCKET
from pipelines.deploy.baselines import document_kinds
from tests.support.sdk import REPO, SDK_PYTHON, needs_sdk_python

MONITOR_PARAMS = ("EnableDataQualityMonitor", "EnableModelQualityMonitor", "EnableModelBiasMonitor",
                  "EnableModelExplainabilityMonitor")


@pytest.mark.slow
def test_the_stored_clarify_configs_are_what_the_installed_sdk_generates():
    needs_sdk_python()
    done = subprocess.run([str(SDK_PYTHON), str(FIXTURES / "generate.py"), "--check"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    report = json.loads(done.stdout)
    assert report["stale"] == []
    readme = (FIXTURES / "README.md").read_text()
    assert f"sagemaker-core {report['sagemaker-core']}" in readme  # the version the fixtures record
    pinned = re.search(r"^sagemaker-core==(\S+)$", (REPO / "requirements-sdk.txt").read_text(), re.M)
    assert pinned and pinned.group(1) == report["sagemaker-core"]


@pytest.mark.parametrize(("fixture", "kinds"), [
    ("data_quality_statistics.json", ["statistics"]),
    ("data_quality_constraints.json", ["constraints"]),
    ("model_quality_statistics.json", ["model-quality-statistics"]),
    ("model_quality_constraints.json", ["model-quality-constraints"]),
    ("bias_monitoring_analysis_config.json", ["bias-config"]),
    ("explainability_monitoring_analysis_config.json", ["explainability-config"]),
    ("clarify_processing_analysis_config.json", ["bias-config", "explainability-config"]),
    ("bias_pre_training_constraints.json", ["bias-constraints"]),
    ("bias_post_training_constraints.json", ["bias-constraints"]),
    ("explainability_constraints.json", ["explainability-constraints"]),
])
def test_each_real_document_is_recognised_as_exactly_its_kind(fixture, kinds):
    assert document_kinds(json.loads((FIXTURES / fixture).read_text())) == kinds


def test_the_sdk_bias_monitoring_config_has_no_methods_and_no_predictor():
    config = seedmod.fixture("bias_monitoring_analysis_config.json")
    assert sorted(config) == ["facet", "headers", "label", "label_values_or_threshold"]


def test_the_sdk_explainability_config_has_no_label_header_and_no_model_name():
    config = seedmod.fixture("explainability_monitoring_analysis_config.json")
    assert "is_fraud" not in config["headers"]
    assert sorted(config["predictor"]) == ["accept_type", "content_type", "initial_instance_count", "instance_type"]


def _enabled(cli) -> dict[str, list[str]]:
    return {stage: [json.loads((cli.tmp / f"{stage}.json").read_text())["Parameters"][p] for p in MONITOR_PARAMS]
            for stage in ("staging", "prod")}


def test_sdk_monitoring_configs_give_four_of_four_monitors_in_both_stages_even_with_strict(cli, seeded):
    result = cli("--strict")
    assert (result.exit_code, result.err) == (0, "")
    assert _enabled(cli) == {"staging": ["yes"] * 4, "prod": ["yes"] * 4}


def test_an_older_pipelines_clarify_processing_config_keeps_all_four_monitors(cli, clients):
    processing = "clarify_processing_analysis_config.json"
    seedmod.seed(*clients, overrides={"Bias.ConfigFile": processing, "Explainability.ConfigFile": processing})
    result = cli("--strict")
    assert (result.exit_code, result.err) == (0, "")
    assert _enabled(cli) == {"staging": ["yes"] * 4, "prod": ["yes"] * 4}
    uri = json.loads((cli.tmp / "prod.json").read_text())["Parameters"]["ModelExplainabilityConfigUri"]
    body = clients[1].get_object(Bucket=OUTPUTS_BUCKET, Key=uri.split(f"{OUTPUTS_BUCKET}/")[1])["Body"].read()
    derived = json.loads(body)
    # brought to the shape ClarifyCheckStep registers: SHAP only, no label, and the model the prod endpoint runs
    # instead of the build-time one
    expected = seedmod.fixture("explainability_monitoring_analysis_config.json")
    expected["predictor"]["model_name"] = "fraud-detect-prod-v3"
    assert {k: v for k, v in derived.items() if k not in ("dataset_type", "facet", "label_values_or_threshold",
                                                          "probability_threshold")} == expected
