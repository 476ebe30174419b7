"""Files the CLI derives from registry baselines, at content-addressed keys in the monitor outputs bucket.

Never written over the ModelBuild artifacts: keys are
``s3://<bucket>/derived-baselines/<group>/<version>/<monitor>/<name>-<sha256[:16]>.json``, so unchanged inputs
give the same key and a rerun writes nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from pipelines.core.files import canonical_json, sha256_hex
from pipelines.core.s3uri import parse_s3_uri, s3_uri

if TYPE_CHECKING:  # typing only: this module stays free of AWS code
    from pipelines.deploy.baselines import S3Objects

DERIVED_PREFIX = "derived-baselines"


@dataclass(frozen=True)
class DerivedFile:
    """One derived document: where it goes and its exact bytes."""

    uri: str
    body: bytes
    param: str
    description: str


def derived_key(group: str, version: int, monitor_key: str, name: str, body: bytes) -> str:
    """The content-addressed key of a derived file."""
    return f"{DERIVED_PREFIX}/{group}/{version}/{monitor_key}/{name}-{sha256_hex(body)[:16]}.json"


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def merged_bias_constraints(documents: list[Any], model_name: str | None) -> tuple[str, Any]:
    """One bias constraints document from the pre- and post-training ones (post wins on a clash)."""
    pre, post = documents
    return "constraints", _deep_merge(pre, post)


def explainability_config(documents: list[Any], model_name: str | None) -> tuple[str, Any]:
    """The monitoring analysis config with ``predictor.model_name`` set to the model the endpoint runs.

    ClarifyCheckStep registers it without ``model_name`` (``_upload_monitoring_analysis_config`` pops it; the build
    model is gone by the time the monitor runs), so it is added here. An older pipeline's full Clarify processing
    config is brought to the same shape: the explainability job runs SHAP only (``ExplainabilityAnalysisConfig``)
    on captured requests, which carry no label column, so other methods and the label are dropped.
    """
    (config,) = documents
    adjusted = copy.deepcopy(config)
    methods = adjusted.get("methods")
    if isinstance(methods, dict) and set(methods) != {"shap"}:
        adjusted["methods"] = {"shap": methods["shap"]}
    label = adjusted.pop("label", None)
    if label is not None and isinstance(adjusted.get("headers"), list):
        adjusted["headers"] = [header for header in adjusted["headers"] if header != label]
    predictor = adjusted.get("predictor")
    adjusted["predictor"] = dict(predictor) if isinstance(predictor, dict) else {}
    adjusted["predictor"]["model_name"] = model_name
    return "analysis-config", adjusted


DERIVERS: dict[str, Callable[[list[Any], str | None], tuple[str, Any]]] = {
    "merged-bias-constraints": merged_bias_constraints,
    "explainability-config": explainability_config,
}


def derive(kind: str, documents: list[Any], *, bucket: str, group: str, version: int, monitor_key: str,
           param: str, model_name: str | None) -> DerivedFile:
    """Build one derived file and its content-addressed URI."""
    name, document = DERIVERS[kind](documents, model_name)
    body = canonical_json(document)
    uri = s3_uri(bucket, derived_key(group, version, monitor_key, name, body))
    return DerivedFile(uri=uri, body=body, param=param, description=f"{monitor_key} {name}")


def derive_document(document: Any, *, bucket: str, group: str, version: int, monitor_key: str, name: str,
                    param: str) -> DerivedFile:
    """A derived file built elsewhere (e.g. the model quality constraints with window-sized thresholds)."""
    body = canonical_json(document)
    uri = s3_uri(bucket, derived_key(group, version, monitor_key, name, body))
    return DerivedFile(uri=uri, body=body, param=param, description=f"{monitor_key} {name}")


def upload_derived(objects: "S3Objects", files: list[DerivedFile], uploaded: list[str]) -> None:
    """PutObject for derived files not yet in S3, appending each URI to ``uploaded`` as its PutObject starts.
    Keys are content-addressed, so one listing of each derived-baselines/<group>/<version>/ prefix says what exists
    (no per-file HeadObject, no 404s)."""
    unique = {file.uri: file for file in files}
    existing: set[str] = set()
    for bucket, prefix in sorted({version_prefix(uri) for uri in unique}):
        existing |= objects.list_uris(bucket, prefix)
    for uri, file in sorted(unique.items()):
        if uri not in existing:
            uploaded.append(uri)
            objects.put(uri, file.body)


def version_prefix(uri: str) -> tuple[str, str]:
    """(bucket, 'derived-baselines/<group>/<version>/') of a derived file's URI."""
    bucket, key = parse_s3_uri(uri)
    return bucket, "/".join(key.split("/")[:3]) + "/"
