"""One module per language answers raise / catch / log / signature for the drafter and the assay."""

from __future__ import annotations

import pytest

from miners.code_facts import (
    BY_LANGUAGE,
    RaisedError,
    caught_errors,
    facts_for,
    log_calls,
    module_description,
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
    assert ruby.raises == () and not shows(ruby.error_signal, "raise ArgumentError")
    assert raised_errors("raise ArgumentError, 'no'", "ruby") == []


def test_typescript_and_cpp_share_their_family_s_facts() -> None:
    assert BY_LANGUAGE["typescript"] is BY_LANGUAGE["javascript"] is BY_LANGUAGE["tsx"]
    assert BY_LANGUAGE["cpp"] is BY_LANGUAGE["c"]


RUST = """fn reserve(&mut self, sku: &str, qty: u32) -> Result<u32, StockError> {
    if qty == 0 {
        return Err(StockError::InvalidQuantity(qty));
    }
    let level = self.levels.get(sku).ok_or_else(|| anyhow!("no such sku"))?;
    match self.take(sku, qty) {
        Err(StockError::Closed) => bail!("store closed for {}", sku),
        Ok(left) => Ok(left),
    }
    warn!("reserving {}", sku);
    panic!("unreachable stock level");
}
"""
JS = """function load(name, next) {
  if (typeof name !== 'string') throw new TypeError('name must be a string');
  if (!name) throw createError(404, 'no such view');
  fs.readFile(name, function (err, data) {
    if (err && err.code === 'ENOENT') return next(new NotFoundError('missing ' + name));
    if (err instanceof SyntaxError) console.error('bad view', name);
  });
  return new Promise((resolve, reject) => reject(new Error('not loaded')));
}
"""
GO_ERRORS = """func (s *Store) Reserve(sku string, qty int) error {
	if errors.Is(s.err, ErrClosed) {
		panic("reserve on a closed store")
	}
	return fmt.Errorf("reserve %s: %w", sku, s.err)
}
"""


@pytest.mark.parametrize(
    ("code", "lang", "raised", "caught"),
    [
        (
            RUST,
            "rust",
            [
                ("StockError::InvalidQuantity", "return", ""),
                ("anyhow!", "return", "no such sku"),
                ("bail!", "return", "store closed for {}"),
                ("panic!", "panic", "unreachable stock level"),
            ],
            ["StockError::Closed"],
        ),
        (
            JS,
            "javascript",
            [
                ("TypeError", "throw", "name must be a string"),
                ("createError", "throw", "no such view"),
                ("NotFoundError", "callback", "missing "),
                ("Error", "reject", "not loaded"),
            ],
            ["ENOENT", "SyntaxError"],
        ),
        (
            GO_ERRORS,
            "go",
            [
                ("panic", "panic", "reserve on a closed store"),
                ("fmt.Errorf", "return", "reserve %s: %w"),
            ],
            ["ErrClosed"],
        ),
    ],
)
def test_each_language_raises_returns_and_catches_its_own_way(
    code: str, lang: str, raised: list[tuple[str, str, str]], caught: list[str]
) -> None:
    assert [(e.name, e.way, e.message) for e in raised_errors(code, lang)] == raised
    assert caught_errors(code, lang) == caught
    facts = facts_for(lang)
    assert shows(facts.error_signal, code)


def test_rust_logging_macros_are_logging_calls() -> None:
    assert log_calls(RUST) == ["warn!"]
    assert log_calls('log::error!("x"); tracing::info!("y");') == ["log::error!", "tracing::info!"]


@pytest.mark.parametrize(
    ("code", "lang", "declared"),
    [
        (
            "// PrintErrln prints.\nfunc (c *Command) PrintErrln(i ...interface{}) {\n}\n",
            "go",
            "func (c *Command) PrintErrln(i ...interface{})",
        ),
        (
            "func Find(filter func(interface{}) bool) interface{} {\n\treturn nil\n}\n",
            "go",
            "func Find(filter func(interface{}) bool) interface{}",
        ),
        (
            "/// Doc.\n#[inline]\npub fn parse<'a>(s: &'a str) -> Result<Config, Error> {\n"
            "    todo!()\n}\n",
            "rust",
            "pub fn parse<'a>(s: &'a str) -> Result<Config, Error>",
        ),
        (
            "/**\n * Send.\n */\nres.send = function send(body) {\n  return this;\n};\n",
            "javascript",
            "res.send = function send(body)",
        ),
        ("const total = (xs = {}) => xs.length;\n", "javascript", "const total = (xs = {})"),
        (
            "/** Id. */\n@Override\npublic int id(Map<String, int[]> m) { return 1; }\n",
            "java",
            "public int id(Map<String, int[]> m)",
        ),
        ("static int f(struct s *p) { return 0; }\n", "c", "static int f(struct s *p)"),
        # a unit that does not parse alone is read by its braces, whatever its parameters hold
        ("add(item = {}) {\n  this.items.push(item);\n}\n", "javascript", "add(item = {})"),
    ],
)
def test_signatures_are_whole_whatever_braces_they_hold(
    code: str, lang: str, declared: str
) -> None:
    assert signature(code, lang) == declared


@pytest.mark.parametrize(
    ("text", "lang", "description"),
    [
        (
            "// Copyright 2013-2023 The Cobra Authors\n//\n"
            "// Licensed under the Apache License.\n\n"
            "//go:build !windows\n\n// Package cobra is a commander for modern CLI interfaces.\n"
            "//\n// More detail.\npackage cobra\n",
            "go",
            "Package cobra is a commander for modern CLI interfaces.",
        ),
        ("// Copyright 2020 X.\n// Licensed under MIT.\n\npackage cobra\n", "go", ""),
        (
            "/*!\n * express\n * Copyright(c) 2009-2013 TJ Holowaychuk\n * MIT Licensed\n */\n\n"
            "'use strict';\n\n/**\n * Module dependencies and their helpers.\n * @private\n */\n\n"
            "var debug = require('debug');\n",
            "javascript",
            "",
        ),
        (
            "#!/usr/bin/env node\n/**\n * @file Render views into strings for the templates.\n"
            " * @author someone\n */\n'use strict';\n",
            "javascript",
            "Render views into strings for the templates.",
        ),
        (
            "/* Stock badges for the shop front.\n *\n * Every element gets a badge. */\n\n"
            "export function badge() {}\n",
            "typescript",
            "Stock badges for the shop front.",
        ),
        (
            "// Copyright 2020 X. Licensed under MIT.\n\n#![allow(dead_code)]\n"
            "//! The searcher reads files and reports matches.\n//!\n//! More.\nuse std::io;\n",
            "rust",
            "The searcher reads files and reports matches.",
        ),
        (
            '"""\n    flask.app\n    ~~~~~~~~~\n\n    The central WSGI application object.\n\n'
            '    :copyright: (c) 2010 by Armin Ronacher.\n"""\n',
            "python",
            "The central WSGI application object.",
        ),
        (
            "/* Copyright 2001 X. All rights reserved. */\n\n"
            "/* str.c: string helpers for the parser. */\n\n#include <x.h>\n",
            "c",
            "str.c: string helpers for the parser.",
        ),
    ],
)
def test_a_module_is_described_by_its_language_s_convention_never_by_its_licence(
    text: str, lang: str, description: str
) -> None:
    assert module_description(text, lang) == description
