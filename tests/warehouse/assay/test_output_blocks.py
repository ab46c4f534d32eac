"""The output contract: label lines rendered and read back, in English and Chinese."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warehouse.assay.output_blocks import (
    LabelledBlock,
    Part,
    attributed_blocks,
    label,
    labelled_blocks,
    render_block,
)

OUTPUT = """`src/flask/helpers.py` — module level:

```python
from operator import itemgetter

_DEFAULT_TIMEOUT = 30
```

`src/flask/helpers.py` — `Flask.make_response`:

```python
def make_response(self, rv):
    return rv
```

`tests/static/config.json` (new file):

```json
{"TEST_KEY": "foo"}
```

`setup.cfg`:

```ini
[metadata]
```

The helper now sorts by the second field. A default timeout applies when none is given.
"""


def test_every_label_form_is_read_with_its_path_part_and_symbol() -> None:
    blocks = labelled_blocks(OUTPUT)
    assert [(b.path, b.part, b.symbol, b.fence_lang) for b in blocks] == [
        ("src/flask/helpers.py", "module", None, "python"),
        ("src/flask/helpers.py", "unit", "Flask.make_response", "python"),
        ("tests/static/config.json", "file", None, "json"),
        ("setup.cfg", "file", None, "ini"),
    ]
    assert blocks[0].code == "from operator import itemgetter\n\n_DEFAULT_TIMEOUT = 30\n"
    assert blocks[1].code.startswith("def make_response(self, rv):\n")


@pytest.mark.parametrize("colon", ["：", ":"])
def test_chinese_labels_are_read_with_either_colon(colon: str) -> None:
    output = (
        f"`app/models.py` — 模块级{colon}\n\n```python\nimport os\n```\n\n"
        f"`app/models.py` — `User.save`{colon}\n\n```python\ndef save(self):\n    pass\n```\n\n"
        f"`app/static/seed.json`（新文件）{colon}\n\n```json\n[]\n```\n\n说明。"
    )
    assert [(b.part, b.symbol) for b in labelled_blocks(output)] == [
        ("module", None),
        ("unit", "User.save"),
        ("file", None),
    ]


def test_a_block_without_a_label_line_is_not_a_labelled_block() -> None:
    output = "Run it like this:\n\n```python\nprint(1)\n```\n\nSee `docs/usage.md` for more."
    assert labelled_blocks(output) == []


def test_the_rendered_labels_are_the_ones_the_parser_reads() -> None:
    assert label("a/b.py", "unit", "C.m", "en") == "`a/b.py` — `C.m`:"
    assert label("a/b.py", "module", None, "zh") == "`a/b.py` — 模块级："
    assert label("a/c.json", "file", None, "zh") == "`a/c.json`（新文件）："
    assert label("a/c.json", "file", None, "en", new_file=False) == "`a/c.json`:"
    with pytest.raises(ValueError, match="names its symbol"):
        label("a/b.py", "unit", None, "en")


_PATHS = st.from_regex(r"[a-z]{1,8}(/[a-z_]{1,8}){0,3}\.(py|go|json|ts)", fullmatch=True)
_SYMBOLS = st.from_regex(r"[A-Za-z_]\w{0,8}(\.[A-Za-z_]\w{0,8})?", fullmatch=True)


@given(
    path=_PATHS,
    part=st.sampled_from(["unit", "module", "file"]),
    symbol=_SYMBOLS,
    lang=st.sampled_from(["en", "zh"]),
    new_file=st.booleans(),
)
def test_a_rendered_block_reads_back_as_itself(
    path: str, part: Part, symbol: str, lang: str, new_file: bool
) -> None:
    block = LabelledBlock(path, part, symbol if part == "unit" else None, "python", "x = 1\n")
    output = f"{render_block(block, lang, new_file=new_file)}\n\nWhy it changed."
    assert labelled_blocks(output) == [block]


def test_unlabelled_blocks_of_a_one_file_record_are_its_units_in_symbol_order() -> None:
    output = (
        "```python\ndef a():\n    pass\n```\n\n```python\ndef b():\n    pass\n```\n\n"
        "```bash\npytest\n```\n\nWhy."
    )
    blocks = attributed_blocks(output, ["m.py"], ["a", "b"])
    assert [(b.path, b.part, b.symbol) for b in blocks] == [
        ("m.py", "unit", "a"),
        ("m.py", "unit", "b"),
    ]
    # counts differ: the blocks' own definitions will name them
    assert [b.symbol for b in attributed_blocks(output, ["m.py"], ["a"])] == [None, None]
    # two files and no labels: nothing can be attributed
    assert attributed_blocks(output, ["m.py", "n.py"], ["a", "b"]) == []
