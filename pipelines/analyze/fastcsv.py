"""data-quality's fast reader: all-numeric CSV captures in SageMaker's compact form, parsed by one compiled pass.

Measured before choosing (docs/performance.md, "A million records a second"): JSON-decoding every line is the
floor's cost (msgspec, the fastest decoder measured, ~0.5 M lines per CPU second here; orjson, simdjson, pyarrow's
JSON reader and polars are slower), numpy's parsers (loadtxt, vectorised byte arithmetic) cost 1-2 s per million
20-feature rows, and pyarrow's CSV reader over the lines was slower still. What is left is one pass over the bytes in
compiled code: numba (the ``analyzer`` extra and the container only; never on the deployment CLI's path) compiles
``_parse`` below, cached on disk after the first run.

Scope, and the rule that keeps it honest: the kernel takes a line only in the exact form SageMaker writes it
(``{"captureData":{"endpointInput":{"observedContentType":"<type>","mode":"INPUT","data":"<row>","encoding":"CSV"}``
then ``,"endpointOutput":{... "mode":"OUTPUT","data":"<row>","encoding":"CSV"}`` or ``}``), no quote or backslash
inside the strings, a content type without "json", and every field a number in Deequ's grammar
(``[-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?``, StatefulDataType.scala's regexes without the optional space) whose
value the kernel can compute exactly (Clinger's fast path: an integer mantissa below 2^53 times or divided by a power
of ten up to 10^22 is correctly rounded, the same double as Python's ``float`` and numpy's parser). The row is the
output columns then the input columns (or the reverse, ``output_columns_position``), and its width must be the
baseline's. A chunk with any other line goes whole to the reference reader (capture.py / stats.py), so records stay
in order; ``tests/test_analyze_fast.py`` holds the two readers to byte-identical outputs.
"""

from __future__ import annotations

import os
from typing import Iterator

import numpy as np

CHUNK_BYTES = 8 << 20  # bytes of whole lines per kernel call: memory is bounded by bytes, not records
_PREFIX = b'{"captureData":{"endpointInput":{"observedContentType":"'
_MODE_IN = b'","mode":"INPUT","data":"'
_END = b'","encoding":"CSV"}'
_OUTPUT = b',"endpointOutput":{"observedContentType":"'
_MODE_OUT = b'","mode":"OUTPUT","data":"'

_kernel = None


def enabled() -> bool:
    """The fast reader runs unless ANALYZER_FAST=0 (the benchmark's "current" column; tests) or numba is missing."""
    if os.environ.get("ANALYZER_FAST", "1") == "0":
        return False
    return _load() is not None


def _load():  # noqa: ANN202 - the compiled kernel or None
    global _kernel
    if _kernel is None:
        try:
            from pipelines.analyze._fastcsv_kernel import kernel
        except ImportError:  # numba is not installed (the analyzer extra brings it)
            _kernel = False
        else:
            _kernel = kernel
    return _kernel or None


def chunks(path: str, chunk_bytes: int | None = None) -> Iterator[bytes]:
    """A local file in chunks of whole lines (the last one may lack its newline)."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    with open(path, "rb") as handle:
        carry = b""
        while block := handle.read(chunk_bytes):
            block = carry + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry = block
                continue
            carry = block[cut:]
            yield block[:cut]
        if carry:
            yield carry


def parse(chunk: bytes, width: int, output_first: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """(values [rows x width], fractional [rows x width]) for a chunk every line of which the kernel takes; None
    otherwise (nothing is consumed: the caller hands the chunk to the reference reader). Blank lines are skipped, as
    the reference reader skips them."""
    kernel = _load()
    buffer = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(buffer == 10)
    if not len(ends) or ends[-1] != len(buffer) - 1:
        ends = np.r_[ends, len(buffer)]
    starts = np.r_[0, ends[:-1] + 1]
    keep = ends > starts  # blank lines
    if not keep.all():
        starts, ends = starts[keep], ends[keep]
    values = np.empty((len(starts), width), dtype=np.float64)
    fractional = np.empty((len(starts), width), dtype=np.bool_)
    failed = kernel(buffer, starts, ends, width, output_first, values, fractional, _PATTERNS, _POW10)
    return None if failed else (values, fractional)


_PATTERNS = tuple(np.frombuffer(p, dtype=np.uint8) for p in (_PREFIX, _MODE_IN, _END, _OUTPUT, _MODE_OUT))
_POW10 = np.array([10.0 ** i for i in range(23)])  # exact doubles up to 10^22
