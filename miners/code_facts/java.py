"""Java: ``throw new …Exception(…)``, ``catch (…)``, ``throws`` clauses, logger calls."""

from __future__ import annotations

import re

from miners.code_facts.base import THROW_NEW, LanguageFacts

FACTS = LanguageFacts(
    raise_pattern=THROW_NEW,
    catch_pattern=re.compile(r"\bcatch\s*\(\s*([A-Z]\w*)"),
    error_signal=re.compile(r"\btry\s*\{|\bcatch\s*\(|\bthrow\b|\bthrows\b"),
    log_signal=re.compile(r"\b(?:log|logger|LOG|LOGGER)\.(?:trace|debug|info|warn|error)\("),
)
