"""The label store: a private temporary SQLite database for the valid rows, what S3 holds and captured ids."""

from __future__ import annotations

import sqlite3
from itertools import islice
from operator import itemgetter
from typing import Iterable, Iterator

STORE_CHUNK = 20_000  # rows per executemany into the label store (ids sorted within a chunk: B-tree locality)
STORE_CACHE_KIB = 8 * 1024  # SQLite page cache of the label store; the rest of it lives in a temporary file


class LabelStore:
    """The valid rows of a label file, what S3 already holds for their hours, and captured ids, in SQLite.

    A private temporary on-disk database (``sqlite3.connect("")``): SQLite keeps at most ``STORE_CACHE_KIB`` of it
    in memory and spills the rest to a temporary file that is deleted on ``close()``. A Python set of ids costs about
    85 bytes per id; this costs disk, not memory. Ids compare as SQLite BINARY text, i.e. by UTF-8 bytes, which
    orders and matches exactly like Python strings.

    ``ids``: id -> line of its first valid row (INSERT OR IGNORE in id order finds duplicates; random ids such as
    UUIDs insert twice as fast sorted). ``labels``: the accepted rows, rowid = line number (appended in file order),
    hour as an index into ``hour_names``, data "1"/"0", ``upload`` cleared for rows already in S3.
    """

    def __init__(self) -> None:
        self.db = sqlite3.connect("", isolation_level=None)
        self.hour_names: list[str] = []
        self._hour_ids: dict[str, int] = {}
        for pragma in ("page_size = 16384", "journal_mode = OFF", "synchronous = OFF", "locking_mode = EXCLUSIVE",
                       "temp_store = FILE", f"cache_size = -{STORE_CACHE_KIB}"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript("""
            CREATE TABLE ids (id TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE chunk (id TEXT NOT NULL, line INTEGER NOT NULL);
            CREATE TABLE labels (line INTEGER PRIMARY KEY, id TEXT NOT NULL, hour INTEGER NOT NULL,
                                 data TEXT NOT NULL, upload INTEGER NOT NULL DEFAULT 1);
            CREATE TABLE uploaded (id TEXT NOT NULL, hour TEXT NOT NULL, data TEXT NOT NULL, key TEXT NOT NULL);
            CREATE INDEX uploaded_id ON uploaded (id);
            CREATE TABLE captured (id TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE shadowed (id TEXT PRIMARY KEY) WITHOUT ROWID;
            BEGIN;""")  # one transaction, never committed: the database is thrown away

    def close(self) -> None:
        self.db.close()

    def hour_id(self, hour: str) -> int:
        try:
            return self._hour_ids[hour]
        except KeyError:
            self._hour_ids[hour] = len(self.hour_names)
            self.hour_names.append(hour)
            return self._hour_ids[hour]

    def add_labels(self, rows: list[tuple[int, str, int, str]]) -> set[int]:
        """Store (line, id, hour id, data) rows given in line order; returns the lines whose id came earlier."""
        keyed = sorted(((ident, line) for line, ident, _, _ in rows), key=itemgetter(0))  # stable: first line first
        duplicates: set[int] = set()
        if self.db.executemany("INSERT OR IGNORE INTO ids (id, line) VALUES (?, ?)", keyed).rowcount < len(rows):
            self.db.execute("DELETE FROM chunk")
            self.db.executemany("INSERT INTO chunk (id, line) VALUES (?, ?)", keyed)
            duplicates = {line for (line,) in self.db.execute(
                "SELECT c.line FROM chunk AS c JOIN ids AS i ON i.id = c.id WHERE i.line <> c.line")}
            rows = [row for row in rows if row[0] not in duplicates]
        self.db.executemany("INSERT INTO labels (line, id, hour, data) VALUES (?, ?, ?, ?)", rows)
        return duplicates

    def add_uploaded(self, hour: str, key: str, records: Iterable[tuple[str, str]]) -> int:
        """Record (id, data) found in S3 object ``key`` of an hour; returns how many."""
        rows = ((ident, hour, data, key) for ident, data in records)
        count = 0
        while chunk := list(islice(rows, STORE_CHUNK)):
            self.db.executemany("INSERT INTO uploaded (id, hour, data, key) VALUES (?, ?, ?, ?)", chunk)
            count += len(chunk)
        return count

    def in_s3(self) -> Iterator[tuple[int, str, str, str, list[tuple[str, str, str]]]]:
        """(line, id, hour, data, [(data, hour, key) in S3]) of rows whose id is already uploaded in the look-back
        window (any hour: a rerun an hour later must find them), in line order."""
        names = self.hour_names
        current: tuple[int, str, str, str] | None = None
        found: list[tuple[str, str, str]] = []
        for line, ident, hour, data, u_data, u_hour, u_key in self.db.execute(
                "SELECT l.line, l.id, l.hour, l.data, u.data, u.hour, u.key FROM labels AS l CROSS JOIN uploaded "
                "AS u ON u.id = l.id ORDER BY l.line, u.hour, u.key"):
            if current and current[0] != line:
                yield (*current, found)
                found = []
            current = (line, ident, names[hour], data)
            found.append((u_data, u_hour, u_key))
        if current:
            yield (*current, found)

    def skip_in_s3(self, *, keep_conflicts: bool = False) -> None:
        """Rows whose id is already in S3 are not uploaded again; with ``keep_conflicts``, rows whose S3 label
        differs still are (they replace it)."""
        differs = (" AND NOT EXISTS (SELECT 1 FROM uploaded AS u WHERE u.id = labels.id AND u.data <> labels.data)"
                   if keep_conflicts else "")
        self.db.execute("UPDATE labels SET upload = 0 WHERE EXISTS "
                        "(SELECT 1 FROM uploaded AS u WHERE u.id = labels.id)" + differs)

    def to_upload(self) -> Iterator[tuple[str, str, str]]:
        """(id, data, hour) of the rows to write, hour by hour (in first-seen order), file order within an hour."""
        order = "line" if len(self.hour_names) <= 1 else "hour, line"
        names = self.hour_names
        for ident, data, hour in self.db.execute(f"SELECT id, data, hour FROM labels WHERE upload ORDER BY {order}"):
            yield ident, data, names[hour]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM ids").fetchone()[0]

    def has(self, ident: str) -> bool:
        """Whether a captured event's join key is a label id."""
        return bool(self.db.execute("SELECT EXISTS (SELECT 1 FROM ids WHERE id = ?)", (ident,)).fetchone()[0])

    def add_captured(self, ids: list[tuple[str]], shadowed: list[tuple[str]] = ()) -> None:
        """Join keys of captured events, and eventIds Model Monitor ignores (their record has an inferenceId)."""
        self.db.executemany("INSERT OR IGNORE INTO captured (id) VALUES (?)", ids)
        self.db.executemany("INSERT OR IGNORE INTO shadowed (id) VALUES (?)", shadowed)

    def labels_on_shadowed(self) -> int:
        """Label ids that are the eventId of a captured record carrying an inferenceId: they match nothing."""
        return self.db.execute("SELECT count(*) FROM ids WHERE id IN (SELECT id FROM shadowed) "
                               "AND id NOT IN (SELECT id FROM captured)").fetchone()[0]

    def unmatched(self, examples: int) -> tuple[int, list[str]]:
        """Label ids with no captured event: how many, and the smallest few."""
        where = "FROM ids WHERE id NOT IN (SELECT id FROM captured)"
        count = self.db.execute(f"SELECT count(*) {where}").fetchone()[0]
        smallest = [i for (i,) in self.db.execute(f"SELECT id {where} ORDER BY id LIMIT ?", (examples,))]
        return count, smallest
