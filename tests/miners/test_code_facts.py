"""One module per language answers raise / catch / log / signature for the drafter and the assay."""

from __future__ import annotations

import pytest

from miners.code_facts import (
    BY_LANGUAGE,
    RaisedError,
    caught_errors,
    facts_for,
    log_calls,
    raised_errors,
    shows,
    signature,
)

PYTHON = '''def reserve(levels: dict[str, int], sku: str, qty: int) -> int:
    """Reserve qty of sku."""
    if qty <= 0:
        raise ValueError(f"quantity must be positive, got {qty}")
    try:
        left = levels[sku] - qty
    except (KeyError, TypeError) as error:
        logger.warning("unknown sku %s", sku)
        raise LookupError("no such sku") from error
    return left
'''
GO = """func Reserve(levels map[string]int, sku string, qty int) (int, error) {
	if qty <= 0 {
		return 0, fmt.Errorf("quantity must be positive, got %d", qty)
	}
	log.Printf("reserving %s", sku)
	return levels[sku] - qty, nil
}
"""
JAVA = """public int reserve(String sku, int qty) throws StockException {
    try {
        return levels.take(sku, qty);
    } catch (IllegalStateException e) {
        LOGGER.warn("cannot reserve {}", sku);
        throw new StockException("cannot reserve " + sku);
    }
}
"""
TS = """export function reserve(levels: Levels, sku: string, qty: number): number {
  if (qty <= 0) throw new RangeError('quantity must be positive');
  console.warn('reserving', sku);
  return levels[sku] - qty;
}
"""


def test_python_facts_for_the_drafter() -> None:
    assert raised_errors(PYTHON, "python") == [
        RaisedError("ValueError", "quantity must be positive, got {qty}"),
        RaisedError("LookupError", "no such sku"),
    ]
    assert caught_errors(PYTHON, "python") == ["KeyError", "TypeError"]
    assert log_calls(PYTHON) == ["logger.warning"]
    assert signature(PYTHON, "python") == (
        "def reserve(levels: dict[str, int], sku: str, qty: int) -> int"
    )


@pytest.mark.parametrize(
    ("code", "lang", "raised", "caught", "logs", "declared"),
    [
        (
            GO,
            "go",
            ["fmt.Errorf"],
            [],
            ["log.Printf"],
            "func Reserve(levels map[string]int, sku string, qty int) (int, error)",
        ),
        (
            JAVA,
            "java",
            ["StockException"],
            ["IllegalStateException"],
            ["LOGGER.warn"],
            "public int reserve(String sku, int qty) throws StockException",
        ),
        (
            TS,
            "typescript",
            ["RangeError"],
            [],
            ["console.warn"],
            "export function reserve(levels: Levels, sku: string, qty: number): number",
        ),
    ],
)
def test_other_languages_for_the_drafter(
    code: str, lang: str, raised: list[str], caught: list[str], logs: list[str], declared: str
) -> None:
    assert [error.name for error in raised_errors(code, lang)] == raised
    assert caught_errors(code, lang) == caught
    assert log_calls(code) == logs
    assert signature(code, lang) == declared


@pytest.mark.parametrize(
    ("code", "lang"), [(PYTHON, "python"), (GO, "go"), (JAVA, "java"), (TS, "tsx")]
)
def test_the_assay_sees_the_error_handling_and_logging_the_drafter_names(
    code: str, lang: str
) -> None:
    facts = facts_for(lang)
    assert shows(facts.error_signal, code) and shows(facts.log_signal, code)


def test_code_without_errors_or_logging_shows_neither_and_unknown_languages_know_nothing() -> None:
    plain = "def total(xs):\n    return sum(xs)\n"
    python = facts_for("python")
    assert not shows(python.error_signal, plain) and not shows(python.log_signal, plain)
    ruby = facts_for("ruby")
    assert ruby.raise_pattern is None and not shows(ruby.error_signal, "raise ArgumentError")
    assert raised_errors("raise ArgumentError, 'no'", "ruby") == []


def test_typescript_and_cpp_share_their_family_s_facts() -> None:
    assert BY_LANGUAGE["typescript"] is BY_LANGUAGE["javascript"] is BY_LANGUAGE["tsx"]
    assert BY_LANGUAGE["cpp"] is BY_LANGUAGE["c"]
