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
    ],
)
def test_the_purpose_is_the_first_paragraph_written_as_sentences(readme: str, purpose: str) -> None:
    files = {"README.md": readme.encode()}
    assert read_profile(files.get, "repo").purpose == purpose
