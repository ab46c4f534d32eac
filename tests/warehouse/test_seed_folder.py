from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.builders import JsonObject
from warehouse.errors import SeedFolderError
from warehouse.seed_folder import (
    SEEDS_DIR,
    few_shots,
    load_seeds,
    read_seed_folder,
)


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A user's seeds folder: a copy of the shipped one, to break on purpose."""
    return Path(
        shutil.copytree(SEEDS_DIR, tmp_path / "myseeds", ignore=shutil.ignore_patterns("*.md"))
    )


def _edit(path: Path, change: Callable[[JsonObject], object]) -> None:
    """Rewrite a seed file after ``change`` edited its JSON in place."""
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_the_shipped_seeds_are_valid() -> None:
    folder = load_seeds()
    assert folder.problems == ()
    assert len(folder.seeds) == 10 and len(folder.rows) == 10
    assert {"read_file", "run_tests", "get_weather"} <= set(folder.catalog)


def test_an_unknown_tool_names_the_file_and_the_field(seeds_copy: Path) -> None:
    agent = seeds_copy / "07-logslice-timezone-agent.json"

    def rename_first_action(data: JsonObject) -> None:
        for turn in data["conversation"]:
            if turn["role"] == "assistant" and "action" in turn["content"]:
                turn["content"]["action"]["tool_name"] = "open_file"
                return

    _edit(agent, rename_first_action)
    folder = read_seed_folder(seeds_copy)
    assert [str(p) for p in folder.problems] == [
        "07-logslice-timezone-agent.json: conversation[1].content.action.tool_name: "
        "unknown tool 'open_file': not in tools.json"
    ]
    assert [row.problems for row in folder.rows if row.file == agent.name] == [1]
    assert agent.name not in {seed.file for seed in folder.seeds}
    with pytest.raises(SeedFolderError, match=r"07-logslice-timezone-agent\.json: conversation"):
        folder.require_valid()


def test_a_missing_field_and_invalid_parameters_are_each_reported(seeds_copy: Path) -> None:
    _edit(seeds_copy / "02-flask-orders-pagination-bugfix.json", lambda d: d.pop("output"))
    _edit(seeds_copy / "03-ts-fetch-with-retry-feature.json", lambda d: d["meta"].pop("why_gold"))

    def bad_parameters(data: JsonObject) -> None:
        data["conversation"][1]["content"]["action"]["parameters"] = {"city": "Beijing"}

    _edit(seeds_copy / "10-weather-umbrella-agent.json", bad_parameters)
    problems = [str(p) for p in read_seed_folder(seeds_copy).problems]
    assert "02-flask-orders-pagination-bugfix.json: output: Field required" in problems
    assert "03-ts-fetch-with-retry-feature.json: meta.why_gold: missing or empty" in problems
    assert [p for p in problems if p.startswith("10-weather")] == [
        "10-weather-umbrella-agent.json: conversation[1].content.action.parameters: 'location' is "
        "a required property"
    ]


def test_duplicate_ids_broken_json_and_stray_files_are_reported(seeds_copy: Path) -> None:
    _edit(
        seeds_copy / "03-ts-fetch-with-retry-feature.json",
        lambda d: d.update(id="gold-02-flask-orders-pagination-bugfix"),
    )
    (seeds_copy / "11-half-written.json").write_text('{"id": "x",', encoding="utf-8")
    (seeds_copy / "notes.json").write_text("{}", encoding="utf-8")
    problems = [str(p) for p in read_seed_folder(seeds_copy).problems]
    assert (
        "03-ts-fetch-with-retry-feature.json: id: 'gold-02-flask-orders-pagination-bugfix' is "
        "also the id of "
        "02-flask-orders-pagination-bugfix.json" in problems
    )
    assert any(p.startswith("11-half-written.json: not valid JSON (line 1") for p in problems)
    assert "notes.json: seed files are named NN-slug.json (e.g. 11-my-task.json)" in problems


def test_an_agent_record_that_edits_a_catalog_tool_is_reported(seeds_copy: Path) -> None:
    def edit_tool(data: JsonObject) -> None:
        data["tools"][0]["description"] = "my own words"

    _edit(seeds_copy / "08-textkit-slugify-tests-agent.json", edit_tool)
    (problem,) = read_seed_folder(seeds_copy).problems
    assert str(problem).startswith("08-textkit-slugify-tests-agent.json: tools[0]: ")
    assert "differs from its entry in tools.json" in str(problem)


def test_agent_records_need_a_catalog_and_a_folder_needs_records(
    seeds_copy: Path, tmp_path: Path
) -> None:
    (seeds_copy / "tools.json").unlink()
    problems = [str(p) for p in read_seed_folder(seeds_copy).problems]
    assert len(problems) == 4 and all("there is no tools.json" in p for p in problems)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert [str(p) for p in read_seed_folder(empty).problems] == [
        "empty: no seed records (NN-slug.json files) in this folder"
    ]
    with pytest.raises(SeedFolderError, match="is not a folder"):
        read_seed_folder(tmp_path / "nowhere")


def test_few_shots_are_chosen_by_kind_task_type_and_language_deterministically() -> None:
    seeds = load_seeds().seeds
    assert [s.name for s in few_shots(seeds, "instruction", "refactor", "zh", 2)] == [
        "04-svcconf-config-refactor",  # same type and language
        "01-pandas-sales-cleaning",  # then the same language
    ]
    assert [s.name for s in few_shots(seeds, "instruction", "bugfix", "zh", 2)] == [
        "02-flask-orders-pagination-bugfix",  # the type outranks the language
        "01-pandas-sales-cleaning",
    ]
    assert [s.name for s in few_shots(seeds, "agent", "bugfix", "en", 1)] == [
        "07-logslice-timezone-agent"
    ]
    assert few_shots(list(reversed(seeds)), "instruction", "feature", "en", 3) == few_shots(
        seeds, "instruction", "feature", "en", 3
    )
    assert few_shots(seeds, "instruction", "feature", "en", 0) == []
