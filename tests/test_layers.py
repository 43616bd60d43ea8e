"""The package's imports go one way: each layer imports only the layers below it, and no
module imports itself back through a circle. Read from the source (ast), no import needed."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import spacy_rulelang

PACKAGE = Path(spacy_rulelang.__file__).parent
# Top to bottom; a module may import its own layer and any layer below it.
LAYERS = ["cli", "workflow", "review", "compare", "merge", "scoring", "ruler", "catalogue",
          "backends", "io", "data", "errors"]
ENTRY = {"spacy_rulelang", "spacy_rulelang.__main__"}  # the package's front doors


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> Dict[str, Set[str]]:
    """Each module's imports of other modules of the package (module-level and inside functions)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: Dict[str, Set[str]] = {}
    for name, path in modules.items():
        found: Set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{name}: relative import (write it absolute)")
            targets = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                       [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                       if isinstance(node, ast.ImportFrom) and node.module else [])
            found.update(t for t in targets if t in modules and t != name)
        graph[name] = found
    return graph


def layer(name: str) -> int:
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else -1


def test_layers_import_downwards_only():
    wrong = [f"{a} -> {b}" for a, targets in imports().items() if a not in ENTRY
             for b in targets if b not in ENTRY and layer(b) < layer(a)]
    assert not wrong, "imports that go up a layer:\n" + "\n".join(sorted(wrong))


def test_every_module_is_in_a_layer():
    assert [m for m in imports() if m not in ENTRY and layer(m) < 0] == []


def test_no_import_cycle():
    graph = imports()
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_top_level_holds_few_modules():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "errors.py"], top
