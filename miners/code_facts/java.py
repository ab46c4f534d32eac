"""Java: ``throw new …Exception(…)``, ``catch (…)``, ``throws`` clauses, logger calls."""

from __future__ import annotations

import re

from miners.code_facts.base import THROW_NEW, LanguageFacts

FACTS = LanguageFacts(
    raises=(THROW_NEW,),
    # ``catch (IOException | IllegalStateException e)``
    catches=(re.compile(r"\bcatch\s*\(\s*(?:final\s+)?([A-Z][\w.]*(?:\s*\|\s*[A-Z][\w.]*)*)"),),
    error_signal=re.compile(r"\btry\s*\{|\bcatch\s*\(|\bthrow\b|\bthrows\b"),
    log_signal=re.compile(r"\b(?:log|logger|LOG|LOGGER)\.(?:trace|debug|info|warn|error)\("),
)
