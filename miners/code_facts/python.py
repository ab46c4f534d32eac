"""Python: how its code raises, catches and logs, its signatures, and libcst's reading of one
changed function (decorators, typed parameters, returns; the body's ``except``, ``raise`` and
logging calls through ``ast``).

libcst reads the function's header — decorators, parameters, annotations and defaults exactly as
written. libcst is about 36× slower than tree-sitter (and its visitors slower still), so it only
ever sees the header of a function a commit changed, never a whole file or body; the body's facts
come from Python's own ``ast``, which is fast.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

from miners.code_facts.base import ErrorForm, LanguageFacts, described

if TYPE_CHECKING:
    import libcst as cst

FACTS = LanguageFacts(
    raises=(
        ErrorForm(re.compile(r"\braise\s+(?P<name>[A-Z]\w*)(?:\((?P<msg>[^\n]*)\))?"), "raise"),
    ),
    catches=(re.compile(r"\bexcept\s+\(?([A-Z][\w, ]*)\)?"),),
    # ``^`` binds to the first alternative only, and without re.MULTILINE to the code's start: a
    # ``try:`` later in the code counts only through a ``raise`` (see base.py on the two sides).
    error_signal=re.compile(r"^\s*(?:try:|except\b)|\braise\b"),
    log_signal=re.compile(
        r"\blog(?:ger|ging)?\.(?:debug|info|warning|warn|error|exception|critical|log)\("
        r"|\bwarnings\.warn\("
    ),
    comment=re.compile(r"#|\"\"\"|'''"),
)


def signature(code: str) -> str:
    """The ``def`` line(s) on one line: libcst's exact reading when the code is one function,
    else the header lines up to the first ``:`` (decorators left out)."""
    details = python_details(code) if code else None
    if details is not None:
        return details.signature
    lines = []
    for line in code.splitlines():
        lines.append(line)
        if line.rstrip().endswith(":") and not line.lstrip().startswith("@"):
            break
    header = " ".join(line.strip() for line in lines if not line.lstrip().startswith("@"))
    return re.sub(r"\(\s+", "(", re.sub(r",?\s+\)", ")", header))


def module_description(text: str) -> str:
    """The module docstring's first paragraph (past the comments above it); a heading over an
    underline ("flask.testing" over "~~~~") or a licence is not a description."""
    match = re.match(r'\s*(?:#[^\n]*\n\s*)*(?:[rRuU]?)("""|\'\'\')(.*?)\1', text, re.DOTALL)
    return described(inspect.cleandoc(match.group(2)).splitlines()) if match else ""


_LOGGERS = {"logger", "logging", "log", "_log", "_logger", "LOG", "LOGGER", "log_", "logs"}
_LOG_METHODS = {
    "debug",
    "info",
    "warning",
    "warn",
    "error",
    "exception",
    "critical",
    "fatal",
    "log",
}


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter as written: ``*args`` and ``**kwargs`` keep their stars."""

    name: str
    annotation: str
    default: str


@dataclass(frozen=True, slots=True)
class PythonDetails:
    """What libcst reads off a function definition."""

    signature: str
    decorators: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    returns: str
    is_async: bool
    handles_errors: bool
    catches: tuple[str, ...]
    raises: tuple[str, ...]
    log_calls: tuple[str, ...]

    @property
    def fully_typed(self) -> bool:
        """True when every parameter but ``self``/``cls`` and the return value are annotated."""
        typed = all(p.annotation for p in self.parameters if p.name not in ("self", "cls"))
        return typed and bool(self.returns)

    @property
    def logs(self) -> bool:
        """True when the function calls a logger."""
        return bool(self.log_calls)

    def as_json(self) -> dict[str, object]:
        """The details as JSON-able data (for the ``symbols.details`` column)."""
        return {
            "decorators": list(self.decorators),
            "parameters": [
                {"name": p.name, "annotation": p.annotation, "default": p.default}
                for p in self.parameters
            ],
            "returns": self.returns,
            "is_async": self.is_async,
            "fully_typed": self.fully_typed,
            "handles_errors": self.handles_errors,
            "catches": list(self.catches),
            "raises": list(self.raises),
            "logs": self.logs,
            "log_calls": list(self.log_calls),
        }


# libcst reads the Python functions of commits that change at most this many (the few a task can
# teach), when a task needs them; a sprawling commit's functions keep their tree-sitter facts only.
PYTHON_DETAILS_MAX_UNITS = 6
PYTHON_FUNCTIONS = ("function", "method")


def python_details(code: str) -> PythonDetails | None:
    """Details of the function whose code (decorators included) is ``code``; None when it is not
    one parseable function definition."""
    import libcst as cst  # imported by the few processes that read a function's header

    source = textwrap.dedent(code)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    function = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    try:
        header = cst.parse_module(_header(source, function)).body[0]
    except cst.ParserSyntaxError:
        return None
    if not isinstance(header, cst.FunctionDef):
        return None
    module = cst.Module(body=[])
    body = _BodyFacts()
    for statement in function.body:
        body.visit(statement)
    return PythonDetails(
        signature=_signature(module, header),
        decorators=tuple(module.code_for_node(d.decorator) for d in header.decorators),
        parameters=tuple(_parameters(module, header.params)),
        returns=module.code_for_node(header.returns.annotation) if header.returns else "",
        is_async=header.asynchronous is not None,
        handles_errors=bool(body.catches),
        catches=tuple(dict.fromkeys(body.catches)),
        raises=tuple(dict.fromkeys(body.raises)),
        log_calls=tuple(dict.fromkeys(body.log_calls)),
    )


def _header(source: str, function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The decorators and ``def`` line(s), with ``pass`` for a body: all libcst needs to read."""
    first = function.body[0]
    lines = source.splitlines()
    head = [*lines[: first.lineno - 1], lines[first.lineno - 1][: first.col_offset]]
    return "\n".join(head).rstrip() + "\n    pass\n"


def _signature(module: cst.Module, function: cst.FunctionDef) -> str:
    """The ``def`` line on one line: ``def f(a: int, b: str = "x") -> bool``."""
    import libcst as cst

    header = function.with_changes(decorators=(), body=cst.IndentedBlock(body=[]), leading_lines=())
    # libcst writes an empty block as "pass": what is left before it is the header
    text = re.sub(r":\s*pass\s*$", "", " ".join(module.code_for_node(header).split()))
    return re.sub(r",?\s*\)(\s*(?:->|$))", r")\1", re.sub(r"\(\s+", "(", text))


def _parameters(module: cst.Module, params: cst.Parameters) -> list[Parameter]:
    import libcst as cst

    ordered: list[tuple[str, cst.Param]] = [
        ("", p) for p in (*params.posonly_params, *params.params)
    ]
    if isinstance(params.star_arg, cst.Param):
        ordered.append(("*", params.star_arg))
    ordered += [("", p) for p in params.kwonly_params]
    if params.star_kwarg is not None:
        ordered.append(("**", params.star_kwarg))
    return [
        Parameter(
            name=star + param.name.value,
            annotation=module.code_for_node(param.annotation.annotation)
            if param.annotation
            else "",
            default=module.code_for_node(param.default) if param.default is not None else "",
        )
        for star, param in ordered
    ]


class _BodyFacts(ast.NodeVisitor):
    """Collects ``except`` clauses, raised errors and logging calls of a function body (not of
    the functions or classes nested inside it)."""

    def __init__(self) -> None:
        self.catches: list[str] = []
        self.raises: list[str] = []
        self.log_calls: list[str] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        return

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        return

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        return

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is None:
            self.catches.append("BaseException")
        elif isinstance(node.type, ast.Tuple):
            self.catches += [ast.unparse(element) for element in node.type.elts]
        else:
            self.catches.append(ast.unparse(node.type))
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        error = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if error is not None:
            self.raises.append(ast.unparse(error))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS:
            owner = func.value
            name = (
                owner.attr
                if isinstance(owner, ast.Attribute)
                else owner.id
                if isinstance(owner, ast.Name)
                else ""
            )
            if name in _LOGGERS or name.endswith("logger"):
                self.log_calls.append(ast.unparse(func))
        self.generic_visit(node)
