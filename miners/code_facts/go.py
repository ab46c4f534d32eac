"""Go: errors are values (``errors.New``, ``fmt.Errorf``, ``if err != nil``), ``panic``, and the
``log``/``slog`` packages."""

from __future__ import annotations

import re

from miners.code_facts.base import LanguageFacts

FACTS = LanguageFacts(
    raise_pattern=re.compile(r"\b(errors\.New|fmt\.Errorf)\((?P<msg>[^\n]*)\)"),
    catch_pattern=None,
    error_signal=re.compile(r"\berr != nil\b|errors\.New\(|fmt\.Errorf\(|\bpanic\("),
    log_signal=re.compile(r"\b(?:log|slog|logger)\.\w+\("),
)
