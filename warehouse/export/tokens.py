"""How many tokens an exported row costs in the training window, and what is over the limit.

LLaMA-Factory truncates every example to ``cutoff_len`` (2,048 tokens by default) without a word:
a trajectory cut before its final answer teaches the model to stop halfway. So every exported row
is counted, the counts go to the manifest and the report, and ``[export] max_tokens`` drops a row
that would be cut (with its reason, stored in ``export_drops``).

The count is of the row's own text (every message, the system prompt, the tools) with a real
tokenizer — a ``tokenizer.json`` or the tokenizer inside a GGUF model file — plus a small
allowance per turn for the chat template's role words. Without a tokenizer it is a byte-level
estimate: one token per :data:`BYTES_PER_TOKEN` bytes of UTF-8, rounded up, which errs long.
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

# Measured on the demo export against SmolLM2's tokenizer: 3.4 bytes per token over the English
# and Chinese rows; 3 keeps the estimate at or above the real count.
BYTES_PER_TOKEN = 3
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

    name: str = f"estimate: utf-8 bytes / {BYTES_PER_TOKEN}"

    def count(self, text: str) -> int:
        return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


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
