"""Benchmark: upload a 1,000,000-row label CSV as ground truth to moto_server on 127.0.0.1.

    .venv/bin/python bench/bench_ground_truth.py [--rows 1000000] [--batch-size 10000]

Prints rows per second and the upload process's peak RSS. The upload runs as a child process
(``python -m pipelines.ground_truth``, exactly what a user runs), so its RSS is measured alone. moto_server is
always stopped, also on Ctrl-C or failure (bench.moto.moto_server).

Also demo support: ``write_label_csv`` and ``write_capture_files`` make matching labels and data-capture files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.moto import FAKE_ENV, moto_server  # noqa: E402

BUCKET = "fraud-bench-ground-truth"


def write_label_csv(path: Path, rows: int, *, fraud_every: int = 57, id_prefix: str = "tx-") -> Path:
    """A payments-team style label export: inference_id,is_fraud,source (streamed to disk)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("inference_id,is_fraud,source\n")
        chunk = []
        for i in range(rows):
            fraud = i % fraud_every == 0
            chunk.append(f"{id_prefix}{i:09d},{1 if fraud else 0},{'chargeback' if fraud else 'analyst'}\n")
            if len(chunk) == 10_000:
                handle.write("".join(chunk))
                chunk.clear()
        handle.write("".join(chunk))
    return path


def write_capture_files(s3: Any, capture_uri: str, endpoint: str, ids: list[str], when: Any,
                        *, variant: str = "AllTraffic", per_file: int = 100) -> list[str]:
    """Data-capture JSON lines for ``ids`` (as inferenceId) under <capture>/<endpoint>/<variant>/yyyy/mm/dd/hh/."""
    bucket, _, prefix = capture_uri.removeprefix("s3://").partition("/")
    base = f"{prefix.strip('/')}/{endpoint}/{variant}/{when:%Y/%m/%d/%H}".lstrip("/")
    keys = []
    for n, start in enumerate(range(0, len(ids), per_file)):
        lines = []
        for i, ident in enumerate(ids[start:start + per_file]):
            lines.append(json.dumps({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                      "data": "129.5,5411,1,3,14,2", "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                                       "data": "0.031", "encoding": "CSV"}},
                "eventMetadata": {"eventId": f"{n:04d}-{i:04d}-capture", "inferenceId": ident,
                                  "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
                "eventVersion": "0"}))
        key = f"{base}/{when:%M-%S}-{n:03d}-capture.jsonl"
        s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(lines) + "\n").encode())
        keys.append(f"s3://{bucket}/{key}")
    return keys


def _peak_rss_mb_of_children() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/bench_ground_truth.py")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args(argv)

    import boto3

    with tempfile.TemporaryDirectory(prefix="bench-gt-") as tmp, moto_server(Path(tmp) / "moto.log") as url:
        labels = Path(tmp) / "labels.csv"
        started = time.perf_counter()
        write_label_csv(labels, args.rows)
        size_mb = labels.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f} s")

        env = os.environ | FAKE_ENV | {"AWS_ENDPOINT_URL": url}
        s3 = boto3.client("s3", endpoint_url=url, region_name=FAKE_ENV["AWS_REGION"],
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket=BUCKET)
        command = [sys.executable, "-m", "pipelines.ground_truth", str(labels),
                   "--ground-truth-s3-uri", f"s3://{BUCKET}/ground-truth/bench",
                   "--batch-size", str(args.batch_size)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        peak = _peak_rss_mb_of_children()  # only the finished upload child so far (moto_server still runs)
        if done.returncode != 0:
            print(done.stdout + done.stderr, file=sys.stderr)
            return done.returncode
        listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="ground-truth/bench/")
        objects = listing.get("KeyCount", 0)
        print(done.stdout.splitlines()[-(objects + 1)] if objects else done.stdout)
        print(f"upload: {args.rows:,} rows in {elapsed:.1f} s = {args.rows / elapsed:,.0f} rows/s "
              f"(validate + dedup check + write, {objects} objects of <= {args.batch_size:,} records)")
        print(f"peak RSS of the upload process: {peak:.0f} MB")

        started = time.perf_counter()
        again = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        print(f"re-run (all already uploaded, nothing written): {time.perf_counter() - started:.1f} s, "
              f"exit {again.returncode}: {again.stdout.splitlines()[-1] if again.stdout else again.stderr}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; moto_server stopped", file=sys.stderr)
        sys.exit(130)
