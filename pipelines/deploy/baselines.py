"""Baseline objects in S3: read each at most once per run, check it is the document its kind says it is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pipelines.core import aws
from pipelines.core.errors import MonitorError, NotFoundError
from pipelines.core.files import JsonTooDeep, decode_utf8, json_loads, sha256_hex
from pipelines.core.s3uri import S3UriError, parse_s3_uri

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


class BaselineProblem(MonitorError):
    """When a baseline object is missing, unreadable, not JSON, or not the kind of document expected."""


@dataclass(frozen=True)
class Baseline:
    """One registry DriftCheckBaselines entry."""

    path: str  # e.g. ModelDataQuality.Statistics
    uri: str
    digest: str = ""  # ContentDigest from the registry, e.g. sha256:<hex>


def registry_baselines(drift_check_baselines: dict[str, Any]) -> dict[str, Baseline]:
    """Flatten DriftCheckBaselines to {'ModelDataQuality.Statistics': Baseline, ...} (only entries with an S3Uri)."""
    found = {}
    for section, members in sorted((drift_check_baselines or {}).items()):
        for name, value in sorted((members or {}).items()):
            if isinstance(value, dict) and value.get("S3Uri"):
                path = f"{section}.{name}"
                found[path] = Baseline(path=path, uri=value["S3Uri"], digest=value.get("ContentDigest", ""))
    return found


class S3Objects:
    """A per-run cache over S3: every object is fetched at most once."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3
        self._bodies: dict[str, bytes] = {}
        self._missing: dict[str, BaselineProblem] = {}  # also read once: both stages see the same answer

    def read(self, uri: str) -> bytes:
        """The object's bytes (cached). Raises BaselineProblem for a bad URI or missing object, AwsError otherwise."""
        if uri in self._missing:
            raise self._missing[uri]
        if uri not in self._bodies:
            try:
                bucket, key = parse_s3_uri(uri)
            except S3UriError as exc:
                raise BaselineProblem(str(exc)) from None
            try:
                self._bodies[uri] = aws.read_object(self.s3, bucket, key)
            except NotFoundError as exc:
                if exc.code not in ("NoSuchKey", "404", "NoSuchBucket"):
                    raise
                self._missing[uri] = BaselineProblem(f"{uri} does not exist" if exc.code != "NoSuchBucket"
                                                     else f"{uri}: bucket '{bucket}' does not exist")
                raise self._missing[uri] from None
        return self._bodies[uri]

    def list_uris(self, bucket: str, prefix: str) -> set[str]:
        """The s3:// URIs of every object under ``prefix`` (ListObjectsV2, all pages)."""
        found: set[str] = set()
        for page in aws.paginate(self.s3, "ListObjectsV2", f"s3://{bucket}/{prefix}", Bucket=bucket, Prefix=prefix):
            found.update(f"s3://{bucket}/{item['Key']}" for item in page.get("Contents", []))
        return found

    def put(self, uri: str, body: bytes, content_type: str = "application/json") -> None:
        """One PutObject (atomic per object: S3 never shows a partial object)."""
        bucket, key = parse_s3_uri(uri)
        aws.call(self.s3, "PutObject", uri, Bucket=bucket, Key=key, Body=body, ContentType=content_type)
        self._bodies[uri] = body


def load_baseline(objects: S3Objects, baseline: Baseline, kind: str,
                  registry: dict[str, Baseline] | None = None) -> Any:
    """Read, digest-check, parse and shape-check one baseline; its JSON document.

    ``registry`` (the package's other baselines) lets a wrong-kind message name where that kind is registered.

    Raises:
        BaselineProblem: missing, empty, digest mismatch, not JSON, or not a ``kind`` document.
    """
    body = objects.read(baseline.uri)
    if not body.strip():
        raise BaselineProblem(f"{baseline.path} {baseline.uri} is empty")
    if baseline.digest:
        algorithm, _, expected = baseline.digest.partition(":")
        if algorithm.lower() == "sha256" and expected and expected.lower() != sha256_hex(body):
            raise BaselineProblem(f"{baseline.path} {baseline.uri} does not match its registry ContentDigest "
                                  f"{baseline.digest} (the object changed after registration)")
    text = decode_utf8(body, f"{baseline.path} {baseline.uri}", BaselineProblem, bom=True)
    try:
        document = json_loads(text)
    except JsonTooDeep as exc:
        raise BaselineProblem(f"{baseline.path} {baseline.uri} is not a baseline: {exc}") from None
    except json.JSONDecodeError:
        raise BaselineProblem(f"{baseline.path} {baseline.uri} is not JSON") from None
    kinds = document_kinds(document)
    if kind not in kinds:
        raise BaselineProblem(_wrong_kind(baseline, kind, kinds, registry or {}))
    return document


def _wrong_kind(baseline: Baseline, kind: str, found: list[str], registry: dict[str, Baseline]) -> str:
    """One line: what the path should hold, what the object looks like, and where that kind is registered."""
    from pipelines.core.monitors import SOURCE_KINDS

    head = f"{baseline.path} {baseline.uri} should be {KIND_TITLES[kind]}"
    if not found:
        return f"{head} but is not (expected a JSON object with {KIND_NEEDS[kind]})"
    looks = " and ".join(KIND_TITLES[k] for k in found)
    elsewhere = [f"{path} is {other.uri}" for path, other in sorted(registry.items())
                 if path != baseline.path and SOURCE_KINDS.get(path) in found]
    where = f" (the registry's {'; '.join(elsewhere)})" if elsewhere else ""
    return f"{head} but looks like {looks}{where}; register the right file in ModelBuild"
