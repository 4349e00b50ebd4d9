"""The shape of the code, in the figures issue 14 asks for: route lengths, module sizes,
dependencies between domain packages, imports hidden inside functions, `except` clauses in
views.

    .venv/bin/python bench/code_shape.py [--verbose]

Pure `ast` over `portal/`; nothing is imported or run.
"""

from __future__ import annotations

import argparse
import ast
import statistics
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"
ROUTE_LIMIT = 15
MODULE_LIMIT = 600


# Packages that are not domains: the demo builder fills every domain with made-up data.
NOT_DOMAINS = {"demo"}


def _domain(path: Path) -> str | None:
    """The domain package a module belongs to (`portal/<domain>/...`), or None at the top."""
    parts = path.relative_to(PORTAL).parts
    return parts[0] if len(parts) > 1 and parts[0] not in NOT_DOMAINS else None


def _is_route(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef):
        return False
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in ("route", "get", "post"):
            return True
    return False


def _imported_domain(node: ast.ImportFrom, path: Path) -> str | None:
    """The portal domain an import names, resolving relative imports against `path`."""
    if node.level:
        base = list(path.relative_to(PORTAL).parent.parts)
        if node.level - 1 > len(base):
            return None
        base = base[: len(base) - (node.level - 1)]
        parts = base + (node.module.split(".") if node.module else [])
        if not parts and node.names:
            parts = [node.names[0].name]
    else:
        if not node.module or not node.module.startswith("portal."):
            return None
        parts = node.module.split(".")[1:]
    if not parts:
        return None
    head = parts[0]
    return head if (PORTAL / head).is_dir() and head not in NOT_DOMAINS else None


def measure(verbose: bool = False) -> dict:
    routes: list[tuple[int, str]] = []
    sizes: list[tuple[int, str]] = []
    edges: dict[tuple[str, str], int] = defaultdict(int)
    inner_imports = 0
    view_excepts = 0
    view_not_found = 0
    for path in sorted(PORTAL.rglob("*.py")):
        text = path.read_text()
        rel = str(path.relative_to(ROOT))
        sizes.append((len(text.splitlines()), rel))
        tree = ast.parse(text)
        is_view = path.name.startswith("views") or "views" in path.parts
        here = _domain(path)
        for node in ast.walk(tree):
            if _is_route(node):
                length = node.end_lineno - node.lineno + 1
                routes.append((length, f"{rel}:{node.name}"))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inner_imports += sum(
                    isinstance(inner, ast.Import | ast.ImportFrom)
                    for inner in ast.walk(node)
                    if inner is not node
                )
            if is_view and isinstance(node, ast.ExceptHandler):
                view_excepts += 1
                if isinstance(node.type, ast.Name) and node.type.id == "NotFound":
                    view_not_found += 1
            if isinstance(node, ast.ImportFrom) and here:
                other = _imported_domain(node, path)
                if other and other != here:
                    edges[(here, other)] += 1
    lengths = sorted(length for length, _ in routes)
    two_way = sorted({tuple(sorted(pair)) for pair in edges if (pair[1], pair[0]) in edges})
    figures = {
        "routes": len(lengths),
        "route median": statistics.median(lengths) if lengths else 0,
        "route p90": lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0,
        "route max": max(routes) if routes else (0, ""),
        f"routes over {ROUTE_LIMIT} lines": sum(n > ROUTE_LIMIT for n in lengths),
        "routes over 25 lines": sum(n > 25 for n in lengths),
        f"modules over {MODULE_LIMIT} lines": sorted(
            (s for s in sizes if s[0] > MODULE_LIMIT), reverse=True
        ),
        "two-way dependencies between domains": two_way,
        "imports inside functions": inner_imports,
        "except clauses in views": view_excepts,
        "except NotFound in views": view_not_found,
    }
    if verbose:
        figures["longest routes"] = sorted(routes, reverse=True)[:15]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list the longest routes too")
    args = parser.parse_args()
    for name, value in measure(args.verbose).items():
        if isinstance(value, list):
            print(f"{name}: {len(value)}")
            for item in value:
                print(f"  {item}")
        else:
            print(f"{name}: {value}")


if __name__ == "__main__":
    main()
