"""Load goldmine's export with LLaMA-Factory's own converter and chat template.

Runs inside a separate virtual environment holding llamafactory (see ``setup_venv.sh`` beside this
file), never in goldmine's own: LLaMA-Factory pulls torch. Usage::

    python convert_with_llamafactory.py EXPORT_DIR [TEMPLATE]

For every dataset in EXPORT_DIR/dataset_info.json it builds LLaMA-Factory's DatasetAttr from that
file, loads the file with ``datasets`` as LLaMA-Factory does (one Arrow table: a column whose rows
disagree in type fails here), converts every row with the converter the entry names, and encodes
every converted row with the chat template (a small byte-level tokenizer is trained on the rows,
so nothing is downloaded). TEMPLATE defaults to ``qwen``; a reasoning template such as ``qwen3``
runs with LLaMA-Factory's default ``enable_thinking: true``. It prints a JSON summary — with each
dataset's first agent row as the template renders it, so the layout can be read — and exits 1 if
any row did not convert or encode.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TypedDict

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import tempfile

from datasets import load_dataset
from llamafactory.data.converter import get_dataset_converter
from llamafactory.data.parser import get_dataset_list
from llamafactory.data.template import get_template_and_fix_tokenizer
from llamafactory.hparams import DataArguments
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


class DatasetReport(TypedDict):
    """What happened to the rows of one dataset (the summary prints one per dataset)."""

    formatting: str
    rows: int
    converted: int
    encoded: int
    failures: list[str]
    sample: str


def local_tokenizer(texts: list[str]) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on the rows themselves (no download)."""
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=2000,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    core.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL[1:],
    )


def rows_of(path: Path, cache: str) -> list[dict[str, object]]:
    """The file's rows as LLaMA-Factory's loader reads them: through ``datasets``' json builder."""
    loaded = load_dataset("json", data_files=str(path), split="train", cache_dir=cache)
    return [dict(row) for row in loaded]


def rendered(tokenizer: PreTrainedTokenizerFast, pairs: list[tuple[list[int], list[int]]]) -> str:
    """The text the template made of one example, prompt and answers in order."""
    ids = [i for prompt, answer in pairs for i in prompt + answer]
    return str(tokenizer.decode(ids, skip_special_tokens=False))


def check(export_dir: Path, template_name: str) -> dict[str, DatasetReport]:
    info = json.loads((export_dir / "dataset_info.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as cache:
        datasets = {
            name: rows_of(export_dir / entry["file_name"], cache) for name, entry in info.items()
        }
    tokenizer = local_tokenizer(
        [json.dumps(row, ensure_ascii=False) for rows in datasets.values() for row in rows]
    )
    data_args = DataArguments(template=template_name, dataset_dir=str(export_dir))
    template = get_template_and_fix_tokenizer(tokenizer, data_args)
    report: dict[str, DatasetReport] = {}
    for name, attr in zip(info, get_dataset_list(list(info), str(export_dir)), strict=True):
        converter = get_dataset_converter(attr.formatting, attr, data_args)
        converted = encoded = 0
        failures: list[str] = []
        sample = ""
        for number, row in enumerate(datasets[name], start=1):
            example = converter(row)
            if not example["_prompt"] or not example["_response"]:
                failures.append(f"row {number}: the converter dropped it")
                continue
            converted += 1
            messages = example["_prompt"] + example["_response"]
            pairs = template.encode_multiturn(
                tokenizer, messages, example["_system"], example["_tools"]
            )
            if pairs and all(answer for _, answer in pairs):
                encoded += 1
                if not sample and example["_tools"]:
                    sample = rendered(tokenizer, pairs)[:12000]
            else:
                failures.append(f"row {number}: the template produced an empty turn")
        report[name] = {
            "formatting": attr.formatting,
            "rows": len(datasets[name]),
            "converted": converted,
            "encoded": encoded,
            "failures": failures[:10],
            "sample": sample,
        }
    return report


def main() -> int:
    export_dir = Path(sys.argv[1])
    template_name = sys.argv[2] if len(sys.argv) > 2 else "qwen"
    report = check(export_dir, template_name)
    print(json.dumps(report, ensure_ascii=False))
    failed = any(d["encoded"] != d["rows"] for d in report.values())
    return 1 if failed or not report else 0


if __name__ == "__main__":
    sys.exit(main())
