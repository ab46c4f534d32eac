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
