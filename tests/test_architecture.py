"""The package's shape (docs/architecture.md): no import cycles among the modules' load-time
imports, only ``scanner/cli/`` prints or exits, and no module over 500 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scanner"
MAX_LINES = 500


def module_files(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package``."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def load_time_imports(name: str, path: Path, modules: Mapping[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports while it loads: not inside functions (lazy
    imports) nor under ``if TYPE_CHECKING:``; ``from pkg import mod`` counts as ``pkg.mod``."""
    found: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]

    def visit(statements: list[ast.stmt]) -> None:
        for st in statements:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(st, ast.If) and "TYPE_CHECKING" in ast.unparse(st.test):
                visit(st.orelse)
            elif isinstance(st, ast.Import):
                found.update(alias.name for alias in st.names)
            elif isinstance(st, ast.ImportFrom):
                base = st.module or ""
                if st.level:
                    parent = package[: len(package) - st.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                for alias in st.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in modules else base)
            else:
                for field in ("body", "orelse", "finalbody"):
                    children = getattr(st, field, None)
                    if isinstance(children, list):
                        visit([c for c in children if isinstance(c, ast.stmt)])
                for handler in getattr(st, "handlers", []):
                    visit(handler.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return {m for m in found if m in modules and m != name}


def cycles(graph: Mapping[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        out.append(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in stack:
                low[node] = min(low[node], index[child])
    return out


def test_cycle_finder_finds_cycles_and_only_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": set(), "f": {"d"}}
    assert cycles(graph) == [{"a", "b", "c"}]
    assert cycles({"x": {"y"}, "y": set()}) == []
    assert sorted(map(sorted, cycles({"p": {"q"}, "q": {"p"}, "r": {"s"}, "s": {"r"}}))) == [
        ["p", "q"],
        ["r", "s"],
    ]


def test_load_time_imports_skip_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    for name in ("__init__.py", "a.py", "b.py", "c.py", "sub/__init__.py", "sub/d.py"):
        (package / name).write_text("")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from pkg import b\n"
        "from .sub import d\n"
        "if TYPE_CHECKING:\n    import pkg.c\n"
        "def f():\n    import pkg.c\n"
    )
    modules = module_files(package)
    assert set(modules) == {"pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.sub", "pkg.sub.d"}
    assert load_time_imports("pkg.a", modules["pkg.a"], modules) == {"pkg.b", "pkg.sub.d"}


def test_no_import_cycles() -> None:
    modules = module_files()
    assert len(modules) > 50
    graph = {name: load_time_imports(name, path, modules) for name, path in modules.items()}
    assert any(graph.values())  # the walk sees imports at all
    assert cycles(graph) == []


_PRINT_OR_EXIT = {"print", "exit", "quit", "sys.exit", "os._exit", "click.echo", "click.secho"}


def _prints_or_exits(tree: ast.AST) -> Iterator[int]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if ast.unparse(node.func) in _PRINT_OR_EXIT:
                yield node.lineno
        elif isinstance(node, ast.Raise) and ast.unparse(node.exc or node).startswith("SystemExit"):
            yield node.lineno


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("print('x')", True),
        ("import sys\nsys.exit(2)", True),
        ("raise SystemExit(1)", True),
        ("click.echo('x')", True),
        ("console.print('x')", False),  # a reporter writing to the stream it was given
        ("out.write('x')", False),
    ],
)
def test_print_or_exit_finder(source: str, flagged: bool) -> None:
    assert bool(list(_prints_or_exits(ast.parse(source)))) is flagged


def test_only_the_cli_prints_or_exits() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for name, path in module_files().items()
        if not name.startswith("scanner.cli") and name != "scanner.__main__"
        for line in _prints_or_exits(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_no_module_over_500_lines() -> None:
    sizes = {
        str(path.relative_to(PACKAGE.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in module_files().values()
    }
    assert max(sizes.values()) > 100  # really counted
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}
