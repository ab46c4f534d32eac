"""Go: errors are values — returned (``errors.New``, ``fmt.Errorf``, a sentinel ``ErrX``), tested
(``if err != nil``, ``errors.Is``/``errors.As``) — ``panic`` and ``recover``, the ``log``/``slog``
packages, and the package comment that documents a package."""

from __future__ import annotations

import re

from miners.code_facts.base import ErrorForm, LanguageFacts, described, leading_comments

FACTS = LanguageFacts(
    raises=(
        ErrorForm(re.compile(r"\b(?P<name>errors\.New|fmt\.Errorf)\((?P<msg>[^\n]*)\)"), "return"),
        ErrorForm(re.compile(r"\b(?P<name>panic)\((?P<msg>[^\n]*)\)"), "panic"),
    ),
    # ``errors.Is(err, ErrNotExist)``: the sentinel error the code tells apart
    catches=(re.compile(r"\berrors\.Is\([^,\n]+,\s*([\w.]+)\s*\)"),),
    error_signal=re.compile(
        r"\berr != nil\b|errors\.New\(|fmt\.Errorf\(|\bpanic\(|\brecover\(\)|errors\.(?:Is|As)\("
    ),
    log_signal=re.compile(r"\b(?:log|slog|logger)\.\w+\("),
)


def module_description(text: str) -> str:
    """Go's package documentation: the comment right before ``package`` (``// Package cobra is a
    commander …``), never the licence header above it, nor a ``//go:build`` line."""
    for group in leading_comments(text, "go"):
        if group.attached_to == "package_clause":
            return described(group.lines)
    return ""
