"""Which Model Monitor or Clarify document a JSON is, by its shape: the deploy CLI checks what the registry points at,
the analyzer checks the baselines it is given."""

from __future__ import annotations

from typing import Any

KIND_TITLES = {
    "statistics": "data quality statistics",
    "constraints": "data quality constraints",
    "model-quality-statistics": "model quality statistics",
    "model-quality-constraints": "model quality constraints",
    "bias-config": "a Clarify bias analysis config",
    "explainability-config": "a Clarify explainability analysis config",
    "bias-constraints": "bias constraints",
    "explainability-constraints": "explainability constraints",
}
# What each kind must hold, for the message when a document is none of them.
KIND_NEEDS = {
    "statistics": "'features' with *_statistics and 'dataset'",
    "constraints": "'features' with completeness/*_constraints or 'monitoring_config'",
    "model-quality-statistics": "'<problem type>_metrics'",
    "model-quality-constraints": "'<problem type>_constraints'",
    "bias-config": "'label_values_or_threshold' and 'facet'",
    "explainability-config": "'methods' with 'shap'",
    "bias-constraints": "'pre_training_bias_metrics' or 'post_training_bias_metrics'",
    "explainability-constraints": "'explanations'",
}
MQ_PROBLEM_TYPES = ("binary_classification", "multiclass_classification", "regression")


def document_kinds(document: Any) -> list[str]:
    """Every kind of baseline document ``document`` is, by its shape (a Clarify processing config can be two).

    Shapes (see tests/fixtures/sdk/README.md for the producers):
    - Model Monitor baselining job: statistics.json has ``dataset`` and ``features[*].<type>_statistics``;
      constraints.json has ``features[*].completeness``/``<type>_constraints`` and ``monitoring_config``. Model
      quality: ``<problem>_metrics`` (statistics, which also has ``dataset``) vs ``<problem>_constraints``.
    - ClarifyCheckStep's monitoring configs: bias = BiasConfig.get_config() + headers/label (no ``methods``),
      explainability = ``methods.shap`` + ``predictor``; a full Clarify processing config may be both.
    - Clarify analysis output: ``pre/post_training_bias_metrics`` or ``explanations``.
    """
    if not isinstance(document, dict):
        return []
    kinds = []
    if any(f"{problem}_metrics" in document for problem in MQ_PROBLEM_TYPES):
        kinds.append("model-quality-statistics")
    if any(f"{problem}_constraints" in document for problem in MQ_PROBLEM_TYPES):
        kinds.append("model-quality-constraints")
    features = document.get("features")
    if isinstance(features, list) and not kinds:
        entries = [f for f in features if isinstance(f, dict)]
        if "dataset" in document or any(k.endswith("_statistics") for f in entries for k in f):
            kinds.append("statistics")
        elif "monitoring_config" in document or any(
                k == "completeness" or k.endswith("_constraints") for f in entries for k in f):
            kinds.append("constraints")
    if "label_values_or_threshold" in document and "facet" in document:
        kinds.append("bias-config")
    methods = document.get("methods")
    if isinstance(methods, dict) and "shap" in methods:
        kinds.append("explainability-config")
    if "pre_training_bias_metrics" in document or "post_training_bias_metrics" in document:
        kinds.append("bias-constraints")
    if "explanations" in document:
        kinds.append("explainability-constraints")
    return kinds
