"""What a drafted record says about the project comes from its own files: the README's first
prose."""

from __future__ import annotations

import pytest

from miners.project_profile import read_profile


# a tagline is not the purpose
@pytest.mark.parametrize(
    ("readme", "purpose"),
    [
        (
            "# Flask\n\nweb development, one drop at a time\n\nFlask is a microframework for "
            "Python based on "
            "Werkzeug and Jinja 2. It's BSD licensed.\n",
            "Flask is a microframework for Python based on Werkzeug "
            "and Jinja 2. It's BSD licensed.",
        ),
        (
            "# goldmine\n\n[![CI](badge.svg)](ci)\n\ngoldmine turns a software project's own "
            "history into\n"
            "fine-tuning data of textbook quality.\n",
            "goldmine turns a software project's own history into "
            "fine-tuning data of textbook quality.",
        ),
        ("# tool\n\nbecause sometimes a pocket knife is not enough\n", ""),
        (
            "Flask\n=====\n\nFlask is a lightweight `WSGI`_ web application framework built "
            "on `Werkzeug <https://x>`_ and **Jinja**.\n",
            "Flask is a lightweight WSGI web application framework built on Werkzeug and Jinja.",
        ),
        (
            "# x\n\nCopyright 2015 Red Hat Inc. All rights reserved by the authors.\n\n"
            "x parses [log files](https://x) quickly and well.\n",
            "x parses log files quickly and well.",
        ),
    ],
)
def test_the_purpose_is_the_first_paragraph_written_as_sentences(readme: str, purpose: str) -> None:
    files = {"README.md": readme.encode()}
    assert read_profile(files.get, "repo").purpose == purpose


def test_a_generic_readme_heading_is_not_the_projects_name() -> None:
    files = {"README.md": b"# Overview\n\nCobra is a library for creating modern CLI tools.\n"}
    assert read_profile(files.get, "cobra").name == "cobra"


@pytest.mark.parametrize(
    ("files", "name"),
    [
        ({"go.mod": b"module github.com/spf13/cobra\n\ngo 1.15\n"}, "cobra"),
        ({"go.mod": b"module github.com/spf13/cobra/v2\n"}, "cobra"),
        ({"go.mod": b"module gopkg.in/yaml.v3\n"}, "yaml"),
        ({"package.json": b'{"name": "express", "description": "Fast web framework"}'}, "express"),
        ({"Cargo.toml": b'[package]\nname = "ripgrep"\nedition = "2021"\n'}, "ripgrep"),
        ({"setup.py": b"from setuptools import setup\nsetup(\n    name='Flask',\n)\n"}, "Flask"),
        ({"setup.cfg": b"[metadata]\nname = click\n"}, "click"),
        ({}, "repo"),
    ],
)
def test_the_name_comes_from_the_manifest_never_from_a_readme_heading(
    files: dict[str, bytes], name: str
) -> None:
    readme = b"# Table of Contents\n\n# The Best Tool\n\nIt does one thing well, and quickly.\n"
    assert read_profile({**files, "README.md": readme}.get, "repo").name == name


def test_the_manifest_s_description_is_the_purpose_when_the_readme_has_no_prose() -> None:
    files = {
        "README.md": b"# express\n\n[![badge](x.svg)](y)\n",
        "package.json": b'{"name": "express", "description": "Fast, minimalist web framework"}',
    }
    assert read_profile(files.get, "repo").purpose == "Fast, minimalist web framework."
    cargo = {"Cargo.toml": b'[package]\nname = "rg"\ndescription = "Searches files."\n'}
    assert read_profile(cargo.get, "repo").purpose == "Searches files."
