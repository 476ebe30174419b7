"""Baseline objects in S3: read each at most once per run, check it is the document its kind says it is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pipelines import aws
from pipelines.errors import MonitorError
from utils import JsonTooDeep, S3UriError, decode_utf8, json_loads, parse_s3_uri, sha256_hex

# Top-level keys that identify each kind of baseline document (any one of them is enough).
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "statistics": ("features", "dataset"),
    "constraints": ("features",),
    "model-quality-statistics": ("binary_classification_metrics", "multiclass_classification_metrics",
                                 "regression_metrics"),
    "model-quality-constraints": ("binary_classification_constraints", "multiclass_classification_constraints",
                                  "regression_constraints"),
    "clarify-config": ("methods",),
    "bias-constraints": ("pre_training_bias_metrics", "post_training_bias_metrics"),
    "explainability-constraints": ("explanations",),
}
KIND_TITLES = {
    "statistics": "data quality statistics",
    "constraints": "data quality constraints",
    "model-quality-statistics": "model quality statistics",
    "model-quality-constraints": "model quality constraints",
    "clarify-config": "Clarify analysis config",
    "bias-constraints": "bias constraints",
    "explainability-constraints": "explainability constraints",
}


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
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                response = self.s3.get_object(Bucket=bucket, Key=key)
                self._bodies[uri] = response["Body"].read()
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code in ("NoSuchKey", "404"):
                    self._missing[uri] = BaselineProblem(f"{uri} does not exist")
                    raise self._missing[uri] from None
                if code == "NoSuchBucket":
                    self._missing[uri] = BaselineProblem(f"{uri}: bucket '{bucket}' does not exist")
                    raise self._missing[uri] from None
                raise aws.describe_failure(exc, service="s3", operation="GetObject", resource=uri) from exc
            except BotoCoreError as exc:
                raise aws.describe_failure(exc, service="s3", operation="GetObject", resource=uri) from exc
        return self._bodies[uri]

    def list_uris(self, bucket: str, prefix: str) -> set[str]:
        """The s3:// URIs of every object under ``prefix`` (ListObjectsV2, all pages)."""
        from botocore.exceptions import BotoCoreError, ClientError

        found: set[str] = set()
        try:
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                found.update(f"s3://{bucket}/{item['Key']}" for item in page.get("Contents", []))
        except (BotoCoreError, ClientError) as exc:
            raise aws.describe_failure(exc, service="s3", operation="ListObjectsV2",
                                       resource=f"s3://{bucket}/{prefix}") from exc
        return found

    def put(self, uri: str, body: bytes, content_type: str = "application/json") -> None:
        """One PutObject (atomic per object: S3 never shows a partial object)."""
        bucket, key = parse_s3_uri(uri)
        aws.call(self.s3, "PutObject", uri, Bucket=bucket, Key=key, Body=body, ContentType=content_type)
        self._bodies[uri] = body


def load_baseline(objects: S3Objects, baseline: Baseline, kind: str) -> Any:
    """Read, digest-check, parse and shape-check one baseline; its JSON document.

    Raises:
        BaselineProblem: missing, empty, digest mismatch, not JSON, or not a ``kind`` document.
    """
    body = objects.read(baseline.uri)
    title = KIND_TITLES[kind]
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
    keys = KIND_KEYS[kind]
    if not isinstance(document, dict) or not any(key in document for key in keys):
        raise BaselineProblem(f"{baseline.path} {baseline.uri} is not {title} (expected a JSON object with "
                              f"{' or '.join(repr(k) for k in keys)})")
    return document
