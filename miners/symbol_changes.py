"""The definitions a change touched, before and after, paired by qualified name.

A name defined more than once in a file (a property's getter and its ``@x.setter``, a function
defined per Python version) is paired by place: the getter with the getter. The places of one
name a change touched are one unit, their code one after the other, as the warehouse keys units
by name.

:func:`changed_symbols` compares two versions of a file. :class:`SymbolMiner` does the same for a
whole history, cheaply: it keeps the last versions it parsed (by blob), and parses an older
version *incrementally* from the newer one's tree, using the diff's hunks as tree-sitter edits —
walking history newest first, the older side of one commit is the newer side of the next commit
that changed the file, so most file versions are parsed once, and incrementally.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate

import tree_sitter as ts

from miners.code_symbols import Definition, SymbolChange, SymbolFact, outline, parse

# old start, old count, new start, new count (as in "@@ -a,n +b,m @@")
Hunk = tuple[int, int, int, int]
LineRanges = Iterable[tuple[int, int]]


@dataclass(slots=True)
class ParsedVersion:
    """One version of a file: its bytes, its tree, and what was read off them once asked for."""

    language: str
    source: bytes
    tree: ts.Tree
    _by_name: dict[str, list[Definition]] | None = field(default=None, repr=False)
    _line_starts: list[int] | None = field(default=None, repr=False)

    def near(self, lines: Sequence[tuple[int, int]]) -> list[Definition]:
        """The definitions overlapping ``lines`` (and those enclosing them), outermost first."""
        return outline(self.tree, self.language, lines) if lines else []

    def named(self, name: str) -> list[Definition]:
        """The definitions called ``name`` anywhere in the file, in order (a property's getter
        and its setter share a name)."""
        if name.rsplit(".", 1)[-1].encode() not in self.source:
            return []  # the cheap answer for a function a commit added or deleted
        if self._by_name is None:
            self._by_name = defaultdict(list)
            for definition in outline(self.tree, self.language):
                self._by_name[definition.qualified_name].append(definition)
        return self._by_name.get(name, [])

    def first_line(self, definition: Definition) -> bytes:
        """The definition's first line (its decorator, or its signature), stripped."""
        starts = self.line_starts
        return self.source[
            starts[definition.start_line - 1] : starts[definition.start_line]
        ].strip()

    def code_lines(self, touched: LineRanges) -> list[tuple[int, int]]:
        """``touched`` without its blank lines: a blank line between two methods touches neither
        (nor the class around them)."""
        starts, source = self.line_starts, self.source
        last_line = len(starts) - 1
        runs: list[tuple[int, int]] = []
        for first, last in touched:
            for number in range(max(first, 1), min(last, last_line) + 1):
                if not source[starts[number - 1] : starts[number]].strip():
                    continue
                if runs and runs[-1][1] == number - 1:
                    runs[-1] = (runs[-1][0], number)
                else:
                    runs.append((number, number))
        return runs

    @property
    def line_starts(self) -> list[int]:
        """The byte offset of every line's start, plus one past the end (computed once)."""
        if self._line_starts is None:
            self._line_starts = line_starts(self.source)
        return self._line_starts


def changed_symbols(
    language: str,
    before: bytes | None,
    after: bytes | None,
    old_touched: LineRanges,
    new_touched: LineRanges,
) -> list[SymbolChange]:
    """The innermost definitions that contain a touched line, paired across the two versions."""
    old = ParsedVersion(language, before, parse(before, language)) if before else None
    new = ParsedVersion(language, after, parse(after, language)) if after else None
    return changes_between(old, new, old_touched, new_touched)


def changes_between(
    old: ParsedVersion | None,
    new: ParsedVersion | None,
    old_touched: LineRanges,
    new_touched: LineRanges,
) -> list[SymbolChange]:
    """Pair the touched definitions of two parsed versions; unchanged code is left out.

    Only definitions overlapping touched lines are outlined; a name touched on one side is looked
    up on the other (and found there without an outline when its name is not even in the text).
    """
    old_lines = old.code_lines(old_touched) if old else []
    new_lines = new.code_lines(new_touched) if new else []
    old_near = old.near(old_lines) if old else []
    new_near = new.near(new_lines) if new else []
    names = touched_names(old_near, old_lines) | touched_names(new_near, new_lines)
    changes = []
    for name in sorted(names):
        changed = []
        for before_definition, after_definition in _pairs(old, new, old_near, new_near, name):
            before = before_definition.fact(old.source) if before_definition and old else None
            after = after_definition.fact(new.source) if after_definition and new else None
            if before is None or after is None or before.code != after.code:
                changed.append((before, after))
        if changed:
            before, after = _joined([b for b, _ in changed]), _joined([a for _, a in changed])
            change = "added" if before is None else "deleted" if after is None else "modified"
            kind = after.kind if after is not None else before.kind if before else "function"
            changes.append(SymbolChange(name, kind, change, before, after))
    return changes


def _joined(facts: list[SymbolFact | None]) -> SymbolFact | None:
    """One fact for the definitions of one name a change touched (a property's getter and setter
    both changed): their code one after the other, spanning from the first to the last. A name is
    one unit, as the warehouse keys it."""
    present = [fact for fact in facts if fact is not None]
    if len(present) <= 1:
        return present[0] if present else None
    first = present[0]
    return replace(
        first,
        end_line=present[-1].end_line,
        code="\n\n".join(fact.code.rstrip("\n") for fact in present),
    )


Pair = tuple[Definition | None, Definition | None]


def _pairs(
    old: ParsedVersion | None,
    new: ParsedVersion | None,
    old_near: list[Definition],
    new_near: list[Definition],
    name: str,
) -> list[Pair]:
    """The definitions called ``name`` before and after, paired by their place among the file's
    definitions of that name: a property's getter with the getter, its setter with the setter,
    whichever of them the touched lines are in. Only the places a touched line is in are
    paired (a unique name is the one pair it always was). One touched definition on each side
    that starts with the same line is the same one, and the file is not outlined for it."""
    old_touched = [d for d in old_near if d.qualified_name == name]
    new_touched = [d for d in new_near if d.qualified_name == name]
    if (
        old is not None
        and new is not None
        and len(old_touched) == len(new_touched) == 1
        and old.first_line(old_touched[0]) == new.first_line(new_touched[0])
    ):
        return [(old_touched[0], new_touched[0])]  # the same definition, no outline needed
    befores = old.named(name) if old else []
    afters = new.named(name) if new else []
    if len(befores) <= 1 and len(afters) <= 1:
        return [(befores[0] if befores else None, afters[0] if afters else None)]
    places = _places(befores, old_near, name) | _places(afters, new_near, name)
    return [
        (
            befores[place] if place < len(befores) else None,
            afters[place] if place < len(afters) else None,
        )
        for place in sorted(places)
    ]


def _places(definitions: list[Definition], near: list[Definition], name: str) -> set[int]:
    """Where among ``definitions`` (one name's, in order) the touched ones of that name are."""
    touched = {d.start_line for d in near if d.qualified_name == name}
    return {place for place, d in enumerate(definitions) if d.start_line in touched}


def touched_names(definitions: Sequence[Definition], touched: LineRanges) -> set[str]:
    """Names of the innermost definitions holding any touched line (a helper nested in a function
    counts as that function).

    The innermost definition of a line is the one with the smallest span containing it (the later
    one on a tie). Lines are grouped into segments that share their innermost definition, so the
    cost is O((definitions + ranges) log definitions), not lines × definitions.
    """
    starts, owners = innermost_segments([d for d in definitions if d.kind != "nested"])
    names: set[str] = set()
    for first, last in touched:
        at = max(bisect_right(starts, first) - 1, 0)
        while at < len(starts) and starts[at] <= last:
            owner = owners[at]
            if owner is not None:
                names.add(owner.qualified_name)
            at += 1
    return names


def innermost_segments(
    definitions: Sequence[Definition],
) -> tuple[list[int], list[Definition | None]]:
    """Split the lines at every definition boundary; each segment gets its innermost definition.

    Returns the first line of every segment and its owner (None outside every definition); a
    segment runs to the line before the next one starts (the last one runs on forever).
    """
    order = sorted(range(len(definitions)), key=lambda i: definitions[i].start_line)
    points = sorted({d.start_line for d in definitions} | {d.end_line + 1 for d in definitions})
    active: list[tuple[int, int]] = []  # heap of (span, -index): the innermost on top
    starts: list[int] = []
    owners: list[Definition | None] = []
    position = 0
    for point in points:
        while position < len(order) and definitions[order[position]].start_line == point:
            index = order[position]
            heapq.heappush(
                active, (definitions[index].end_line - definitions[index].start_line, -index)
            )
            position += 1
        while active and definitions[-active[0][1]].end_line < point:
            heapq.heappop(active)  # ended before this segment (lazily removed once on top)
        starts.append(point)
        owners.append(definitions[-active[0][1]] if active else None)
    return starts, owners


class SymbolMiner:
    """Changed definitions of many file changes, each file version parsed once where it can be.

    ``read`` gives a blob's bytes by sha (None when it is missing or too large). The cache keeps
    the versions a walk newest-first will ask for next — each change's older side — up to
    ``cache_bytes`` of source (a tree takes about ten times its source), least recently used
    first out; a newer side is dropped once its older side is parsed from it.
    """

    def __init__(
        self, read: Callable[[str], bytes | None], *, cache_bytes: int = 8_000_000
    ) -> None:
        self._read = read
        self._cache: OrderedDict[tuple[str, str], ParsedVersion] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached_bytes = 0
        self.incremental_parses = 0
        self.full_parses = 0
        self.unreadable = 0  # versions ``read`` did not give (too large, or missing)

    def changes(
        self,
        language: str,
        old_blob: str | None,
        new_blob: str | None,
        hunks: Sequence[Hunk],
        old_touched: LineRanges,
        new_touched: LineRanges,
    ) -> list[SymbolChange]:
        """The definitions one file change added, modified or deleted; none when a version of the
        file cannot be read (one side alone would make every touched definition look new)."""
        new = self._version(language, new_blob, None, ())
        if new_blob is not None and new is None:
            return []
        old = self._version(language, old_blob, new, hunks)
        if old_blob is not None and old is None:
            return []
        if old is not None and new_blob is not None:
            self._forget((language, new_blob))
        return changes_between(old, new, old_touched, new_touched)

    def _version(
        self, language: str, blob: str | None, newer: ParsedVersion | None, hunks: Sequence[Hunk]
    ) -> ParsedVersion | None:
        if blob is None:
            return None
        key = (language, blob)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        source = self._read(blob)
        if source is None:
            self.unreadable += 1
            return None
        tree, starts = self._parse(language, source, newer, hunks)
        version = ParsedVersion(language, source, tree, _line_starts=starts)
        self._cache[key] = version
        self._cached_bytes += len(source)
        while self._cached_bytes > self._cache_bytes and len(self._cache) > 1:
            self._forget(next(iter(self._cache)))
        return version

    def _forget(self, key: tuple[str, str]) -> None:
        version = self._cache.pop(key, None)
        if version is not None:
            self._cached_bytes -= len(version.source)

    def _parse(
        self, language: str, source: bytes, newer: ParsedVersion | None, hunks: Sequence[Hunk]
    ) -> tuple[ts.Tree, list[int] | None]:
        if newer is None or not hunks:
            self.full_parses += 1
            return parse(source, language), None
        tree = newer.tree.copy()
        starts = line_starts(source)
        for edit in reversed(hunk_edits(hunks, newer.line_starts, starts)):
            tree.edit(*edit)
        self.incremental_parses += 1
        return parse(source, language, tree), starts


Edit = tuple[int, int, int, tuple[int, int], tuple[int, int], tuple[int, int]]


def hunk_edits(
    hunks: Sequence[Hunk], newer_starts: list[int], older_starts: list[int]
) -> list[Edit]:
    """tree-sitter edits that turn the newer version's tree into the older one's, top to bottom.

    Applied bottom up, each edit's start is the same in both texts (nothing above it has moved
    yet). A hunk with a count of 0 starts *after* its line (git's convention for pure inserts).
    """
    edits = []
    for old_start, old_count, new_start, new_count in hunks:
        old_first = old_start - 1 if old_count else old_start
        new_first = new_start - 1 if new_count else new_start
        start = _offset(newer_starts, new_first)
        newer_end = _offset(newer_starts, new_first + new_count)
        older_length = _offset(older_starts, old_first + old_count) - _offset(
            older_starts, old_first
        )
        edits.append(
            (
                start,
                newer_end,
                start + older_length,
                (new_first, 0),
                (new_first + new_count, 0),
                (new_first + old_count, 0),
            )
        )
    return edits


def line_starts(source: bytes) -> list[int]:
    """The byte offset of every line's start, plus one past the end of the text."""
    return list(accumulate(map((1).__add__, map(len, source.split(b"\n"))), initial=0))  # all in C


def _offset(starts: list[int], line: int) -> int:
    # starts[-1] is one past the end (the split adds a final empty line's newline): clamp to it
    return min(starts[min(line, len(starts) - 1)], starts[-1] - 1)
