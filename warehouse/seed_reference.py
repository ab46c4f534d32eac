"""The gold records and the tool catalog, as the assay reads them (``seeds/``).

The assay needs two things from the seeds folder: the tool catalog, against which every agent
action is validated, and the golds' text, against which candidates are checked for copies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
CATALOG_NAME = "tools.json"


def gold_records(folder: Path = SEEDS_DIR) -> list[dict[str, Any]]:
    """The gold records of ``folder`` (``NN-slug.json``) without their ``meta`` key, in file order."""
    records = []
    for path in sorted(folder.glob("[0-9][0-9]-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data.pop("meta", None)
        records.append(data)
    return records


def tool_catalog(folder: Path = SEEDS_DIR) -> dict[str, dict[str, Any]]:
    """The catalog's tools by name (empty when the folder has no ``tools.json``)."""
    path = folder / CATALOG_NAME
    if not path.exists():
        return {}
    return {tool["name"]: tool for tool in json.loads(path.read_text(encoding="utf-8"))["tools"]}
