"""The code a test exercises is found by following its imports, not the test suite's own helpers."""

from __future__ import annotations

from miners.code_under_test import code_under_test

FILES = {
    "tests/test_cart.py": (
        "from shop.cart import total\nfrom shop.testing import CartTestCase\nfrom tests.helpers "
        "import make_cart\n\n\n"
        "class TestTotal(CartTestCase):\n    def test_total_adds_prices(self):\n"
        "        self.assert_equal(total(make_cart(2, 3)), 5)\n\n"
        "    def test_total_of_a_custom_cart(self):\n        class Custom(list):\n"
        "            def __init__(self):\n                super().__init__([4])\n\n"
        "        self.assert_equal(total(Custom()), 4)\n"
    ),
    "shop/cart.py": (
        "def total(cart):\n    return sum(cart)\n\n\ndef unused(cart):\n    return cart\n\n\n"
        # every class has an __init__
        "class Till:\n    def __init__(self):\n        self.open = True\n"
    ),
    "shop/testing.py": (
        "class CartTestCase:\n    def assert_equal(self, left, right):\n        assert left == "
        "right\n"
    ),
    "tests/helpers.py": "def make_cart(*prices):\n    return list(prices)\n",
}


def test_only_the_project_code_a_test_calls_is_under_test() -> None:
    test = FILES["tests/test_cart.py"]
    found = code_under_test(
        "tests/test_cart.py",
        test,
        lambda path: FILES.get(path, "").encode() or None,
        lambda folder: [],
    )
    assert [(path, symbol.qualified_name) for path, symbol in found] == [("shop/cart.py", "total")]


CLI_FILES = {
    "tests/test_cli.py": (
        "import click\nfrom shop.cli import FlaskGroup, load_app\n\n\n"
        "def test_print_exceptions():\n"
        "    @click.group(cls=FlaskGroup)\n    def cli():\n        pass\n\n"
        '    assert cli.list_commands(None) == []  # no group, only "group" in words\n'
        '    assert load_app("x") == "x"\n'
    ),
    "shop/cli.py": (
        "class AppGroup:\n    def group(self, *args):\n        return args\n\n\n"
        "class FlaskGroup(AppGroup):\n    def list_commands(self, ctx):\n        return []\n\n\n"
        "def load_app(info):\n    return info\n"
    ),
}


def test_a_name_reached_through_another_project_is_not_under_test() -> None:
    """flask ed17bc17: ``@click.group(cls=FlaskGroup)`` made ``AppGroup.group`` the code under
    test of a test that calls ``FlaskGroup``'s commands."""
    found = code_under_test(
        "tests/test_cli.py",
        CLI_FILES["tests/test_cli.py"],
        lambda path: CLI_FILES.get(path, "").encode() or None,
        lambda folder: [],
    )
    assert [symbol.qualified_name for _, symbol in found] == [
        "FlaskGroup.list_commands",
        "load_app",
    ]


GO_FILES = {
    "completions_test.go": (
        'package cobra\n\nimport (\n\t"strings"\n\t"testing"\n)\n\n'
        "func TestNoArgs(t *testing.T) {\n\tc := &Command{Args: NoArgs}\n"
        '\tvar out []string\n\tout = append(out, strings.Split("a b", " ")...)\n'
        "\tif c.Args == nil {\n\t\tt.Fatal(out)\n\t}\n}\n"
    ),
    "completions.go": (
        "package cobra\n\ntype ShellCompDirective int\n\n"
        'func (d ShellCompDirective) string() string {\n\treturn "d"\n}\n\n'
        "func NoArgs(cmd *Command, args []string) error {\n\treturn nil\n}\n\n"
        "func Split(text string) []string {\n\treturn nil\n}\n"
    ),
}


def test_a_go_type_is_not_a_method_call_and_a_function_value_is_a_use() -> None:
    """cobra 0dec88e7 listed ``ShellCompDirective.string`` as code under test because its tests
    declare ``[]string``; ``Args: NoArgs`` passes the validator under test as a value, and
    ``strings.Split`` is the standard library's."""
    found = code_under_test(
        "completions_test.go",
        GO_FILES["completions_test.go"],
        lambda path: GO_FILES.get(path, "").encode() or None,
        lambda folder: ["completions.go", "completions_test.go"],
    )
    assert [symbol.qualified_name for _, symbol in found] == ["NoArgs"]
