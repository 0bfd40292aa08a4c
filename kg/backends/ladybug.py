"""Ladybug (the maintained Kuzu fork): an embedded graph database in one file on disk.

The graph is built into a fresh folder with bulk COPY from data frames, and only then is the
`graph` link swapped to it, so a failed or interrupted build leaves the previous graph in place.
"""

import json
import os
import shutil
import threading
import time
from pathlib import Path

import ladybug
import pandas as pd

from kg.errors import GeneverseError, GraphNotBuilt
from kg.readonly import check_statement_kind
from kg.schema import ladybug_ddl, schema

DB_FILE = "genes.lbug"
QUERY_TIMEOUT_MS = 30_000
# Each query may use half the cores, and the database keeps two threads more than the cores, so
# one slow query (or two) never leaves a quick look-up waiting for a free thread.
CORES = os.cpu_count() or 1
THREADS_PER_QUERY = max(1, CORES // 2)
DATABASE_THREADS = CORES + 2


def build(tables: dict[str, list[dict]], link: Path, manifest: dict, step=lambda _: None) -> Path:
    """Write every table into a new database beside `link`, then point `link` at it."""
    try:
        link.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_builds(link)
        target = link.parent / f"graph-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        target.mkdir()
    except OSError as err:
        raise GeneverseError(f"Cannot write the graph in {link.parent}: {err.strerror or err}") from None
    try:
        db = ladybug.Database(str(target / DB_FILE))
        conn = ladybug.Connection(db)
        for ddl in ladybug_ddl():
            conn.execute(ddl)
        for table in schema():  # COPY is positional: rows come in declaration order, ends first
            step(f"COPY {table}")
            frame = pd.DataFrame(tables[table])
            if len(frame):
                conn.execute(f"COPY {table} FROM frame")
        conn.close()
        db.close()
        (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    except BaseException as err:
        # The cause is read before the partial graph is removed, which frees the space it took.
        failed_write = isinstance(err, OSError) or (isinstance(err, RuntimeError) and "IO exception" in str(err))
        cause = _write_failure(err, link.parent) if failed_write else ""
        shutil.rmtree(target, ignore_errors=True)
        if failed_write:
            kept = "The previous graph is kept." if link.exists() else "No graph was replaced."
            raise GeneverseError(f"Cannot write the graph in {link.parent}: {cause}. {kept}") from None
        raise
    _swap_link(link, target)
    return target


# Less free space than this after a failed write: the disk is full, whatever the database said.
FULL_DISK_BYTES = 64 * 1024 * 1024


def _write_failure(err: BaseException, folder: Path) -> str:
    """The cause of a failed write in words: a full disk, or the system's reason."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free is not None and free < FULL_DISK_BYTES:
        return f"the disk is full ({free:,} bytes free)"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err).splitlines()[0][:200]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_abandoned_builds(link: Path) -> list[Path]:
    """Remove the `graph-*` folders and `graph.new-*` links that killed builds left beside `link`: any
    that the link does not point to and whose build process (the name's last part) is gone."""
    current = link.resolve() if link.is_symlink() else None
    removed = []
    for path in link.parent.glob(f"{link.name}[-.]*"):
        pid = path.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.resolve() != current:
            shutil.rmtree(path, ignore_errors=True)
        else:
            continue
        removed.append(path)
    return removed


def _swap_link(link: Path, target: Path) -> None:
    previous = link.resolve() if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        raise GeneverseError(f"{link} exists and is not a graph link; move it away first")
    tmp = link.with_name(link.name + f".new-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target.name)
    os.replace(tmp, link)  # atomic: readers see the old graph or the new one, never half of one
    if previous and previous != target.resolve():
        shutil.rmtree(previous, ignore_errors=True)


class LadybugStore:
    name = "ladybug"

    def __init__(self, link: Path):
        db_path = link / DB_FILE
        if not db_path.exists():
            raise GraphNotBuilt(str(link))
        self.location = str(link.resolve())
        self.manifest = json.loads((link / "manifest.json").read_text()) if (link / "manifest.json").exists() else {}
        # Read-only: user queries cannot write, and several processes may read at once.
        try:
            self._db = ladybug.Database(str(db_path), read_only=True, max_num_threads=DATABASE_THREADS)
            self._connections: list[ladybug.Connection] = []
            self._lock = threading.Lock()
            self._local = threading.local()
            self._connection()
        except RuntimeError as err:
            reason = str(err).splitlines()[0][:200]
            raise GeneverseError(f"The gene graph at {self.location} cannot be opened ({reason}). "
                                 "Rebuild it: geneverse kg build") from None

    def _connection(self) -> ladybug.Connection:
        """This thread's connection: queries on one connection run one after another, so each thread
        (a server's look-up and answer workers among them) has its own."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = ladybug.Connection(self._db)
            conn.set_query_timeout(QUERY_TIMEOUT_MS)
            conn.set_max_threads_for_exec(THREADS_PER_QUERY)
            with self._lock:
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    def run(self, query: str, params: dict | None = None, max_rows: int | None = None) -> list[dict]:
        """The query's rows; with `max_rows`, only that many are read into Python (the rest stay unread)."""
        check_statement_kind(query)
        try:
            result = self._connection().execute(query, params or {})
        except RuntimeError as err:
            raise GeneverseError(f"graph query failed: {err}") from None
        columns = result.get_column_names()
        if max_rows is None:
            rows = [dict(zip(columns, values)) for values in result.get_all()]
        else:
            rows = []
            while len(rows) < max_rows and result.has_next():
                rows.append(dict(zip(columns, result.get_next())))
        result.close()
        return rows

    def columns(self, query: str, params: dict | None = None) -> dict[str, list]:
        """Column-wise results, for bulk reads where per-row dicts are too slow."""
        check_statement_kind(query)
        try:
            frame = self._connection().execute(query, params or {}).get_as_df()
        except RuntimeError as err:
            raise GeneverseError(f"graph query failed: {err}") from None
        return {name: frame[name].tolist() for name in frame.columns}

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._db.close()
