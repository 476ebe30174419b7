"""Shared helpers for the reliability tests: a workspace with its own stage configs, an in-process CLI runner,
snapshots of local files and of every S3 object, and an AWS call log that can inject faults per attempt.

Faults go through botocore's own event system: a ``before-send`` handler registered *first* on each client the
CLI builds answers instead of moto (a fake HTTP response, or a raised botocore exception), so botocore's retry
logic, parsers and our error wording all run exactly as they would against AWS.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "model-monitor-template.yml"
STAGES = ("staging", "prod")


# --------------------------------------------------------------------------------------------- workspace + runner
@dataclass
class Result:
    """What one CLI run returned and printed."""

    code: int
    out: str
    err: str


@dataclass
class Workspace:
    """A temp dir holding both stage configs (copies of the repo's) and the six output files."""

    root: Path
    capsys: Any

    def config(self, stage: str) -> Path:
        return self.root / "configs" / f"{stage}-monitoring-schedule-config.json"

    def export(self, stage: str) -> Path:
        return self.root / "out" / f"{stage}-config-export.json"

    def outputs(self) -> list[Path]:
        return [self.root / "out" / f"{stage}-config-export{suffix}" for stage in STAGES
                for suffix in (".json", ".parameter-overrides.json", ".tags.json")]

    def document(self, stage: str) -> dict[str, Any]:
        return json.loads(self.config(stage).read_text())

    def write_config(self, stage: str, content: Any) -> None:
        """Replace a stage config: a str/bytes is written as is, anything else as JSON."""
        path = self.config(stage)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content)
        else:
            path.write_text(json.dumps(content, indent=2))

    def argv(self, *extra: str) -> list[str]:
        base = ["--template-file", str(TEMPLATE)]
        for stage in STAGES:
            base += [f"--import-{stage}-config", str(self.config(stage)),
                     f"--export-{stage}-config", str(self.export(stage))]
        return base + list(extra)

    def run(self, *extra: str, argv: list[str] | None = None) -> Result:
        """Run the CLI in-process; ``argv`` replaces the workspace's default arguments when given."""
        import get_baselines_and_configs

        self.capsys.readouterr()
        code = get_baselines_and_configs.main(self.argv(*extra) if argv is None else argv)
        captured = self.capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return Result(code, captured.out, captured.err)

    def run_module(self, module: str, argv: list[str]) -> Result:
        """Run ``python -m pipelines.<module>``'s main in-process (the day-2 tools), like ``run``."""
        import importlib

        self.capsys.readouterr()
        code = importlib.import_module(f"pipelines.{module}").main(argv)
        captured = self.capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return Result(code, captured.out, captured.err)

    def files(self) -> dict[str, bytes]:
        """Every file under the workspace (hidden temp files included), by relative path."""
        return {str(p.relative_to(self.root)): p.read_bytes() for p in sorted(self.root.rglob("*")) if p.is_file()}

    def seed_old_outputs(self) -> dict[str, bytes]:
        """Put stale bytes in all six output files (as an earlier run would have), return the snapshot."""
        for path in self.outputs():
            if path.is_dir():
                continue
            path.write_bytes(b'{"stale": "' + path.name.encode() + b'"}\n')
        return self.files()


def make_workspace(tmp_path: Path, capsys: Any) -> Workspace:
    workspace = Workspace(root=tmp_path / "ws", capsys=capsys)
    (workspace.root / "configs").mkdir(parents=True)
    (workspace.root / "out").mkdir()
    for stage in STAGES:
        shutil.copyfile(REPO / f"{stage}-monitoring-schedule-config.json", workspace.config(stage))
    return workspace


# ------------------------------------------------------------------------------------------------------- S3 state
def s3_state(s3: Any) -> dict[str, str]:
    """Every object in every bucket: s3://bucket/key -> ETag (moto's is the MD5 of the bytes).

    Under moto's in-process mock the snapshot is read from moto's store (the ETags ListObjectsV2 returns, ~0.1 ms
    instead of ~30 ms of listing per snapshot; tests/test_idempotency.py checks both agree); otherwise by listing.
    """
    from moto.core.models import botocore_stubber

    if botocore_stubber.enabled:
        from moto.s3.models import s3_backends

        from devtools.seed import ACCOUNT

        store = s3_backends[ACCOUNT]["global"]
        return {f"s3://{name}/{key}": obj.etag for name, bucket in store.buckets.items()
                for key, obj in bucket.keys.items()}
    return s3_state_listed(s3)


def s3_state_listed(s3: Any) -> dict[str, str]:
    """``s3_state`` through the S3 API: ListBuckets and ListObjectsV2 of each."""
    state = {}
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            state.update({f"s3://{name}/{obj['Key']}": obj["ETag"] for obj in page.get("Contents", [])})
    return state


def s3_body(s3: Any, uri: str) -> bytes:
    bucket, key = uri[5:].split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def complete_derived_files(s3: Any, before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The objects added between two states; asserts nothing existing changed and each new one is a whole
    derived file (its key's content hash matches its bytes: never a partial object)."""
    from pipelines.core.files import sha256_hex

    assert {uri: etag for uri, etag in after.items() if uri in before} == before
    added = sorted(set(after) - set(before))
    for uri in added:
        body = s3_body(s3, uri)
        assert "/derived-baselines/" in uri, uri
        assert uri.endswith(f"-{sha256_hex(body)[:16]}.json"), uri
        json.loads(body)
    return added


# --------------------------------------------------------------------------------------------- calls and faults
class _Raw:
    """The raw body object botocore's AWSResponse streams from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def error_response(request: Any, service: str, status: int, code: str, message: str) -> Any:
    """A fake AWS error response in the service's wire format (JSON for SageMaker, XML for S3)."""
    from botocore.awsrequest import AWSResponse

    headers = {"x-amzn-RequestId": "fault-injected", "x-amz-request-id": "fault-injected"}
    if service == "sagemaker":
        headers["Content-Type"] = "application/x-amz-json-1.1"
        body = json.dumps({"__type": code, "message": message}).encode()
    elif request.method == "HEAD":  # S3 answers HEAD errors without a body
        body = b""
    else:
        headers["Content-Type"] = "application/xml"
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
                f"<RequestId>fault-injected</RequestId></Error>").encode()
    return AWSResponse(request.url, status, headers, _Raw(body))


# kind -> (HTTP status, SageMaker error code, S3 error code, message)
ERRORS: dict[str, tuple[int, str, str, str]] = {
    "throttling": (400, "ThrottlingException", "SlowDown", "Rate exceeded"),
    "500": (500, "InternalFailure", "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "ServiceUnavailable", "Service is unavailable. Please try again."),
    "access-denied": (400, "AccessDeniedException", "AccessDenied", "Access Denied"),
    "expired-token": (400, "ExpiredTokenException", "ExpiredToken", "The security token included in the request is expired"),
    "validation": (400, "ValidationException", "InvalidArgument", "1 validation error detected"),
    "no-such-bucket": (404, "ResourceNotFound", "NoSuchBucket", "The specified bucket does not exist"),
    "no-such-key": (404, "ResourceNotFound", "NoSuchKey", "The specified key does not exist."),
}
S3_ACCESS_DENIED_STATUS = 403


@dataclass
class Fault:
    """Fail ``operation`` (e.g. 's3.GetObject', '*' for every call) on attempts ``first`` .. ``first+times-1``
    of the matching calls (1-based, counting every attempt, retries included); times None = always."""

    operation: str
    kind: str
    times: int | None = None
    first: int = 1
    seen: int = 0

    def matches(self, service: str, operation: str) -> bool:
        return self.operation in ("*", f"{service}.{operation}")

    def fires(self) -> bool:
        self.seen += 1
        return self.seen >= self.first and (self.times is None or self.seen < self.first + self.times)


@dataclass
class CallLog:
    """Every client the CLI builds reports its API calls and attempts here; faults fire on matching attempts."""

    calls: list[str] = field(default_factory=list)  # one per API call ('s3.GetObject')
    params: list[Any] = field(default_factory=list)  # the request of each call (botocore's serialised form)
    attempts: list[str] = field(default_factory=list)  # one per HTTP attempt, retries included
    faults: list[Fault] = field(default_factory=list)
    fail_call: int | None = None  # 1-based index into calls: answer that call with AccessDenied (no retries)
    edits: dict[str, Any] = field(default_factory=dict)  # 'sagemaker.DescribeEndpoint' -> edit(parsed) in place
    lost: dict[str, int] = field(default_factory=dict)  # 's3.PutObject' -> n: AWS acts, the response is lost n times

    def count(self, name: str, *, attempts: bool = False) -> int:
        return (self.attempts if attempts else self.calls).count(name)

    def install(self, client: Any) -> Any:
        client.meta.events.register("before-call", self._before_call)
        client.meta.events.register("after-call", self._after_call)
        # botocore calls *every* before-send handler and uses the first answer: ours goes first, and when it
        # answers, moto's handler (which would still carry out the request, e.g. store a PutObject) is switched off
        # for that one attempt and switched back on by the last handler.
        client.meta.events.register_first("before-send", self._before_send)
        client.meta.events.register_last("before-send", self._after_moto)
        return client

    def _after_moto(self, request: Any, event_name: str, **_: Any) -> None:
        from botocore.exceptions import ReadTimeoutError
        from moto.core.models import botocore_stubber

        botocore_stubber.enabled = True
        operation = ".".join(event_name.split(".")[1:3])
        if self.lost.get(operation):  # moto has carried the request out by now: only the answer goes missing
            self.lost[operation] -= 1
            raise ReadTimeoutError(endpoint_url=request.url)

    def _before_call(self, model: Any, params: Any, **_: Any) -> None:
        self.calls.append(f"{model.service_model.service_name}.{model.name}")
        self.params.append(params)

    def _after_call(self, parsed: Any, model: Any, **_: Any) -> None:
        edit = self.edits.get(f"{model.service_model.service_name}.{model.name}")
        if edit is not None:
            edit(parsed)

    def _before_send(self, request: Any, event_name: str, **_: Any) -> Any:
        _, service, operation = event_name.split(".", 2)  # before-send.<service id>.<Operation>
        self.attempts.append(f"{service}.{operation}")
        kind = "access-denied" if self.fail_call is not None and len(self.calls) == self.fail_call else next(
            (fault.kind for fault in self.faults if fault.matches(service, operation) and fault.fires()), None)
        if kind is None:
            return None
        response = self._answer(request, service, kind)  # raises for connection errors and timeouts
        from moto.core.models import botocore_stubber

        botocore_stubber.enabled = False
        return response

    @staticmethod
    def _answer(request: Any, service: str, kind: str) -> Any:
        from botocore.exceptions import ConnectionError, EndpointConnectionError, ReadTimeoutError

        if kind == "connection":
            raise EndpointConnectionError(endpoint_url=request.url)
        if kind == "connection-reset":
            raise ConnectionError(error="Connection reset by peer")
        if kind == "read-timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        status, sm_code, s3_code, message = ERRORS[kind]
        if service == "s3" and kind == "access-denied":
            status = S3_ACCESS_DENIED_STATUS
        if service == "s3" and kind == "expired-token":
            status = 400
        return error_response(request, service, status, s3_code if service == "s3" else sm_code, message)


@dataclass
class World:
    """One moto AWS per test module, seeded once: the fraud registry (v1 Approved, v2 Rejected, v3 Approved,
    v4 Pending; both endpoints run v3), a group with no Approved version and an empty group."""

    sm: Any
    s3: Any
    seeded: Any
    pristine: dict[str, str]  # uri -> ETag
    bodies: dict[str, bytes]  # uri -> bytes, to put back what a test changed

    def restore_s3(self) -> None:
        """Back to the seeded objects: drop what a test added, put back what it changed or deleted."""
        now = s3_state(self.s3)
        for uri in set(now) | set(self.pristine):
            bucket, key = uri[5:].split("/", 1)
            if uri not in self.pristine:
                self.s3.delete_object(Bucket=bucket, Key=key)
            elif now.get(uri) != self.pristine[uri]:
                self.s3.put_object(Bucket=bucket, Key=key, Body=self.bodies[uri])


UNAPPROVED_GROUP = "fraud-unapproved"  # 1 Rejected, 2 PendingManualApproval
EMPTY_GROUP = "fraud-empty"  # exists, no versions


_LOADERS: dict[Any, Any] = {}
_METHODS: dict[tuple[str, str], dict[str, Any]] = {}
_REAL_CREATE_METHODS: dict[str, Any] = {}


def share_service_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run builds a fresh boto3 session, which re-parses the SageMaker and S3 service models (about 2/3 of
    an in-process run) and rebuilds each client class's methods. Tests share one botocore loader and one method set
    per service so hundreds of runs stay fast; clients, config, retries and events are still built per run exactly
    as the CLI does."""
    import botocore.loaders
    import botocore.session

    def create_loader(search_path_string: Any = None) -> Any:
        if search_path_string not in _LOADERS:
            _LOADERS[search_path_string] = botocore.loaders.create_loader(search_path_string)
        return _LOADERS[search_path_string]

    monkeypatch.setattr(botocore.session, "create_loader", create_loader)
    # Each client class gets one method per API operation (~400 for SageMaker), rebuilt for every session: about
    # 60 ms a client. The methods only name their operation, so one set per service and API version is shared.
    import botocore.client

    build = _REAL_CREATE_METHODS.setdefault("build", botocore.client.ClientCreator._create_methods)

    def create_methods(self: Any, service_model: Any) -> dict[str, Any]:
        key = (service_model.service_name, service_model.api_version)
        if key not in _METHODS:
            _METHODS[key] = build(self, service_model)
        return dict(_METHODS[key])

    monkeypatch.setattr(botocore.client.ClientCreator, "_create_methods", create_methods)


# ------------------------------------------------------------------------------------------- faults in S3 bodies
class BrokenStream:
    """The raw HTTP stream under a StreamingBody that fails after ``good`` bytes the way urllib3 does: a read
    timeout, a dropped connection (ProtocolError), or an early end of data ("eof": fewer bytes than Content-Length).
    botocore/response.py turns these into ReadTimeoutError, ResponseStreamingError and IncompleteReadError."""

    def __init__(self, data: bytes, good: int, fault: str) -> None:
        self.data, self.good, self.fault, self.pos = data, good, fault, 0

    def read(self, amt: int | None = None) -> bytes:
        from urllib3.exceptions import ProtocolError, ReadTimeoutError

        end = len(self.data) if amt is None else min(self.pos + amt, len(self.data))
        whole = amt is None and self.fault != "eof"  # urllib3 reads to the end in one call: it fails, no data
        if end > self.good and (self.pos >= self.good or whole):
            if self.fault == "eof":
                return b""
            if self.fault == "read-timeout":
                raise ReadTimeoutError(None, "https://s3.amazonaws.com", "Read timed out. (read timeout=30)")
            raise ProtocolError("Connection broken: IncompleteRead(0 bytes read)")
        end = min(end, self.good)
        chunk, self.pos = self.data[self.pos:end], end
        return chunk

    def close(self) -> None:
        pass


def broken_bodies(times: int, fault: str, good: int = 0) -> Any:
    """An ``after-call`` edit for s3.GetObject: the first ``times`` bodies break after ``good`` bytes."""
    from botocore.response import StreamingBody

    left = [times]

    def edit(parsed: Any) -> None:
        if left[0] and "Body" in parsed:
            left[0] -= 1
            data = parsed["Body"].read()
            parsed["Body"] = StreamingBody(BrokenStream(data, good, fault), len(data))
    return edit


def break_bodies(client: Any, times: int, fault: str, good: int = 0) -> list[dict[str, Any]]:
    """Register ``broken_bodies`` on an S3 client; the list it returns records each GetObject's parameters."""
    edit, requests = broken_bodies(times, fault, good), []
    client.meta.events.register("before-call.s3.GetObject", lambda params, **_: requests.append(dict(params)))
    client.meta.events.register("after-call.s3.GetObject", lambda parsed, **_: edit(parsed))
    return requests
