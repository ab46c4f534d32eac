"""JavaScript and TypeScript (``.js``, ``.ts``, ``.tsx``): ``throw`` (``new Error(…)`` or an error
factory), promise rejections, errors passed to a callback (``next(new Error(…))``), ``catch`` and
``instanceof`` tests, ``console`` and logger calls, and a file's leading JSDoc."""

from __future__ import annotations

import re

import tree_sitter as ts

from miners.code_facts.base import THROW_NEW, ErrorForm, LanguageFacts, described, leading_comments

_NEW_ERROR = r"new\s+(?P<name>[A-Z][\w.]*)\((?P<msg>[^\n]*)\)"

FACTS = LanguageFacts(
    raises=(
        THROW_NEW,
        # ``throw createError(404, 'no such user')``
        ErrorForm(re.compile(r"\bthrow\s+(?P<name>[A-Za-z_$][\w$.]*)\((?P<msg>[^\n]*)\)"), "throw"),
        ErrorForm(re.compile(rf"\breject\(\s*{_NEW_ERROR}"), "reject"),
        ErrorForm(re.compile(rf"\b(?:next|callback|cb|done)\(\s*{_NEW_ERROR}"), "callback"),
    ),
    catches=(
        re.compile(r"\binstanceof\s+([A-Z]\w*(?:Error|Exception))\b"),
        re.compile(r"""\.code\s*===?\s*['"](E[A-Z]+)['"]"""),  # Node's ``err.code === 'ENOENT'``
    ),
    error_signal=re.compile(
        r"\btry\s*\{|\bcatch\b|\bthrow\b|\.catch\(|\breject\("
        r"|\b(?:next|callback|cb|done)\(\s*(?:err|error|new\s)"
    ),
    log_signal=re.compile(r"\b(?:console|log(?:ger)?)\??\.(?:log|debug|info|warn|error)\("),
)

# JSDoc's tags that say a comment describes the whole file.
_FILE_TAG = re.compile(r"^\s*@(?:file|fileoverview|overview|module)\b\s*")
_TAG = re.compile(r"^\s*@\w+")


def module_description(text: str, lang: str = "javascript") -> str:
    """A file's leading JSDoc: the comment tagged ``@file``/``@fileoverview``/``@module``, else the
    first comment at the head that stands on its own (a blank line below it), carries no JSDoc tag
    of a declaration (``@private``, ``@param``) and is not a licence (``/*! express … MIT
    Licensed */``). A comment right above the first statement describes that statement."""
    groups = leading_comments(text, lang, _is_prologue)
    for group in groups:
        if any(_FILE_TAG.match(line) for line in group.lines):
            return described(
                [_FILE_TAG.sub("", line) for line in group.lines if not _other_tag(line)]
            )
    for group in groups:
        if not group.attached_to and not any(_other_tag(line) for line in group.lines):
            description = described(group.lines)
            if description:
                return description
    return ""


def _other_tag(line: str) -> bool:
    return bool(_TAG.match(line)) and not _FILE_TAG.match(line)


def _is_prologue(node: ts.Node) -> bool:
    """A hashbang or a directive (``'use strict';``): what may precede a file's own comment."""
    if node.type == "hash_bang_line":
        return True
    first = node.named_children[0] if node.named_children else None
    return node.type == "expression_statement" and first is not None and first.type == "string"
