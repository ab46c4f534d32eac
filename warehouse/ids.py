"""Deterministic ids: the same inputs always give the same id, so reruns insert nothing new."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def stable_id(*parts: Any) -> str:
    """A 32-hex-digit id hashed from ``parts`` (anything JSON can encode, in order)."""
    payload = json.dumps(
        parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def content_hash(text: str | bytes) -> str:
    """The full SHA-256 of a text or file content."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()
