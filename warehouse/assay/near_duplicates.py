"""Near-duplicate detection: shingles, MinHash (rensa), LSH banding, and a true-Jaccard check.

A record's text becomes a set of shingles: word shingles over Latin text and normalised code,
character n-grams over Chinese. Code inside fences is normalised first — whitespace dropped, each
identifier replaced by the distance to its previous use — so a copy with renamed variables still
matches. Each set gets a MinHash signature (rensa, in Rust); signatures are cut into bands,
and records sharing a band are candidate pairs; a candidate pair is a near-duplicate only when
the true Jaccard similarity of its shingle sets reaches the threshold.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import rensa

from warehouse.record_text import code_blocks, prose, raw_turns

NEAR_DUP_VERSION = "neardup-2"
MAX_PART_CHARS = 4_000


@dataclass(frozen=True, slots=True)
class DedupSettings:
    """How near is near: the Jaccard threshold and the shape of shingles and signatures."""

    threshold: float = 0.8
    num_perm: int = 128
    bands: int = 16
    seed: int = 20240101
    word_shingle: int = 4
    cjk_ngram: int = 3

    @property
    def params(self) -> str:
        """A tag stored with each signature, so signatures made another way are never compared."""
        shingles = f"w{self.word_shingle}:c{self.cjk_ngram}"
        return f"{NEAR_DUP_VERSION}:p{self.num_perm}:s{self.seed}:{shingles}"


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Names, numbers and string literals; punctuation is left out (half the tokens, little of the
# meaning).
_CODE_TOKEN = re.compile(r"([A-Za-z_]\w*)|(\d+(?:\.\d+)?|\"[^\"\n]*\"|'[^'\n]*')")
_MAX_DISTANCE = 64
_DISTANCES = [f"v{n}" for n in range(_MAX_DISTANCE + 1)]
# Words that carry a program's structure in the languages goldmine parses: never renamed.
KEYWORDS = frozenset(
    [
        "and",
        "as",
        "assert",
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "def",
        "default",
        "del",
        "do",
        "elif",
        "else",
        "enum",
        "except",
        "export",
        "extends",
        "false",
        "final",
        "finally",
        "fn",
        "for",
        "from",
        "func",
        "function",
        "go",
        "if",
        "impl",
        "implements",
        "import",
        "in",
        "interface",
        "is",
        "lambda",
        "let",
        "loop",
        "match",
        "mod",
        "mut",
        "new",
        "nil",
        "none",
        "not",
        "null",
        "or",
        "package",
        "pass",
        "private",
        "protected",
        "pub",
        "public",
        "raise",
        "return",
        "self",
        "static",
        "struct",
        "super",
        "switch",
        "this",
        "throw",
        "throws",
        "true",
        "try",
        "type",
        "typeof",
        "use",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "True",
        "False",
        "None",
    ]
)


def dedup_text(raw: dict[str, Any]) -> list[str]:
    """The parts of a record that make it what it is: request and answer (the system prompt is
    shared).

    Each part is compared on its first few thousand characters: a copy shows in its opening, and
    the cap keeps one huge record from costing as much as a hundred ordinary ones.
    """
    if raw.get("kind") == "agent":
        parts: list[str] = []
        for turn in raw_turns(raw):
            content = turn.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, dict):
                action = content.get("action")
                parts.append(
                    json.dumps(action, ensure_ascii=False)
                    if action
                    else str(content.get("final_answer") or "")
                )
        return [part[:MAX_PART_CHARS] for part in parts]
    return [
        str(raw.get(name) or "")[:MAX_PART_CHARS] for name in ("instruction", "input", "output")
    ]


@lru_cache(maxsize=4096)
def normalised_code(code: str) -> tuple[str, ...]:
    """Code tokens (names, numbers, strings) with identifiers replaced by the distance to their last
    use.

    ``total = total + price`` and ``sum = sum + cost`` both become ``v v2 + v4``-like sequences:
    consistent renaming keeps every distance, and deleting a line changes only the distances that
    span it (numbering names by first appearance would renumber everything after the deletion).
    """
    last: dict[str, int] = {}
    out: list[str] = []
    for position, (name, other) in enumerate(_CODE_TOKEN.findall(code)):
        if not name or name in KEYWORDS:
            out.append(name or other)
            continue
        previous = last.get(name)
        last[name] = position
        out.append("v" if previous is None else _DISTANCES[min(position - previous, _MAX_DISTANCE)])
    return tuple(out)


def shingles(text: str | Sequence[str], settings: DedupSettings) -> set[str]:
    """The shingle set of a text (or of a record's parts): word k-shingles over prose and normalised
    code, CJK character n-grams."""
    parts = [text] if isinstance(text, str) else text
    words: list[str] = []
    characters: list[str] = []
    for part in parts:
        words += _latin(prose(part), characters).lower().split()  # whitespace words: C speed
        for block in code_blocks(part):
            words += normalised_code(block.code)
    result = _word_shingles(words, settings.word_shingle)
    n = settings.cjk_ngram
    for run in characters:
        result.update(run[i : i + n] for i in range(max(1, len(run) - n + 1)))
    return result


def _latin(text: str, characters: list[str]) -> str:
    """``text`` with its runs of Chinese characters cut out (and collected into ``characters``)."""
    if text.isascii():
        return text
    characters += _CJK_RUN.findall(text)
    return _CJK_RUN.sub(" ", text)


def _word_shingles(words: list[str], k: int) -> set[str]:
    if len(words) <= k:
        return {" ".join(words)} if words else set()
    return set(map(" ".join, zip(*(words[i:] for i in range(k)), strict=False)))


def hashed(shingle_sets: Sequence[Iterable[str]]) -> list[np.ndarray]:
    """Each shingle set as a sorted array of its 64-bit hashes (rensa's token hash, the same in
    every process)."""
    hashes = (
        rensa.RMinHash.hash_token_sets([s or ("",) for s in shingle_sets]) if shingle_sets else []
    )
    return [np.unique(np.array(row, dtype=np.uint64)) for row in hashes]


def signatures(shingle_sets: Sequence[Iterable[str]], settings: DedupSettings) -> np.ndarray:
    """MinHash signatures (one uint32 row per set), computed by rensa."""
    return signatures_of(hashed(shingle_sets), settings)


def signatures_of(hash_arrays: Sequence[np.ndarray], settings: DedupSettings) -> np.ndarray:
    """MinHash signatures of hashed shingle sets, in one call into rensa."""
    if not hash_arrays:
        return np.zeros((0, settings.num_perm), dtype=np.uint32)
    offsets = np.zeros(len(hash_arrays) + 1, dtype=np.uint64)
    np.cumsum([len(a) for a in hash_arrays], out=offsets[1:])
    flat = np.concatenate(hash_arrays).astype(np.uint64)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        flat, offsets, settings.num_perm, settings.seed
    )
    return np.asarray(matrix.to_rows(), dtype=np.uint32)


def candidate_pairs(matrix: np.ndarray, settings: DedupSettings) -> np.ndarray:
    """Row pairs ``(a, b)``, a < b, that share at least one LSH band: a star per bucket (its first
    row × the others).

    Vectorised per band: rows are sorted by their band key, and each bucket's first row is paired
    with the others in it, so a bucket of k rows costs k - 1 pairs, never k².
    """
    rows = matrix.shape[0]
    if rows < 2:
        return np.zeros((0, 2), dtype=np.int64)
    width = settings.num_perm // settings.bands
    weights = np.array(
        [(0x9E3779B97F4A7C15 * (i + 1)) % 2**64 for i in range(width)], dtype=np.uint64
    )
    found = []
    for band in range(settings.bands):
        keys = (matrix[:, band * width : (band + 1) * width].astype(np.uint64) * weights).sum(
            axis=1
        )
        # equal keys keep row order: a bucket's first row is its smallest
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        new_bucket = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
        firsts = order[np.flatnonzero(new_bucket)][np.cumsum(new_bucket) - 1]
        others = firsts != order
        found.append(np.stack([firsts[others], order[others]], axis=1))
    pairs = np.concatenate(found).astype(np.int64)
    return np.unique(pairs, axis=0) if len(pairs) else pairs


def plausible(pairs: np.ndarray, matrix: np.ndarray, settings: DedupSettings) -> np.ndarray:
    """The candidate pairs whose MinHash estimate is within four standard errors of the threshold or
    above.

    A pair estimated far below the threshold is not worth comparing in full: its true Jaccard
    cannot reach the threshold either. The true Jaccard decides for every pair that remains.
    """
    if not len(pairs):
        return pairs
    estimates = (matrix[pairs[:, 0]] == matrix[pairs[:, 1]]).mean(axis=1)
    margin = 4 * np.sqrt(settings.threshold * (1 - settings.threshold) / settings.num_perm)
    kept: np.ndarray = pairs[estimates >= settings.threshold - margin]
    return kept


def jaccard(first: set[str], second: set[str]) -> float:
    """The true Jaccard similarity of two shingle sets."""
    if not first and not second:
        return 1.0
    return len(first & second) / len(first | second)


def hashed_jaccard(first: np.ndarray, second: np.ndarray) -> float:
    """The Jaccard similarity of two hashed shingle sets (sorted, unique)."""
    if not first.size and not second.size:
        return 1.0
    common = np.intersect1d(first, second, assume_unique=True).size
    return common / (first.size + second.size - common)


class DisjointSet:
    """Union-find over hashable items, for clustering duplicate pairs."""

    def __init__(self) -> None:
        self._parent: dict[Any, Any] = {}

    def find(self, item: Any) -> Any:
        """The representative of ``item``'s set."""
        parent = self._parent.setdefault(item, item)
        if parent != item:
            parent = self._parent[item] = self.find(parent)
        return parent

    def union(self, first: Any, second: Any) -> None:
        """Merge the sets of two items."""
        a, b = self.find(first), self.find(second)
        if a != b:
            self._parent[max(a, b, key=str)] = min(a, b, key=str)

    def groups(self) -> list[list[Any]]:
        """Every set with more than one member."""
        members: dict[Any, list[Any]] = defaultdict(list)
        for item in self._parent:
            members[self.find(item)].append(item)
        return [group for group in members.values() if len(group) > 1]
