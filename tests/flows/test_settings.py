"""goldmine.toml is declared once: the models give the validation, the defaults and the comments."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from flows.settings import Settings, config_template, resolve_paths


def test_the_template_is_valid_toml_that_reads_as_the_defaults() -> None:
    assert Settings.model_validate(tomllib.loads(config_template())) == Settings()


@pytest.mark.parametrize("section", sorted(Settings.model_fields))
def test_every_key_is_in_the_template_with_its_description(section: str) -> None:
    template = config_template()
    body = template.split(f"[{section}]\n", 1)[1]
    model = Settings.model_fields[section].annotation
    assert model is not None and hasattr(model, "model_fields")
    for key, field in model.model_fields.items():
        assert field.description, f"[{section}] {key} has no description"
        assert f"{key} = " in body or f"[{section}.{key}]" in template, f"[{section}] {key}"
        first_words = " ".join(field.description.split()[:4])
        assert first_words in " ".join(body.replace("# ", " ").split()), f"[{section}] {key}"


def test_paths_in_the_config_are_made_absolute_and_a_tilde_is_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    settings = Settings.model_validate(
        {"sources": {"repos": ["~/src/api", "local/repo", "/abs/repo"]}, "draft": {"seeds": "s"}}
    )
    resolved = resolve_paths(settings, tmp_path / "ws")
    assert resolved.sources.repos == [
        str(tmp_path / "home" / "src" / "api"),
        str((tmp_path / "ws" / "local" / "repo").resolve()),
        "/abs/repo",
    ]
    assert resolved.draft.seeds == str((tmp_path / "ws" / "s").resolve())
