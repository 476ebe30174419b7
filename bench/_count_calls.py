"""Run the CLI like `python get_baselines_and_configs.py ARGS...`, recording every AWS HTTP request it sends.

Used by bench/bench.py for its counting runs only (the timed runs never go through this wrapper). Every botocore
session created in the process gets two handlers: ``before-send`` (one per HTTP attempt, retries included: the
operation, method and URL path) and ``response-received`` (the HTTP status, or the exception when none came back).
At exit the records go, as JSON, to the file named by BENCH_CALLS_FILE, with the number of sessions and clients
the run created.

    BENCH_CALLS_FILE=/tmp/calls.json python bench/_count_calls.py get_baselines_and_configs.py --dry-run
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

import botocore.session

_requests: list[dict[str, Any]] = []
_clients: list[str] = []
_sessions: list[int] = []


def _on_send(request: Any, event_name: str, **_: Any) -> None:
    _, service, operation = event_name.split(".", 2)
    _requests.append({"service": service, "operation": operation, "method": request.method,
                      "path": unquote(urlsplit(request.url).path), "status": None})


def _on_response(event_name: str, response_dict: Any = None, exception: Any = None, **_: Any) -> None:
    _, service, operation = event_name.split(".", 2)
    for record in reversed(_requests):  # the CLI is single-threaded: the latest open request of this operation
        if record["service"] == service and record["operation"] == operation and record["status"] is None:
            record["status"] = response_dict["status_code"] if response_dict else f"exception: {type(exception).__name__}"
            break


_original_init = botocore.session.Session.__init__
_original_create_client = botocore.session.Session.create_client


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    _sessions.append(id(self))
    self.register("before-send", _on_send)
    self.register("response-received", _on_response)


def _create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
    _clients.append(service_name)
    return _original_create_client(self, service_name, *args, **kwargs)


def _write() -> None:
    with open(os.environ["BENCH_CALLS_FILE"], "w", encoding="utf-8") as handle:
        json.dump({"requests": _requests, "clients": _clients, "sessions": len(_sessions)}, handle, indent=1)


def main() -> int:
    if len(sys.argv) < 2 or "BENCH_CALLS_FILE" not in os.environ:
        print("usage: BENCH_CALLS_FILE=PATH python bench/_count_calls.py SCRIPT [ARGS...]", file=sys.stderr)
        return 2
    botocore.session.Session.__init__ = _init  # type: ignore[method-assign]
    botocore.session.Session.create_client = _create_client  # type: ignore[method-assign]
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    # like `python SCRIPT`: the script's directory first, and not bench/ (whose moto.py would shadow moto)
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    code: Any = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
    finally:
        _write()
    return code if isinstance(code, int) else (0 if code is None else 1)


if __name__ == "__main__":
    sys.exit(main())
