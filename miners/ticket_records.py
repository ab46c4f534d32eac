"""A row of a CSV ticket export, keeping every value of a repeated column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """One CSV row as (column, value) pairs in file order.

    Jira repeats a column once per value (``Labels``, ``Labels``, ``Comment``, ``Comment`` …), so
    a row is not a dictionary: :meth:`first` gives one value, :meth:`all` every non-empty one.
    """

    cells: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, header: Sequence[str], row: Sequence[str]) -> CsvRecord:
        """Pair a row with its header; a row longer or shorter than the header is a bad record."""
        if len(row) != len(header):
            raise ValueError(f"{len(row)} values for {len(header)} columns")
        return cls(tuple((name.strip(), value) for name, value in zip(header, row, strict=True)))

    def first(self, column: str, default: str = "") -> str:
        """The first non-empty value of ``column``."""
        return next(
            (value for name, value in self.cells if name == column and value.strip()), default
        )

    def all(self, column: str) -> list[str]:
        """Every non-empty value of ``column``, in order."""
        return [value for name, value in self.cells if name == column and value.strip()]

    def columns(self) -> list[str]:
        """The column names, each once, in order."""
        return list(dict.fromkeys(name for name, _ in self.cells))

    def as_dict(self) -> dict[str, str | list[str]]:
        """Columns to values; a repeated column's non-empty values become a list."""
        out: dict[str, str | list[str]] = {}
        for name in self.columns():
            values = self.all(name)
            out[name] = values if self.columns_named(name) > 1 else (values[0] if values else "")
        return out

    def columns_named(self, column: str) -> int:
        """How many times ``column`` appears in the header."""
        return sum(1 for name, _ in self.cells if name == column)
