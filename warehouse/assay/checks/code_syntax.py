"""Does a code block parse? tree-sitter for its language; Python must also compile; JSON must load.

The grammars are the per-language wheels ``miners.code_symbols`` already uses (no download at
run time), through the same parsers (one per language and process).
"""

from __future__ import annotations

import ast
import json
import textwrap
from functools import lru_cache

import tree_sitter as ts

from miners.code_symbols import parse
from warehouse.record_text import CodeBlock

_COMPILE_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@lru_cache(maxsize=4096)  # a record's English and Chinese versions carry the same code
def syntax_problem(block: CodeBlock) -> str:
    """Why ``block`` is not complete code in its language, or "" when it is (or is not parsed)."""
    if block.language is None:
        return ""
    if not block.closed:
        return f"the {block.tag} block is cut off (its fence is never closed)"
    if block.language == "json":
        return _json_problem(block.code)
    code = textwrap.dedent(block.code)
    if block.language == "python" and code.lstrip().startswith(">>>"):
        # an interactive session: its input is the code, the rest is output
        code = _console_input(code)
    tree = parse(code.encode("utf-8"), block.language)
    if tree.root_node.has_error:
        return f"the {block.tag} block does not parse (line {_first_error_line(tree.root_node)})"
    if block.language == "python":
        return _python_problem(code)
    return ""


def _console_input(session: str) -> str:
    """The statements typed in a Python console transcript (``>>> `` and ``... `` lines)."""
    return "".join(
        line[4:] + "\n" for line in session.splitlines() if line.startswith((">>> ", "... "))
    )


def _json_problem(code: str) -> str:
    try:
        json.loads(code)
    except ValueError as error:
        return f"the json block does not load ({error})"
    return ""


def _python_problem(code: str) -> str:
    try:
        compile(code, "<record>", "exec", flags=_COMPILE_FLAGS, dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        return f"the python block does not compile ({getattr(error, 'msg', error)}, line {line})"
    return ""


def _first_error_line(node: ts.Node) -> int:
    """The 1-based line of the first ERROR or MISSING node under ``node``."""
    cursor = node.walk()
    while True:
        current = cursor.node
        if current is not None and (current.is_error or current.is_missing):
            return current.start_point[0] + 1
        if current is not None and current.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return node.start_point[0] + 1
