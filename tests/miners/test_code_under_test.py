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
