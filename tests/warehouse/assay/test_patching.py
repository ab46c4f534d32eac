"""Applying an output's blocks to a parent file: exact spans, indentation, where new code goes."""

from __future__ import annotations

from warehouse.assay.output_blocks import LabelledBlock, Part
from warehouse.assay.patching import apply_blocks, read_layout

CART = '''"""A shopping cart."""
import logging

logger = logging.getLogger(__name__)

_LIMIT = 10


class Cart:
    """Items and their prices."""

    def __init__(self) -> None:
        self.items: list[tuple[str, float]] = []

    @property
    def size(self) -> int:
        return len(self.items)

    def add(self, name: str, price: float) -> None:
        self.items.append((name, price))


def empty() -> Cart:
    return Cart()
'''


def _block(
    part: Part, code: str, symbol: str | None = None, path: str = "cart.py"
) -> LabelledBlock:
    return LabelledBlock(path, part, symbol, "python", code)


def _patched(parent: str, language: str, *blocks: LabelledBlock) -> str:
    return apply_blocks(read_layout(parent, language), blocks, ()).text


def test_a_decorated_method_is_replaced_with_its_decorator_at_the_class_indentation() -> None:
    new = "@property\ndef size(self) -> int:\n    return sum(1 for _ in self.items)\n"
    patched = _patched(CART, "python", _block("unit", new, "Cart.size"))
    assert patched == CART.replace(
        "    @property\n    def size(self) -> int:\n        return len(self.items)\n",
        "    @property\n    def size(self) -> int:\n        return sum(1 for _ in self.items)\n",
    )


def test_a_method_block_without_its_decorator_replaces_the_decorator_too() -> None:
    new = "def size(self) -> int:\n    return 0\n"
    patched = _patched(CART, "python", _block("unit", new, "Cart.size"))
    assert (
        "@property" not in patched and "    def size(self) -> int:\n        return 0\n" in patched
    )


def test_a_new_method_goes_at_the_end_of_its_class_body() -> None:
    new = "def clear(self) -> None:\n    self.items.clear()\n"
    patched = _patched(CART, "python", _block("unit", new, "Cart.clear"))
    assert (
        "        self.items.append((name, price))\n\n    def clear(self) -> None:\n"
        "        self.items.clear()\n\n\ndef empty()" in patched
    )
    compile(patched, "cart.py", "exec")


def test_a_new_function_goes_at_the_end_of_the_file() -> None:
    new = "def cheapest(cart: Cart) -> float:\n    return min(p for _, p in cart.items)\n"
    patched = _patched(CART, "python", _block("unit", new, "cheapest"))
    assert patched == CART + "\n\n" + new


def test_module_statements_go_after_the_imports_or_replace_what_they_rebind() -> None:
    module = (
        "import logging\nfrom operator import itemgetter\n\n"
        "# the most items a cart holds\n_LIMIT = 20\nT = TypeVar('T')\n"
    )
    patched = _patched(CART, "python", _block("module", module))
    assert patched.count("import logging") == 1  # already there
    assert "import logging\nfrom operator import itemgetter\nT = TypeVar('T')\n" in patched
    assert (
        "# the most items a cart holds\n_LIMIT = 20\n" in patched and "_LIMIT = 10" not in patched
    )


def test_a_future_import_goes_before_every_other_import() -> None:
    patched = _patched(CART, "python", _block("module", "from __future__ import annotations\n"))
    assert patched.startswith('"""A shopping cart."""\nfrom __future__ import annotations\n')


def test_a_block_joining_several_definitions_is_split_and_each_applied_by_name() -> None:
    joined = "def add(self, name, price):\n    pass\n\n\ndef clear(self):\n    pass\n"
    patched = apply_blocks(
        read_layout(CART, "python"), [_block("unit", joined, None)], ("Cart.add", "Cart.clear")
    ).text
    assert "    def add(self, name, price):\n        pass\n" in patched
    assert "    def clear(self):\n        pass\n" in patched
    assert "self.items.append" not in patched
    compile(patched, "cart.py", "exec")


def test_the_new_lines_are_where_the_output_s_code_landed() -> None:
    new = "def cheapest(cart):\n    return 0\n"
    patched = apply_blocks(read_layout(CART, "python"), [_block("unit", new, "cheapest")], ())
    first, last = patched.new_lines[0]
    assert "".join(patched.text.splitlines(keepends=True)[first - 1 : last]).strip() == new.strip()


GO = """package text

import "fmt"

const width = 10

func Title(s string) string {
	return fmt.Sprintf("# %s", s)
}
"""


def test_go_module_blocks_add_imports_and_replace_constants() -> None:
    module = 'import "strings"\n\nconst width = 20\n'
    patched = _patched(GO, "go", _block("module", module, path="text/format.go"))
    assert 'import "fmt"\n\nimport "strings"\n' in patched
    assert "const width = 20\n" in patched and "width = 10" not in patched


JAVA = """package shop;

public class Cart {
    private int count;

    public int size() {
        return count;
    }
}
"""


def test_a_new_java_method_goes_before_its_class_s_closing_brace() -> None:
    new = "public void clear() {\n    count = 0;\n}\n"
    patched = _patched(JAVA, "java", _block("unit", new, "Cart.clear", path="shop/Cart.java"))
    assert patched.endswith(
        "        return count;\n    }\n\n    public void clear() {\n        count = 0;\n    }\n}\n"
    )


TWO_CLASSES = """class App:
    def __exit__(self, *exc):
        return None


class Request:
    def __exit__(self, *exc):
        return None
"""


def test_same_named_methods_of_two_classes_each_go_to_their_own_class() -> None:
    joined = (
        "def __exit__(self, *exc):\n    return 1\n\n\ndef __exit__(self, *exc):\n    return 2\n"
    )
    symbols = ("App.__exit__", "Request.__exit__")
    one_block = apply_blocks(read_layout(TWO_CLASSES, "python"), [_block("unit", joined)], symbols)
    first, second = joined.split("\n\n\n")
    two_blocks = apply_blocks(
        read_layout(TWO_CLASSES, "python"),
        [_block("unit", first + "\n"), _block("unit", second)],
        symbols,
    )
    expected = TWO_CLASSES.replace("return None", "return 1", 1).replace("return None", "return 2")
    assert one_block.text == expected and two_blocks.text == expected


APP = '''"""The app."""
import os
from collections import deque
from inspect import iscoroutinefunction, isfunction

LIMIT = 10

if os.name == "nt":
    SEP = "\\\\"
else:
    SEP = "/"


@staticmethod
def helper():
    return os.sep


def kept():
    return LIMIT
'''


def _removed(parent: str, language: str, removed: list[str], *blocks: LabelledBlock) -> str:
    patched = apply_blocks(read_layout(parent, language), blocks, (), removed)
    assert patched.unplaced == ()
    return patched.text


def test_a_removed_import_goes_and_a_shared_statement_keeps_its_other_names() -> None:
    patched = _removed(
        APP, "python", ["from collections import deque", "from inspect import iscoroutinefunction"]
    )
    assert "deque" not in patched and "iscoroutinefunction" not in patched
    assert "import os\nfrom inspect import isfunction\n\nLIMIT = 10\n" in patched


def test_a_removed_definition_goes_with_its_decorator_and_a_removed_name_with_its_statement() -> (
    None
):
    patched = _removed(APP, "python", ["helper", "LIMIT"])
    assert "helper" not in patched and "@staticmethod" not in patched
    assert "LIMIT = 10" not in patched and "def kept():" in patched
    compile(patched, "app.py", "exec")


def test_a_removal_that_names_nothing_of_the_parent_is_reported() -> None:
    patched = apply_blocks(read_layout(APP, "python"), [], (), ["import sys", "nowhere"])
    assert patched.unplaced == ("import sys", "nowhere") and patched.text == APP


def test_an_edited_if_block_replaces_the_one_that_opens_with_the_same_line() -> None:
    edited = 'if os.name == "nt":\n    SEP = "\\\\\\\\"\nelse:\n    SEP = os.sep\n'
    patched = _patched(APP, "python", _block("module", edited))
    assert patched.count('if os.name == "nt":') == 1 and "SEP = os.sep" in patched


GO_IMPORTS = """package doc

import (
	"bytes"
	"fmt"
)

import "os"

func F() string {
	return fmt.Sprint(os.Args)
}
"""


def test_a_go_import_spec_goes_from_its_group_and_a_single_import_line_goes_whole() -> None:
    patched = _removed(GO_IMPORTS, "go", ['import "bytes"', 'import "os"'])
    assert patched.startswith('package doc\n\nimport (\n\t"fmt"\n)\n\n\nfunc F()')
