"""JavaScript and TypeScript (``.js``, ``.ts``, ``.tsx``): ``throw new Error(…)``, ``catch``,
promise rejections, ``console`` and logger calls."""

from __future__ import annotations

import re

from miners.code_facts.base import THROW_NEW, LanguageFacts

FACTS = LanguageFacts(
    raise_pattern=THROW_NEW,
    catch_pattern=None,
    error_signal=re.compile(r"\btry\s*\{|\bcatch\b|\bthrow\b|\.catch\(|\breject\("),
    log_signal=re.compile(r"\b(?:console|log(?:ger)?)\??\.(?:log|debug|info|warn|error)\("),
)
