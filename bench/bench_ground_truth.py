"""Benchmark: upload label CSVs of 100,000 and 1,000,000 rows as ground truth to moto_server on 127.0.0.1.

    .venv/bin/python bench/bench_ground_truth.py [--rows 100000,1000000] [--batch-size 10000]

Prints rows per second and the peak RSS of each upload process, so flat memory shows: sequential ids at each size,
random UUID-like ids at the largest size (the slow case for an index), and a re-run of the largest upload (every
row already in S3, read back for the comparison). Each upload runs as a child process
(``python -m pipelines.ground_truth``, exactly what a user runs) and its RSS is measured alone (os.wait4).
moto_server is always stopped, also on Ctrl-C or failure (devtools.moto.moto_server).

Also demo support: ``write_label_csv`` and ``write_capture_files`` make matching labels and data-capture files.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from devtools.moto import FAKE_ENV, moto_server  # noqa: E402

BUCKET = "fraud-bench-ground-truth"


def write_label_csv(path: Path, rows: int, *, fraud_every: int = 57, id_prefix: str = "tx-",
                    random_ids: bool = False) -> Path:
    """A payments-team style label export: inference_id,is_fraud,source (streamed to disk).

    Ids are ``<prefix>000000042`` in order, or with ``random_ids`` UUID-like (seeded, distinct in practice).
    """
    rng = random.Random(rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("inference_id,is_fraud,source\n")
        chunk = []
        for i in range(rows):
            fraud = i % fraud_every == 0
            if random_ids:
                h = f"{rng.getrandbits(128):032x}"
                ident = f"{id_prefix}{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
            else:
                ident = f"{id_prefix}{i:09d}"
            chunk.append(f"{ident},{1 if fraud else 0},{'chargeback' if fraud else 'analyst'}\n")
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


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


def run_measured(command: list[str], env: dict[str, str]) -> Run:
    """Run a child process; its exit code, output, wall time and its own peak RSS (os.wait4, Linux: KiB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, out.read().decode(), err.read().decode(), seconds, usage.ru_maxrss / 1024)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/bench_ground_truth.py")
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated file sizes (rows)")
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.rows.split(",")]

    import boto3

    with tempfile.TemporaryDirectory(prefix="bench-gt-") as tmp, moto_server(Path(tmp) / "moto.log") as url:
        env = os.environ | FAKE_ENV | {"AWS_ENDPOINT_URL": url}
        s3 = boto3.client("s3", endpoint_url=url, region_name=FAKE_ENV["AWS_REGION"],
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket=BUCKET)
        cases = [(n, False) for n in sizes] + [(max(sizes), True)]
        results = []
        for rows, random_ids in cases:
            kind = "random" if random_ids else "sequential"
            labels = Path(tmp) / f"labels-{rows}-{kind}.csv"
            started = time.perf_counter()
            write_label_csv(labels, rows, random_ids=random_ids)
            print(f"generated {rows:,} rows with {kind} ids ({labels.stat().st_size / 1e6:.1f} MB) "
                  f"in {time.perf_counter() - started:.1f} s")
            prefix = f"ground-truth/bench-{rows}-{kind}"
            command = [sys.executable, "-m", "pipelines.ground_truth", str(labels),
                       "--ground-truth-s3-uri", f"s3://{BUCKET}/{prefix}", "--batch-size", str(args.batch_size)]
            done = run_measured(command, env)
            if done.code != 0:
                print(done.stdout + done.stderr, file=sys.stderr)
                return done.code
            objects = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/").get("KeyCount", 0)
            print("  " + done.stdout.splitlines()[-(objects + 1)])
            results.append((f"{rows:,}", f"{kind} ids", done))
            if rows == max(sizes) and not random_ids:
                again = run_measured(command, env)
                last = again.stdout.splitlines()[-1] if again.stdout else again.stderr.strip()
                print(f"  re-run: exit {again.code}: {last}")
                results.append((f"{rows:,}", "re-run, all in S3", again))
            labels.unlink()

        print(f"\nupload (validate, compare with S3, write objects of <= {args.batch_size:,} records):")
        print(f"  {'rows':>9}  {'':<18}  {'seconds':>7}  {'rows/s':>8}  {'peak RSS':>8}")
        for rows_text, what, done in results:
            rows = int(rows_text.replace(",", ""))
            print(f"  {rows_text:>9}  {what:<18}  {done.seconds:>7.1f}  {rows / done.seconds:>8,.0f}  "
                  f"{done.peak_rss_mb:>5.0f} MB")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; moto_server stopped", file=sys.stderr)
        sys.exit(130)
