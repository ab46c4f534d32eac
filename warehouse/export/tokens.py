"""How many tokens an exported row costs in the training window, and what is over the limit.

LLaMA-Factory truncates every example to ``cutoff_len`` (2,048 tokens by default) without a word:
a trajectory cut before its final answer teaches the model to stop halfway. So every exported row
is counted, the counts go to the manifest and the report, and ``[export] max_tokens`` drops a row
that would be cut (with its reason, stored in ``export_drops``).

The count is of the row's own text (every message, the system prompt, the tools) with a real
tokenizer — a ``tokenizer.json`` or the tokenizer inside a GGUF model file — plus a small
allowance per turn for the chat template's role words. Without a tokenizer it is a byte-level
estimate that errs long: one token per :data:`ASCII_BYTES_PER_TOKEN` ASCII bytes, and
:data:`TOKENS_PER_OTHER_CHARACTER` for every other character (Chinese, accents, dashes), one for
each digit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from miners.errors import GoldmineError

# Measured on the demo export (212 rows, English and Chinese, every format) against SmolLM2's
# tokenizer: ASCII text and code run 3.0-3.7 bytes per token, JSON with escaped quotes less, a
# digit is a token of its own, a Chinese character about 1.7 tokens. With these figures the
# estimate is 1.14x the real total and at least 1.02x the real count on every row.
ASCII_BYTES_PER_TOKEN = 2.9
TOKENS_PER_OTHER_CHARACTER = 2
# What a chat template adds around one message (qwen: ``<|im_start|>role\n`` … ``<|im_end|>\n``).
TOKENS_PER_TURN = 5
DROP_REASON = "over_max_tokens"


class TokenizerError(GoldmineError):
    """Raised when ``[export] tokenizer`` names a file that is missing or holds no tokenizer
    goldmine can read."""


class TokenCounter(Protocol):
    """Counts the tokens of a text."""

    @property
    def name(self) -> str:
        """What counted (shown in the manifest and the report)."""
        ...

    def count(self, text: str) -> int: ...


@dataclass(frozen=True, slots=True)
class ByteEstimate:
    """The estimate used when no tokenizer is configured."""

    name: str = (
        f"estimate: ASCII bytes / {ASCII_BYTES_PER_TOKEN}, digits 1, other characters "
        f"{TOKENS_PER_OTHER_CHARACTER}"
    )

    def count(self, text: str) -> int:
        ascii_bytes = len(text.encode("ascii", "ignore"))
        digits = sum(text.count(d) for d in "0123456789")  # many tokenizers split digits
        others = len(text) - ascii_bytes
        return (
            math.ceil((ascii_bytes - digits) / ASCII_BYTES_PER_TOKEN)
            + digits
            + TOKENS_PER_OTHER_CHARACTER * others
        )


@dataclass(frozen=True, slots=True)
class RealTokenizer:
    """A Hugging Face ``tokenizers`` tokenizer."""

    name: str
    tokenizer: Tokenizer

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)


def token_counter(path: str) -> TokenCounter:
    """The counter ``[export] tokenizer`` names: empty for the estimate, else a ``tokenizer.json``
    or a ``.gguf`` model file (its tokenizer is read; the weights are not)."""
    if not path:
        return ByteEstimate()
    file = Path(path)
    if not file.is_file():
        raise TokenizerError(
            f"[export] tokenizer: {path} is not a file; name a tokenizer.json or a .gguf model, "
            "or leave it empty for the byte-level estimate"
        )
    try:
        if file.suffix == ".gguf":
            return RealTokenizer(f"{file.name} (gguf)", gguf_tokenizer(file))
        return RealTokenizer(file.name, Tokenizer.from_file(str(file)))
    except TokenizerError:
        raise
    except Exception as error:  # tokenizers raises a bare Exception for a malformed file
        raise TokenizerError(
            f"[export] tokenizer: {path} could not be read as a tokenizer ({error}); name a "
            "tokenizer.json or a .gguf model with a byte-level BPE tokenizer"
        ) from error


def gguf_tokenizer(path: Path) -> Tokenizer:
    """The byte-level BPE tokenizer stored in a GGUF file's metadata (``tokenizer.ggml.*``), as a
    ``tokenizers`` object: the vocabulary, the merges, and the control tokens as special tokens.

    Only ``gpt2``-style tokenizers (SmolLM2, Qwen, Llama 3 …) are byte-level BPE; a SentencePiece
    one (``llama``) is refused with that reason.
    """
    from gguf import GGUFReader  # imported here: reading a GGUF is rare and the module is large

    fields = GGUFReader(str(path)).fields

    def value(key: str) -> Any:
        if key not in fields:
            raise TokenizerError(f"[export] tokenizer: {path.name} has no {key}")
        return fields[key].contents()

    kind = value("tokenizer.ggml.model")
    if kind != "gpt2":
        raise TokenizerError(
            f"[export] tokenizer: {path.name} holds a {kind!r} tokenizer, not byte-level BPE; "
            "name its tokenizer.json instead"
        )
    tokens: list[str] = value("tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ", 1)) for m in value("tokenizer.ggml.merges")]
    tokenizer = Tokenizer(
        models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges, fuse_unk=False)
    )
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    pre = fields.get("tokenizer.ggml.pre")
    # llama.cpp's "smollm" and "qwen2"-era pre-tokenizers split digits one by one first
    if pre is not None and pre.contents() in {"smollm", "starcoder"}:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), byte_level]
        )
    else:
        tokenizer.pre_tokenizer = byte_level
    tokenizer.decoder = decoders.ByteLevel()
    types = fields.get("tokenizer.ggml.token_type")
    if types is not None:
        control = [t for t, kind in zip(tokens, types.contents(), strict=True) if kind == 3]
        tokenizer.add_special_tokens(control)
    return tokenizer


def row_texts(row: dict[str, Any]) -> Iterator[str]:
    """Every text of an exported row the model reads: messages, system prompt, tools."""
    for value in row.values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, list) and all(isinstance(m, dict) for m in value):
            for message in value:
                yield from _message_texts(message)
        else:
            yield json.dumps(value, ensure_ascii=False)


def _message_texts(message: dict[str, Any]) -> Iterator[str]:
    for key in ("value", "content"):
        if isinstance(message.get(key), str):
            yield message[key]
    if message.get("tool_calls"):
        yield json.dumps(message["tool_calls"], ensure_ascii=False)


def row_tokens(row: dict[str, Any], counter: TokenCounter) -> int:
    """The row's tokens: its texts, plus the template's allowance for each turn."""
    turns = sum(
        len(v) for v in row.values() if isinstance(v, list) and all(isinstance(m, dict) for m in v)
    )
    texts = [t for t in row_texts(row) if t]
    return sum(counter.count(t) for t in texts) + TOKENS_PER_TURN * max(turns, 2)


def distribution(counts: Sequence[int], max_tokens: int = 0) -> dict[str, int]:
    """Rows, min, median, p90, p99, max and total of a file's token counts; and, when a limit is
    set, how many rows were over it."""
    ordered = sorted(counts)
    if not ordered:
        return {"rows": 0}

    def percentile(share: float) -> int:
        return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]

    figures = {
        "rows": len(ordered),
        "min": ordered[0],
        "median": percentile(0.5),
        "p90": percentile(0.9),
        "p99": percentile(0.99),
        "max": ordered[-1],
        "total": sum(ordered),
    }
    for window in sorted({2048, max_tokens} - {0}):
        figures[f"over_{window}"] = sum(1 for n in ordered if n > window)
    return figures


@dataclass(frozen=True, slots=True)
class ExportedTokens:
    """The training-window figures of the last export, as its manifest holds them."""

    counter: str
    max_tokens: int | None
    files: list[tuple[str, dict[str, int]]]
    dropped: dict[str, int]  # dataset → rows kept out for length

    def by_dataset(self) -> list[tuple[str, dict[str, int], int]]:
        """(dataset, figures of the rows written, rows dropped) for every dataset, including one
        whose every row was too long (it has no file)."""
        written = [(file.removesuffix(".jsonl"), figures) for file, figures in self.files]
        names = {name for name, _ in written}
        gone = [(name, {"rows": 0}) for name in self.dropped if name not in names]
        return [(name, figures, self.dropped.get(name, 0)) for name, figures in written + gone]


def exported_tokens(export_dir: Path) -> ExportedTokens | None:
    """The token figures of the manifest in ``export_dir``; None before the first export (or for
    a manifest written before token counts existed)."""
    path = export_dir / "manifest.json"
    if not path.is_file():
        return None
    manifest = json.loads(path.read_text(encoding="utf-8"))
    tokens = manifest.get("tokens")
    if not isinstance(tokens, dict):
        return None
    dropped: dict[str, int] = {}
    for drop in tokens.get("dropped", []):
        dropped[drop["dataset"]] = dropped.get(drop["dataset"], 0) + 1
    files = [(f["file"], f["tokens"]) for f in manifest.get("files", []) if "tokens" in f]
    return ExportedTokens(tokens["counter"], tokens.get("max_tokens"), files, dropped)
