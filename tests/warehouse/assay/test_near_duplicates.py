"""Shingles, signatures and clusters: renamed code matches, Chinese is compared by characters."""

from __future__ import annotations

import numpy as np

from tests.damages import gold
from warehouse.assay.near_duplicates import (
    DedupSettings,
    DisjointSet,
    candidate_pairs,
    jaccard,
    normalised_code,
    shingles,
    signatures,
)

SETTINGS = DedupSettings()
CODE = '''```python
def total(prices, tax):
    """Add everything up, then the levy."""
    subtotal = sum(prices)
    if subtotal < 0:
        raise ValueError("negative total")
    return subtotal * (1 + tax)
```'''
RENAMED = CODE.replace("prices", "amounts").replace("subtotal", "base").replace("tax", "rate")
OTHER = """```python
def slugify(title):
    words = title.lower().split()
    return "-".join(word for word in words if word.isalnum())
```"""


def test_renaming_identifiers_changes_nothing_and_a_deleted_line_changes_little() -> None:
    assert normalised_code(CODE) == normalised_code(RENAMED)
    output = gold("02")["output"]
    lines = output.split("\n")
    shorter = "\n".join(lines[:40] + lines[41:])  # one line of a real module deleted
    assert jaccard(shingles(output, SETTINGS), shingles(shorter, SETTINGS)) >= 0.9
    assert jaccard(shingles(CODE, SETTINGS), shingles(OTHER, SETTINGS)) < 0.2


def test_latin_text_is_shingled_by_words_and_chinese_by_characters() -> None:
    english = shingles("Reserve stock for an order and log the shortage", SETTINGS)
    assert "reserve stock for an" in english
    chinese = shingles("修复库存预留在数量为负数时增加库存的问题", SETTINGS)
    assert "库存预" in chinese and all(len(s) == SETTINGS.cjk_ngram for s in chinese)
    reworded = shingles("修复库存预留在数量为负数时会增加库存的问题", SETTINGS)
    assert jaccard(chinese, reworded) > 0.7


def test_lsh_finds_the_similar_pair_and_the_true_jaccard_decides() -> None:
    sets = [shingles(text, SETTINGS) for text in (CODE, OTHER, RENAMED)]
    matrix = signatures(sets, SETTINGS)
    assert matrix.shape == (3, SETTINGS.num_perm) and matrix.dtype == np.uint32
    assert candidate_pairs(matrix, SETTINGS).tolist() == [[0, 2]]
    again = signatures(sets, SETTINGS)
    assert (again == matrix).all()  # signatures are stable, so earlier runs' stored ones compare


def test_union_find_groups_linked_members() -> None:
    links = DisjointSet()
    links.union("a", "b")
    links.union("c", "b")
    links.find("lonely")
    assert sorted(map(sorted, links.groups())) == [["a", "b", "c"]]
