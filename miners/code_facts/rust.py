"""Rust: ``Result`` and ``Err(…)``, ``?``, ``bail!``, ``map_err``, ``panic!``/``expect``, a
``match`` arm on an error, the ``log`` and ``tracing`` macros, and the ``//!`` lines that document
a crate or module."""

from __future__ import annotations

import re

import tree_sitter as ts

from miners.code_facts.base import ErrorForm, LanguageFacts, described, leading_comments

# ``Err(Error::NotFound) =>`` is a match arm (a catch), not a return
_NOT_AN_ARM = r"(?![^()\n]*\)\s*=>)"

FACTS = LanguageFacts(
    raises=(
        ErrorForm(
            re.compile(
                rf"\bErr\({_NOT_AN_ARM}\s*(?P<name>(?:[A-Z]\w*::)*[A-Z]\w*|anyhow!|eyre!)?"
                r"(?P<msg>[^\n]*)\)"
            ),
            "return",
            "Err",
        ),
        ErrorForm(re.compile(r"\b(?P<name>bail!|anyhow!|eyre!)\((?P<msg>[^\n]*)\)"), "return"),
        ErrorForm(
            re.compile(r"\b(?P<name>(?:panic|unreachable|todo|unimplemented)!)\((?P<msg>[^\n]*)\)"),
            "panic",
        ),
    ),
    catches=(re.compile(r"\bErr\(\s*((?:[A-Z]\w*::)*[A-Z]\w*)[^()\n]*\)\s*=>"),),
    error_signal=re.compile(r"\bResult<|\bErr\(|\?;|\)\?|\.map_err\(|\bpanic!|\bbail!|\.expect\("),
    log_signal=re.compile(r"\b(?:log|tracing)::|\b(?:trace|debug|info|warn|error)!\("),
)


def module_description(text: str) -> str:
    """The crate's or module's inner documentation: its ``//!`` lines (or ``/*! … */``), past any
    licence comment and ``#![…]`` attribute above them."""
    for group in leading_comments(text, "rust", _is_attribute):
        if group.raw.lstrip().startswith(("//!", "/*!")):
            return described(group.lines)
    return ""


def _is_attribute(node: ts.Node) -> bool:
    return node.type in ("inner_attribute_item", "attribute_item")
