"""The shape of the code: no import cycles between the project's modules, and no app module
past the size at which one subject stops fitting in one file."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["appointments", "coaches", "locations", "joblokal"]
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    """Every project module by dotted name, migrations left out."""
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The project modules a module imports, at any depth of its code: an import inside a
    function still ties the two modules together."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                # `from pkg import mod` imports the module pkg.mod; `from mod import name`
                # imports mod itself.
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else base)
    return {target for target in targets if target in modules and target != name}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_module_imports_a_module_that_imports_it_back():
    assert find_cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import(tmp_path):
    """The guard itself: a cycle held together by an import inside a function is found."""
    graph = {"a.outbox": {"a.services"}, "a.services": {"a.tasks"}, "a.tasks": {"a.outbox"}}
    assert find_cycles(graph) == [["a.outbox", "a.services", "a.tasks"]]
    source = "def enqueue():\n    from appointments.tasks import send\n"
    path = tmp_path / "outbox.py"
    path.write_text(source)
    modules = {"appointments.outbox": path, "appointments.tasks": path}
    assert _imports(path, "appointments.outbox", modules) == {"appointments.tasks"}


def test_the_graph_knows_the_mail_path():
    graph = import_graph()
    assert "appointments.outbox" in graph["appointments.services.booking"]
    assert "appointments.messages" in graph["appointments.outbox"]
    assert "appointments.services" not in graph["appointments.outbox"]


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_app_module_is_longer_than_600_lines(name):
    lines = len(_modules()[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by capability"
