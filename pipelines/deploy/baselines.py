"""Baseline objects in S3: read each at most once per run, check it is the document its kind says it is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pipelines.core import aws
from pipelines.core.errors import MonitorError, NotFoundError
from pipelines.core.files import JsonTooDeep, decode_utf8, json_loads, sha256_hex
from pipelines.core.s3uri import S3UriError, parse_s3_uri
from pipelines.formats.baseline_kinds import KIND_NEEDS, KIND_TITLES, document_kinds


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
                if exc.missing not in ("object", "bucket"):
                    raise
                self._missing[uri] = BaselineProblem(f"{uri} does not exist" if exc.missing == "object"
                                                     else f"{uri}: bucket '{bucket}' does not exist")
                raise self._missing[uri] from None
        return self._bodies[uri]

    def list_uris(self, bucket: str, prefix: str) -> set[str]:
        """The s3:// URIs of every object under ``prefix`` (ListObjectsV2, all pages)."""
        return {f"s3://{bucket}/{item['Key']}" for item in aws.list_objects(self.s3, bucket, prefix)}

    def put(self, uri: str, body: bytes, content_type: str = "application/json") -> None:
        """One PutObject (atomic per object: S3 never shows a partial object)."""
        bucket, key = parse_s3_uri(uri)
        aws.put_object(self.s3, bucket, key, body, content_type)
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
