"""Every language as its developers write it: units found where they live, cut out whole.

A unit goldmine cuts out must parse on its own with its language's grammar — as a fenced block
shows it, inside the blocks it sits in (``SymbolFact.standalone``). The property test draws files
from the shapes each language's code takes (doc comments, attributes, annotations, templates,
CommonJS assignments, receivers, ``impl`` blocks …) and from the gold records' code.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miners.code_facts import module_description, signature
from miners.code_symbols import SymbolChange, SymbolFact, extract_symbols, language_for_path, parse
from miners.git_history import iter_commits, open_repository
from miners.git_objects import BlobReader
from miners.symbol_changes import SymbolMiner
from tests.builders import BuildRepo, Commit
from warehouse.record_text import code_blocks

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

# Whole definitions, as each language writes them at the top of a file.
SHAPES: dict[str, list[str]] = {
    "python": [
        '@cache\ndef scaled(x):\n    """Scale x."""\n    return x * 2\n',
        "class Cart:\n    def total(self):\n        return 1\n\n    @property\n"
        "    def size(self):\n        return 2\n",
        'async def fetch(url: str) -> bytes:\n    return b""\n',
    ],
    "javascript": [
        "/**\n * Send a response.\n */\n\nres.send = function send(body) {\n  return this;\n};\n",
        "exports.compile = function (fn) {\n  return fn;\n};\n",
        "Router.prototype.route = function route(path) {\n  return path;\n};\n",
        "module.exports = {\n  render() { return 1; },\n"
        "  lookup: function (name) { return name; },\n  nested: { deep: () => 2 },\n};\n",
        "class Basket {\n  // Adds one.\n  add(item) { this.items.push(item); }\n"
        "  handle = () => 1;\n  static make = function () {};\n  get size() { return 0; }\n}\n",
        "const formatPrice = (cents) => `$${cents / 100}`;\n",
        "var proto = module.exports = function (options) {\n  return options;\n};\n",
        "function* ids() {\n  yield 1;\n}\n",
        "app.locals = { title: 'shop', greet(name) { return name; } };\n",
    ],
    "typescript": [
        "export class Api<T> extends Base implements Client {\n  @Get()\n"
        "  private handle(a: number): number { return a; }\n"
        "  field = (a: number): number => a;\n"
        "  constructor(private readonly x: T) { super(); }\n}\n",
        "export interface Shape {\n  area(): number;\n}\n",
        "export const identity = async <T>(x: T): Promise<T> => x;\n",
        "abstract class Job {\n  abstract run(): void;\n  protected helper(): void {}\n}\n",
        "/** Reserve units. */\nexport function reserve(levels: Levels, sku: string): number {\n"
        "  return levels[sku];\n}\n",
    ],
    "tsx": [
        "export function App(): JSX.Element {\n  return <div className='app' />;\n}\n",
        "const Button = ({ label }: Props) => <button>{label}</button>;\n",
    ],
    "go": [
        "// Command is one command of the tree.\ntype Command struct {\n\tname string\n"
        "\tfn   func(interface{}) error\n}\n",
        "// Find finds a subcommand.\nfunc (c *Command) Find(args []string, i ...interface{}) "
        "(*Command, error) {\n\treturn c, nil\n}\n",
        "type (\n\t// Level is a level.\n\tLevel int\n"
        "\tRunner interface {\n\t\tRun() error\n\t}\n)\n",
        "func Map[T any, U any](xs []T, f func(T) U) []U {\n\treturn nil\n}\n",
        "func (l *List[T]) Push(v T) {\n}\n",
        "type Handler func(w io.Writer) error\n",
    ],
    "java": [
        "/** An account. */\n@Deprecated\npublic class Account extends Base {\n"
        "    /** Its id. */\n    @Override\n    public int id() { return 1; }\n"
        "    public Account(int x) { }\n    static class Inner { void g() {} }\n}\n",
        "interface Shape {\n    default double area() { return 0; }\n}\n",
        "enum Color { RED, GREEN; int code() { return 1; } }\n",
        "record Point(int x, int y) {\n    Point {\n"
        '        if (x < 0) throw new IllegalArgumentException("x");\n    }\n}\n',
    ],
    "rust": [
        "/// A wrapper.\n#[derive(Debug, Clone)]\npub struct Wrapper<T>(T);\n",
        "impl<T: Display> fmt::Display for Wrapper<T> {\n    /// Formats it.\n    #[inline]\n"
        "    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {\n"
        '        write!(f, "x")\n    }\n}\n',
        "pub trait Searcher {\n    fn search(&mut self) -> Result<(), Error>;\n"
        '    fn name(&self) -> &str {\n        "s"\n    }\n}\n',
        "#[cfg(test)]\nfn helper() -> io::Result<()> {\n    let x = read()?;\n    Ok(x)\n}\n",
        "pub enum Kind {\n    A,\n    B(u32),\n}\n",
        "impl Kind {\n    pub const fn new() -> Self {\n        Kind::A\n    }\n"
        "    pub async fn run(self) {}\n}\n",
    ],
    "c": [
        "/* Add two numbers. */\nstatic inline int add(int a, int b) {\n    return a + b;\n}\n",
        "struct point {\n    int x;\n    int y;\n};\n",
        "int main(int argc, char **argv) { return 0; }\n",
        'static const char *name(void) { return "x"; }\n',
    ],
    "cpp": [
        "namespace geo {\n/** The larger one. */\ntemplate <typename T>\n"
        "T larger(T a, T b) { return a > b ? a : b; }\n}\n",
        "class Shape : public Base {\n public:\n  int sides() const { return 1; }\n"
        "  virtual ~Shape() {}\n};\n",
        "int Shape::area(int x) { return x; }\n",
        "template <typename T>\nclass Box {\n  T value;\n public:\n"
        "  T get() { return value; }\n};\n",
        "struct Pair { int a; };\n",
    ],
}
_NOTE = {"python": "# a note\n"}
_PARSED = {"python": "py", "typescript": "ts"}  # the golds' fence tags goldmine parses


def as_block(code: str) -> str:
    """Code as a fenced block carries it (a block's text ends with its last line's newline)."""
    return code.rstrip("\n") + "\n"


def parses_alone(unit: SymbolFact, language: str) -> bool:
    return not parse(as_block(unit.standalone).encode(), language).root_node.has_error


def _unparsed(units: list[SymbolFact], language: str) -> list[str]:
    return [u.standalone for u in units if u.kind != "nested" and not parses_alone(u, language)]


def _squeezed_lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


@settings(max_examples=40, deadline=None)
@pytest.mark.parametrize("language", sorted(SHAPES))
@given(data=st.data())
def test_every_unit_cut_out_parses_on_its_own(language: str, data: st.DataObject) -> None:
    shapes = data.draw(st.lists(st.sampled_from(SHAPES[language]), min_size=1, max_size=6))
    note = _NOTE.get(language, "// a note\n")
    separators = data.draw(
        st.lists(st.sampled_from(["\n", "\n\n", f"\n{note}\n"]), min_size=len(shapes))
    )
    source = "".join(
        shape + separator for shape, separator in zip(shapes, separators, strict=False)
    )
    units = extract_symbols(source.encode(), language)
    assert units
    assert _unparsed(units, language) == []
    for unit in units:  # the unit is the file's own text, cut out whole
        assert _squeezed_lines(unit.code) in _squeezed_lines(source)


def test_every_unit_of_the_golds_parses_on_its_own() -> None:
    checked = 0
    for path in sorted(SEEDS.glob("[0-9]*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        for block in code_blocks(record.get("output", "")):
            language = block.language
            if language not in SHAPES or parse(block.code.encode(), language).root_node.has_error:
                continue
            units = extract_symbols(block.code.encode(), language)
            assert _unparsed(units, language) == [], path.name
            checked += len(units)
    assert checked >= 10


def _mined(repo: Path) -> list[tuple[str, SymbolChange]]:
    """Every symbol change of the history, newest commit first, with its file's path."""
    found = []
    git = open_repository(repo)
    with BlobReader(git.git_dir) as reader:
        miner = SymbolMiner(reader.read)
        for commit in iter_commits(git):
            for change in commit.changes:
                language = language_for_path(change.path)
                if language is None:
                    continue
                for symbol in miner.changes(
                    language,
                    change.old_blob,
                    change.new_blob,
                    change.hunks,
                    change.old_touched,
                    change.new_touched,
                ):
                    found.append((change.path, symbol))
    return found


_EXTENSIONS = {
    "python": "py",
    "javascript": "js",
    "typescript": "ts",
    "tsx": "tsx",
    "go": "go",
    "java": "java",
    "rust": "rs",
    "c": "c",
    "cpp": "cpp",
}


def test_every_unit_mined_from_a_history_in_each_language_parses_on_its_own(
    make_repo: BuildRepo,
) -> None:
    first = {f"src/shapes.{_EXTENSIONS[lang]}": "".join(s[::2]) for lang, s in SHAPES.items()}
    full = {f"src/shapes.{_EXTENSIONS[lang]}": "\n".join(s) for lang, s in SHAPES.items()}
    history: list[Commit] = [
        {"message": "Start every language", "files": first},
        {"message": "Write every shape", "files": full},
        # every `return 1` becomes `return 3`: the units that hold one are modified
        {
            "message": "Change every shape",
            "files": {p: t.replace("1", "3") for p, t in full.items()},
        },
        {"message": "Remove them", "delete": list(full)},
    ]
    mined = _mined(make_repo(history))
    assert {path for path, _ in mined} == set(full)
    assert {change.change for _, change in mined} >= {"added", "modified", "deleted"}
    for path, change in mined:
        language = language_for_path(path)
        assert language is not None
        for side in (change.before, change.after):
            if side is not None and side.kind != "nested":
                assert parses_alone(side, language), (path, side.standalone)
    names = {change.qualified_name for _, change in mined}
    assert {"Command", "Command.Find", "List.Push", "Wrapper.fmt", "Api.handle"} <= names


COMMONJS_BEFORE = """\
'use strict';

/**
 * Module dependencies.
 * @private
 */

var Route = require('./route');

/**
 * Send a response.
 * @public
 */

res.send = function send(body) {
  return this.end(body);
};

exports.compile = function (fn) {
  return fn;
};

Router.prototype.route = function route(path) {
  return new Route(path);
};
"""
COMMONJS_AFTER = (
    COMMONJS_BEFORE.replace(
        "return this.end(body);",
        "this.set('Content-Length', body.length);\n  return this.end(body);",
    )
    .replace("return fn;", "return fn.bind(null);")
    .replace("new Route(path)", "new Route(path, this)")
)
VIEW_BEFORE = """\
module.exports = {
  render(name, options) {
    return name;
  },
  lookup: function (name) {
    return this.root + name;
  },
};
"""
VIEW_AFTER = VIEW_BEFORE.replace("return name;\n", "return this.engine(name, options);\n").replace(
    "this.root + name", "path.join(this.root, name)"
)


def test_a_commonjs_history_gives_every_assigned_function_its_qualified_name(
    make_repo: BuildRepo,
) -> None:
    repo = make_repo(
        [
            {
                "message": "Add the response and the view",
                "files": {"lib/response.js": COMMONJS_BEFORE, "lib/view.js": VIEW_BEFORE},
            },
            {
                "message": "Set the length, bind compiled functions, pass the router",
                "files": {"lib/response.js": COMMONJS_AFTER, "lib/view.js": VIEW_AFTER},
            },
        ]
    )
    latest = {
        (path, change.qualified_name): change
        for path, change in reversed(_mined(repo))
        if change.change == "modified"
    }
    assert sorted(latest) == [
        ("lib/response.js", "Router.prototype.route"),
        ("lib/response.js", "exports.compile"),
        ("lib/response.js", "res.send"),
        ("lib/view.js", "module.exports.lookup"),
        ("lib/view.js", "module.exports.render"),
    ]
    send = latest[("lib/response.js", "res.send")]
    assert send.kind == "method" and send.before is not None and send.after is not None
    assert send.after.code.startswith("/**\n * Send a response.")
    assert "Content-Length" in send.after.code and "Content-Length" not in send.before.code
    assert latest[("lib/response.js", "exports.compile")].kind == "function"
    render = latest[("lib/view.js", "module.exports.render")].after
    assert render is not None and render.kind == "method"
    assert render.context == "module.exports = {"
    assert render.standalone.startswith("module.exports = {\n    render(name, options) {")
    for change in latest.values():
        assert change.after is not None and parses_alone(change.after, "javascript")


GO_BEFORE = """\
// Copyright 2013-2023 The Cobra Authors
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.

// Package cobra is a commander providing a simple interface to create powerful modern CLI
// interfaces.
package cobra

import "fmt"

// Command is just that, a command for your application.
type Command struct {
\t// Use is the one-line usage message.
\tUse string
}

// Name returns the command's name.
func (c *Command) Name() string {
\treturn c.Use
}
"""
GO_AFTER = GO_BEFORE.replace(
    "\tUse string\n",
    "\tUse string\n\t// errWriter is where errors are printed.\n\terrWriter io.Writer\n",
) + (
    "\n// PrintErrln prints to the command's error writer.\n"
    "func (c *Command) PrintErrln(i ...interface{}) {\n"
    "\tfmt.Fprintln(c.errWriter, i...)\n}\n"
)


def test_a_go_history_gives_whole_types_methods_signatures_and_the_package_comment(
    make_repo: BuildRepo,
) -> None:
    repo = make_repo(
        [
            {"message": "Add Command", "files": {"command.go": GO_BEFORE}},
            {"message": "Print errors to their own writer", "files": {"command.go": GO_AFTER}},
        ]
    )
    newest = {change.qualified_name: change for _, change in _mined(repo)[:2]}
    assert set(newest) == {"Command", "Command.PrintErrln"}
    command = newest["Command"].after
    assert command is not None and command.kind == "class"
    assert command.code.startswith("// Command is just that")
    assert "type Command struct {" in command.code and "errWriter io.Writer" in command.code
    printer = newest["Command.PrintErrln"]
    assert printer.change == "added" and printer.after is not None
    assert printer.after.doc == "// PrintErrln prints to the command's error writer."
    assert signature(printer.after.code, "go") == "func (c *Command) PrintErrln(i ...interface{})"
    for unit in (command, printer.after):
        assert parses_alone(unit, "go")
    assert module_description(GO_AFTER, "go") == (
        "Package cobra is a commander providing a simple interface to create powerful modern CLI "
        "interfaces."
    )


def test_a_rust_method_shows_its_impl_and_keeps_its_attributes_and_doc() -> None:
    source = SHAPES["rust"][1].encode()
    fmt = {u.qualified_name: u for u in extract_symbols(source, "rust")}["Wrapper.fmt"]
    assert fmt.kind == "method"
    assert fmt.code.startswith("/// Formats it.\n#[inline]\nfn fmt(")
    assert fmt.context == "impl<T: Display> fmt::Display for Wrapper<T> {"
    assert fmt.standalone.startswith(fmt.context + "\n    /// Formats it.")
    assert fmt.doc == "/// Formats it."
    assert signature(fmt.code, "rust") == (
        "fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result"
    )


@pytest.mark.parametrize(
    ("language", "source", "name", "starts"),
    [
        ("java", SHAPES["java"][0], "Account.id", "/** Its id. */\n@Override\npublic int id()"),
        ("cpp", SHAPES["cpp"][0], "geo.larger", "/** The larger one. */\ntemplate <typename T>"),
        ("c", SHAPES["c"][0], "add", "/* Add two numbers. */\nstatic inline int add("),
        ("typescript", SHAPES["typescript"][0], "Api.handle", "@Get()\nprivate handle("),
        ("go", SHAPES["go"][2], "Level", "// Level is a level.\nLevel int"),
    ],
)
def test_units_keep_their_doc_comments_annotations_templates_and_storage_class(
    language: str, source: str, name: str, starts: str
) -> None:
    unit = {u.qualified_name: u for u in extract_symbols(source.encode(), language)}[name]
    assert unit.code.startswith(starts)
    assert parses_alone(unit, language)


def test_a_go_type_of_a_group_is_shown_in_its_group() -> None:
    level = {u.qualified_name: u for u in extract_symbols(SHAPES["go"][2].encode(), "go")}["Level"]
    assert level.standalone == textwrap.dedent(
        """\
        type (
            // Level is a level.
            Level int
        )
        """
    )
