"""The DuckDB warehouse: one file, numbered migrations, bulk insert-or-ignore through Arrow."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from warehouse.errors import QueryFailed, WarehouseBusy, WarehouseError

if TYPE_CHECKING:  # imported when rows are written: reading (status, sql) never pays for it
    import pyarrow as pa

T = TypeVar("T")
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


@cache
def _arrow_types() -> dict[str, pa.DataType]:
    """The Arrow type of each DuckDB column type the migrations use."""
    import pyarrow as pa

    return {
        "VARCHAR": pa.string(),
        "JSON": pa.string(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
        "VARCHAR[]": pa.list_(pa.string()),
        "BLOB": pa.binary(),
    }


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Column names and rows of one query."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as dictionaries keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def rows_as(self, cls: type[T]) -> list[T]:
        """The rows as instances of a dataclass, each field filled from the column of its name
        (so the order of the query's columns is free, and a column the class lacks is an error)."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = [column for column in self.columns if column not in names]
        if unknown:
            raise WarehouseError(f"{cls.__name__} has no field for the column(s) {unknown}")
        return [cls(**dict(zip(self.columns, row, strict=True))) for row in self.rows]


def migrations() -> list[tuple[int, str, str]]:
    """The bundled migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("warehouse.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Warehouse:
    """An open warehouse file. The process that opens it for writing is its only writer."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        try:
            self.connection = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise WarehouseBusy(str(self.path), str(error)) from None
            raise WarehouseError(f"cannot open {self.path}: {error}") from None
        self._column_types: dict[str, dict[str, pa.DataType]] = {}
        if not read_only:
            try:
                self.migrate()
            except BaseException:
                self.connection.close()
                raise

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Checkpoint and close the file."""
        self.connection.close()

    def migrate(self) -> list[str]:
        """Apply the migrations this file has not seen yet; return their names."""
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        done = {
            row[0]
            for row in self.connection.execute("SELECT version FROM schema_migrations").fetchall()
        }
        applied = []
        for version, name, sql in migrations():
            if version in done:
                continue
            with self.transaction():
                self.connection.execute(sql)
                self.connection.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, current_timestamp)",
                    [version, name],
                )
            applied.append(name)
        self._column_types.clear()
        return applied

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside land together or not at all (a crash in between leaves nothing
        half-done)."""
        self.connection.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert rows, ignoring any whose primary key is already stored; return how many were
        new."""
        if not rows:
            return 0
        return self.insert_arrow(table, arrow_rows(self.column_types(table), rows))

    def insert_arrow(self, table: str, batch: pa.Table) -> int:
        """Insert an Arrow table's rows (e.g. from :func:`arrow_rows` in a worker), ignoring any
        whose primary key is already stored; return how many were new."""
        if batch.num_rows == 0:
            return 0
        self.connection.register("_goldmine_batch", batch)
        try:
            result = self.connection.execute(
                f"INSERT OR IGNORE INTO {table} BY NAME SELECT * FROM _goldmine_batch"
            ).fetchone()
        finally:
            self.connection.unregister("_goldmine_batch")
        return int(result[0]) if result else 0

    def column_types(self, table: str) -> dict[str, pa.DataType]:
        """The Arrow type of each column of ``table`` (what :func:`arrow_rows` needs in a
        worker)."""
        if table not in self._column_types:
            described = self.connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = "
                "?",
                [table],
            ).fetchall()
            if not described:
                raise WarehouseError(f"no table named {table} in {self.path}")
            self._column_types[table] = {name: _arrow_types()[kind] for name, kind in described}
        return self._column_types[table]

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        """Run a statement whose result is not needed."""
        self.connection.execute(sql, params or []).fetchall()

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> QueryResult:
        """Run a query and fetch every row."""
        try:
            cursor = self.connection.execute(sql, params or [])
        except duckdb.Error as error:
            raise QueryFailed(str(error).strip().splitlines()[0]) from None
        if cursor.description is None:
            return QueryResult([], [])
        columns = [d[0] for d in cursor.description]
        return QueryResult(columns, cursor.fetchall())

    def scalar(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        rows = self.query(sql, params).rows
        return rows[0][0] if rows else None

    def count(self, table: str) -> int:
        """The number of rows in ``table``."""
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    def tables(self) -> list[str]:
        """Names of the warehouse's tables, in creation order."""
        rows = self.query(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_oid"
        ).rows
        return [row[0] for row in rows]


def arrow_rows(types: Mapping[str, pa.DataType], rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows as an Arrow table typed like the warehouse columns they go to (the columns of the
    first row)."""
    import pyarrow as pa

    schema = pa.schema([(name, types[name]) for name in rows[0]]) if rows else pa.schema([])
    return pa.Table.from_pylist([dict(row) for row in rows], schema=schema)


def in_chunks(rows: Iterable[T], size: int = 5_000) -> Iterator[list[T]]:
    """Split a stream of rows into lists of at most ``size`` for bulk inserts."""
    chunk: list[T] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
