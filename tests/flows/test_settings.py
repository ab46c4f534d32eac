"""goldmine.toml is declared once: the models give the validation, the defaults and the comments."""

from __future__ import annotations

import tomllib

import pytest

from flows.settings import Settings, config_template


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
