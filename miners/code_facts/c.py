"""C and C++: ``errno``, ``NULL`` checks, ``perror``, ``return -1``, C++ ``throw``/``catch``, and
logging to ``stderr``, ``syslog`` or a ``LOG…`` macro."""

from __future__ import annotations

import re

from miners.code_facts.base import LanguageFacts

FACTS = LanguageFacts(
    raise_pattern=None,
    catch_pattern=None,
    error_signal=re.compile(
        r"\berrno\b|==\s*NULL|!=\s*NULL|\bperror\(|return\s+-1\b|\bthrow\b|\bcatch\s*\("
    ),
    log_signal=re.compile(r"fprintf\(\s*stderr|\bsyslog\(|\bstd::cerr\b|\bLOG\w*\("),
)
