"""Rust: ``Result`` and ``Err(…)``, ``?``, ``map_err``, ``panic!``/``expect``, and the ``log`` and
``tracing`` macros."""

from __future__ import annotations

import re

from miners.code_facts.base import LanguageFacts

FACTS = LanguageFacts(
    raise_pattern=re.compile(r"\b(Err)\((?P<msg>[^\n]*)\)"),
    catch_pattern=None,
    error_signal=re.compile(r"\bResult<|\bErr\(|\?;|\.map_err\(|\bpanic!|\.expect\("),
    log_signal=re.compile(r"\b(?:log|tracing)::|\b(?:trace|debug|info|warn|error)!\("),
)
