"""One clock: pipelines.core.clock.utc_now() is the only place the project reads the wall clock, every tool that needs
"now" gets it from there (or from a ``now`` argument), and the tests pin it (conftest.py ``frozen_clock``), so no
test depends on today's date. `make test` also runs the fast tests under libfaketime 400 days ahead."""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from devtools.seed import OUTPUTS_BUCKET as BUCKET
from pipelines import ground_truth as gt
from pipelines.core import clock
from pipelines.core.clock import utc_now as real_utc_now  # imported at collection, before the fixture pins it

REPO = Path(__file__).resolve().parents[1]
WALL_CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
                    ("time", "time"), ("time", "time_ns"), ("time", "gmtime"), ("time", "localtime"),
                    ("time", "ctime"), ("time", "strftime")}


def wall_clock_reads(path: Path, root: Path = REPO) -> list[str]:
    """`datetime.now()`, `time.time()`, ... calls in a module (by attribute name on any object named so)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if (name, node.func.attr) in WALL_CLOCK_CALLS:
                found.append(f"{path.relative_to(root)}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_only_the_clock_module_reads_the_wall_clock():
    modules = [*sorted((REPO / "pipelines").rglob("*.py")), REPO / "utils.py", REPO / "get_baselines_and_configs.py"]
    reads = [re.sub(r":\d+ ", " ", read) for path in modules for read in wall_clock_reads(path)]  # not the lines
    # and the watchdog Lambda's handler: its file is the Lambda's inline code (stdlib + boto3 only, it cannot import
    # pipelines.core), so it reads the clock itself when invoked; it takes ``now``, and the tests pass it
    assert reads == ["pipelines/core/clock.py datetime.now()", "pipelines/watchdog/rules.py datetime.now()"]


def test_the_scan_sees_each_way_of_reading_the_clock(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import time, datetime as dt\nfrom datetime import date, datetime\n"
                      "a = datetime.now()\nb = dt.datetime.utcnow()\nc = date.today()\nd = time.time()\n"
                      "e = datetime.fromisoformat('2026-01-01')\nf = time.monotonic()\n")
    assert wall_clock_reads(sample, tmp_path) == ["sample.py:3 datetime.now()", "sample.py:4 datetime.utcnow()",
                                                  "sample.py:5 date.today()", "sample.py:6 time.time()"]


def test_the_clock_is_the_current_time_aware_in_utc():
    before = datetime.now(timezone.utc)
    now = real_utc_now()
    assert now.tzinfo is timezone.utc
    assert before <= now <= datetime.now(timezone.utc)


def test_the_tests_run_at_a_pinned_now(frozen_clock):
    assert clock.utc_now() == frozen_clock == datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def test_the_ground_truth_look_back_window_ends_at_the_clocks_now(s3, tmp_path, monkeypatch, capsys, frozen_clock):
    """The same label, 2026-11-20T08:15Z, with the default 216-hour look-back: inside the window at the pinned now,
    refused when the clock reads 9 days later (what made the suite fail from 2026-11-29 on, when the tool read the
    real clock)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prod-config-export.json").write_text(json.dumps(
        {"Parameters": {"GroundTruthInput": f"s3://{BUCKET}/ground-truth/prod"}}))
    (tmp_path / "labels.csv").write_text("inference_id,is_fraud,labelled_at\ntx-1,1,2026-11-20T08:15:00Z\n")
    argv = ["labels.csv", "--stage", "prod", "--time-column", "labelled_at", "--dry-run"]
    assert gt.main(argv) == 0
    capsys.readouterr()

    monkeypatch.setattr(clock, "utc_now", lambda: frozen_clock + timedelta(days=9))
    assert gt.main(argv) == 2
    assert capsys.readouterr().err == (
        "error: labels.csv has 1 invalid row: 1 label time older than the look-back window (line 2); fix them, or "
        "pass --skip-invalid to upload the 0 valid rows\n")
