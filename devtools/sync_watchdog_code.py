"""Copy pipelines/watchdog/rules.py into model-monitor-template.yml as the watchdog Lambda's inline code.

    .venv/bin/python -m devtools.sync_watchdog_code           # rewrite the template's ZipFile block
    .venv/bin/python -m devtools.sync_watchdog_code --check   # exit 1 if the template holds other code

CloudFormation accepts inline Python (``Code.ZipFile``) and writes it as index.py (handler ``index.handler``); it
dropped the old 4,096-character limit in 2022 (aws/aws-cdk pull request 20624 quotes the documentation change). One
source, two places: the module is what the tests run, the template is what deploys, and this keeps them identical.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "model-monitor-template.yml"
SOURCE = REPO / "pipelines" / "watchdog" / "rules.py"
ANCHOR = "        ZipFile: |  # pipelines/watchdog/rules.py, copied by devtools/sync_watchdog_code.py\n"
INDENT = " " * 10


def split(template: str) -> tuple[str, str, str]:
    """(before the code, the code as it is in the template, after it)."""
    head, found, rest = template.partition(ANCHOR)
    if not found:
        raise SystemExit(f"{TEMPLATE.name} has no line {ANCHOR.strip()!r}")
    lines = rest.splitlines(keepends=True)
    end = 0
    while end < len(lines) and (lines[end].startswith(INDENT) or not lines[end].strip()):
        end += 1
    while end > 0 and not lines[end - 1].strip():  # trailing blank lines belong to what follows
        end -= 1
    code = "".join(line[len(INDENT):] if line.strip() else "\n" for line in lines[:end])
    return head + found, code, "".join(lines[end:])


def render(source: str) -> str:
    return "".join(INDENT + line if line.strip() else "\n" for line in source.splitlines(keepends=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    source = SOURCE.read_text(encoding="utf-8")
    if any(line != line.rstrip() or "\t" in line for line in source.splitlines()):
        print(f"{SOURCE} has trailing spaces or tabs, which a YAML literal block would not keep", file=sys.stderr)
        return 1
    head, code, tail = split(TEMPLATE.read_text(encoding="utf-8"))
    if args.check:
        if code != source:
            print(f"{TEMPLATE.name}'s watchdog code differs from {SOURCE.relative_to(REPO)}; run python -m "
                  "devtools.sync_watchdog_code", file=sys.stderr)
            return 1
        return 0
    TEMPLATE.write_text(head + render(source) + tail, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
