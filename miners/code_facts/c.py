"""C and C++: ``errno``, ``NULL`` checks, ``perror``, ``return -1``, C++ ``throw``/``catch`` of
named types, and logging to ``stderr``, ``syslog`` or a ``LOG…`` macro."""

from __future__ import annotations

import re

from miners.code_facts.base import ErrorForm, LanguageFacts

FACTS = LanguageFacts(
    # C++: ``throw std::runtime_error("…")``
    raises=(
        ErrorForm(
            re.compile(r"\bthrow\s+(?P<name>(?:\w+::)*[A-Za-z_]\w*)\s*[({](?P<msg>[^\n]*)[)}]"),
            "throw",
        ),
    ),
    catches=(re.compile(r"\bcatch\s*\(\s*(?:const\s+)?((?:\w+::)*\w+)\s*[&*]?"),),
    error_signal=re.compile(
        r"\berrno\b|==\s*NULL|!=\s*NULL|\bperror\(|return\s+-1\b|\bthrow\b|\bcatch\s*\("
    ),
    log_signal=re.compile(r"fprintf\(\s*stderr|\bsyslog\(|\bstd::cerr\b|\bLOG\w*\("),
)
