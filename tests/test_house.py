"""The house rules of model/: one-way imports, short files, no bare behavioural numbers.

Behavioural coefficients are scenario fields (scenarios/behaviour.py,
scenarios/instruments.py), so sweeps, sensitivity analysis and calibration can reach them.
What may stay in model/ are numeric conventions, each a named module constant.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "model"

#: Numbers that are conventions of arithmetic, not behaviour: zero, one, two, a half and their
#: negatives (an identity, a count of two, the last and second-to-last item, a mean correction
#: -s^2/2, a midpoint).
TRIVIAL = {0, 1, 2, -1, -2, 0.5, -0.5}
#: How many numbers model/ may keep as named module constants (kernel tuning, guards,
#: the index definition, unit conversions).
MAX_NAMED_CONSTANTS = 25


#: Generated measurement data (tools/index_reference.py writes it), not code: its numbers are
#: the index's base-year bounds, which ODD §7.8 documents.
GENERATED = {"index_reference"}


def _sources() -> dict[str, ast.Module]:
    return {
        path.stem: ast.parse(path.read_text())
        for path in sorted(MODEL.glob("*.py"))
        if path.stem not in GENERATED
    }


def _number(node: ast.AST) -> float | None:
    """The value of a numeric literal (with its unary minus), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def _literals(tree: ast.Module) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(bare literals, literals of module-level UPPER_CASE constants), non-trivial only."""
    named: list[tuple[int, float]] = []
    inside_constants: set[int] = set()
    statements = list(tree.body)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            # Class-level constants count as named too, except enum members (labels).
            is_enum = any("Enum" in ast.unparse(base) for base in node.bases)
            statements.extend(node.body if not is_enum else [])
            if is_enum:
                inside_constants.update(id(n) for n in ast.walk(node))
    for statement in statements:
        targets = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets = [statement.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if names and all(name.lstrip("_").isupper() for name in names):
            operands = {id(n.operand) for n in ast.walk(statement) if isinstance(n, ast.UnaryOp)}
            for node in ast.walk(statement):
                value = _number(node)
                if value is not None:
                    inside_constants.add(id(node))
                    if value not in TRIVIAL and id(node) not in operands:
                        named.append((node.lineno, value))
    bare = []
    seen_operands: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.UnaryOp):
            seen_operands.add(id(node.operand))
        value = _number(node)
        if value is None or id(node) in inside_constants or id(node) in seen_operands:
            continue
        if value not in TRIVIAL:
            bare.append((node.lineno, value))
    return bare, named


def test_model_has_no_bare_behavioural_numbers():
    bare = {name: found for name, tree in _sources().items() if (found := _literals(tree)[0])}
    assert not bare, f"numbers in model/ that are not named constants: {bare}"


def test_model_keeps_few_named_constants():
    named = {name: _literals(tree)[1] for name, tree in _sources().items()}
    count = sum(len(found) for found in named.values())
    assert count <= MAX_NAMED_CONSTANTS, {k: v for k, v in named.items() if v}


def _model_imports(tree: ast.Module) -> set[str]:
    """Modules of model/ that a module imports, anywhere in it (TYPE_CHECKING included)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("smartspec.model."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("smartspec.model."):
                    found.add(alias.name.split(".")[2])
    return found


def test_model_imports_point_one_way():
    graph = {name: _model_imports(tree) - {name} for name, tree in _sources().items()}
    graph.pop("__init__", None)
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        assert name not in visiting, f"import cycle: {' -> '.join((*path, name))}"
        visiting.add(name)
        for dependency in sorted(graph.get(name, ())):
            visit(dependency, (*path, name))
        visiting.discard(name)
        order.append(name)

    for name in sorted(graph):
        visit(name, ())
    kernels = {
        "vector",
        "network",
        "metrics",
        "knowledge",
        "population",
        "portfolio",
        "partnering",
        "region",
        "base",
    }
    populations = {"firm", "firm_learning", "university", "citizen", "government"}
    for kernel in kernels:
        assert not graph[kernel] & (populations | {"model", "measure"}), kernel


def test_model_files_stay_short():
    long = {
        path.name: length
        for path in MODEL.glob("*.py")
        if (length := len(path.read_text().splitlines())) > 450
    }
    assert not long, long


def test_importing_the_scenarios_loads_neither_mesa_nor_the_model():
    code = (
        "import smartspec.scenarios, smartspec.model.indicators, sys; "
        "assert 'mesa' not in sys.modules, 'mesa'; "
        "assert 'smartspec.model.model' not in sys.modules, 'model'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
