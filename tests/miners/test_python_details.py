from __future__ import annotations

from miners.code_facts.python import PythonDetails, python_details
from miners.code_symbols import extract_symbols

SOURCE = b'''import logging

logger = logging.getLogger(__name__)


class Store:
    @retry(times=3)
    @staticmethod
    async def reserve(
        levels: dict[str, int],
        sku: str,
        qty: int = 1,
        *,
        strict: bool = False,
    ) -> int:  # the new stock
        """Reserve qty of sku."""
        try:
            left = levels[sku] - qty
        except (KeyError, TypeError) as error:
            logger.warning("unknown sku %s", sku)
            raise LookupError(sku) from error

        def audit():
            raise RuntimeError("not this one")

        return left

    def plain(self, *args, **kwargs):
        return args
'''


def _details(name: str) -> PythonDetails | None:
    symbol = next(s for s in extract_symbols(SOURCE, "python") if s.qualified_name == name)
    return python_details(symbol.code)


def test_signature_decorators_type_hints_errors_and_logging_of_a_method() -> None:
    details = _details("Store.reserve")
    assert details is not None
    assert details.signature == (
        "async def reserve(levels: dict[str, int], sku: str, qty: int = 1, *, strict: bool = "
        "False) -> int"
    )
    assert details.decorators == ("retry(times=3)", "staticmethod")
    assert [(p.name, p.annotation, p.default) for p in details.parameters] == [
        ("levels", "dict[str, int]", ""),
        ("sku", "str", ""),
        ("qty", "int", "1"),
        ("strict", "bool", "False"),
    ]
    assert details.returns == "int" and details.is_async and details.fully_typed
    assert details.handles_errors and details.catches == ("KeyError", "TypeError")
    assert details.raises == ("LookupError",)  # not the nested function's RuntimeError
    assert details.logs and details.log_calls == ("logger.warning",)


def test_an_untyped_function_that_neither_handles_errors_nor_logs() -> None:
    details = _details("Store.plain")
    assert details is not None
    assert details.signature == "def plain(self, *args, **kwargs)"
    assert [p.name for p in details.parameters] == ["self", "*args", "**kwargs"]
    assert not details.fully_typed and not details.handles_errors and not details.logs
    parameters = details.as_json()["parameters"]
    assert isinstance(parameters, list)
    assert parameters[1] == {"name": "*args", "annotation": "", "default": ""}


def test_code_that_is_not_one_function_gives_nothing() -> None:
    assert python_details("class A:\n    pass\n") is None
    assert python_details("def broken(:\n    pass\n") is None
    assert python_details("x = 1\n") is None
