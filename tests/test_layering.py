"""The package's layers: a module imports only from layers below its own, so there are no import
cycles and the tree reads as the data flow (table -> checked arrays -> batched solve -> result
objects -> tables and figures -> applications).

Every import is checked, including those inside functions (a lazy import of a higher layer is a
cycle all the same). Adding a module means adding it to ``LAYERS``; the test fails until it is.
"""

from __future__ import annotations

import ast
from pathlib import Path

import scalinglaws

PACKAGE = Path(scalinglaws.__file__).parent

# Bottom to top. Within a package (laws, capex, plot) the sub-list orders its modules the same way.
LAYERS: list[tuple[str, ...]] = [
    ("_version", "compute", "_jax_setup"),  # no imports: the version string (`--version` stays fast), C = 6 N D,
                                     # how JAX is set up when it is imported
    ("sums",),                       # the solver's per-iteration sums, in the form this machine runs faster
    ("inputs", "objectives", "buckets", "serialize", "intervals", "datasets",  # numpy, pandas, scipy
     "programs", "progress"),        # compiled programs stored across processes (jax.export); progress bars
    ("results", "document"),         # the result protocol: summaries, tables, save; a command's output document
    ("laws",),                       # functional forms, their derivatives and start grids
    ("solvers",),                    # the batched, compiled solve
    ("problem",),                    # one fit problem as arrays
    ("bootstrap", "extrapolate", "inference"),  # resampled solves; predictions over replicates; standard errors
    ("shards",),                     # one ensemble solved in parts, joined back
    ("ensemble",),                   # the bootstrap result
    ("fitting",),                    # fit() and the Fit result
    ("chain", "joint"),              # results built from fits: chained laws; the joint fit of groups
    ("group_bootstrap", "ensemble_set"),  # the bootstrap of a grouped fit, and its result
    ("group_solve",),                # separate fits of many groups, as arrays, in blocks
    ("grouped",),                    # grouped fits (FitSet, and sl.fit itself)
    ("isoflop", "validate", "compare"),  # IsoFLOP profiles; extrapolation checks; law comparison
    ("forecast", "breaks"),          # one forecast across laws; does a curve bend off its power law
    ("plot",),                       # figures of every result
    ("capex",),                      # planning on top of fits and figures
    ("io",),                         # reading every saved result back
    ("cli",),                        # the command line
    ("__init__",),                   # the public facade
]
SUBLAYERS: dict[str, list[tuple[str, ...]]] = {
    "laws": [("base",), ("lse", "bounded", "custom"), ("loss",), ("broken",), ("data_constrained",), ("tied", "shared"), ("registry",), ("__init__",)],
    "capex": [("constants",), ("hardware",), ("costs", "revenue"), ("trends", "plan", "cash", "demand"), ("risk", "decisions"), ("capability", "stress"),
              ("report",), ("scenario",), ("__init__",)],
    "solvers": [("config", "arrow"), ("step",), ("stream",), ("batch",), ("__init__",)],
    "isoflop": [("parabolas", "budgets"), ("result",), ("profiles",), ("__init__",)],
    "plot": [("style",), ("fits", "paths", "residuals", "frontier", "sensitivity"), ("capability", "groups", "isoflop", "validation", "comparison",
                                                     "forecast", "breaks"),
             ("__init__",)],
}


def _rank(parts: tuple[str, ...]) -> tuple[int, int]:
    top = parts[0]
    for i, layer in enumerate(LAYERS):
        if top in layer:
            if top in SUBLAYERS:
                sub = parts[1] if len(parts) > 1 else "__init__"
                for j, group in enumerate(SUBLAYERS[top]):
                    if sub in group:
                        return i, j
                raise AssertionError(f"scalinglaws.{'.'.join(parts)} is not in SUBLAYERS[{top!r}]")
            return i, 0
    raise AssertionError(f"scalinglaws.{'.'.join(parts)} is in no layer of tests/test_layering.py")


def _modules() -> dict[tuple[str, ...], Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = tuple(rel.parts)
        if parts == ("__init__",):
            out[("__init__",)] = path
        elif parts[-1] == "__init__":
            out[parts[:-1]] = path
        else:
            out[parts] = path
    return out


def _imports(parts: tuple[str, ...], source: str, is_package: bool) -> list[tuple[tuple[str, ...], int]]:
    """(imported scalinglaws module, line) for every import in ``source``."""
    here = [] if parts == ("__init__",) else (list(parts) if is_package else list(parts[:-1]))
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "scalinglaws":
                target = node.module.split(".")[1:]
            else:
                continue
            if not target:  # `from . import x` / `from scalinglaws import x`
                found += [((a.name,), node.lineno) for a in node.names]
            else:
                found.append((tuple(target), node.lineno))
                for a in node.names:  # `from .pkg import sub` may name a submodule
                    if PACKAGE.joinpath(*target, a.name + ".py").exists():
                        found.append((tuple(target) + (a.name,), node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "scalinglaws":
                    found.append((tuple(a.name.split(".")[1:]) or ("__init__",), node.lineno))
    return found


def violations(sources: dict[tuple[str, ...], tuple[str, bool]]) -> list[str]:
    """Imports that go up or sideways, for ``{module parts: (source, is_package)}``."""
    bad = []
    for parts, (source, is_package) in sources.items():
        me = _rank(parts)
        for target, line in _imports(parts, source, is_package):
            them = _rank(target)
            if target[0] == parts[0]:
                ok = target[0] in SUBLAYERS and them < me  # within capex or plot: a lower sub-layer
            else:
                ok = them[0] < me[0]
            if not ok:
                bad.append(f"scalinglaws.{'.'.join(parts)} (layer {me}) imports scalinglaws.{'.'.join(target)} "
                           f"(layer {them}), line {line}")
    return bad


def test_every_module_is_in_a_layer():
    for parts in _modules():
        _rank(parts)


def test_modules_import_only_from_lower_layers():
    sources = {parts: (path.read_text(), path.name == "__init__.py") for parts, path in _modules().items()}
    bad = violations(sources)
    assert not bad, "imports that go up or sideways:\n" + "\n".join(bad)


def test_the_check_catches_upward_sideways_and_lazy_imports():
    # Controls: each planted import is reported, and a downward one is not.
    assert violations({("laws",): ("from .fitting import Fit\n", False)})
    assert violations({("bootstrap",): ("from . import extrapolate\n", False)})  # same layer
    assert violations({("ensemble",): ("def f():\n    from .fitting import Fit\n", False)})  # lazy
    assert violations({("capex", "costs"): ("from .plan import plan\n", False)})
    assert violations({("inputs",): ("import scalinglaws.cli\n", False)})
    assert not violations({("fitting",): ("from . import laws\nfrom .ensemble import Ensemble\n", False)})
    assert not violations({("capex", "plan"): ("from ..fitting import Fit\nfrom .costs import gpu_hours\n", False)})


def import_graph() -> dict[str, set[str]]:
    """``{module: modules it imports}`` over the package's top-level modules and packages."""
    graph: dict[str, set[str]] = {}
    for parts, path in _modules().items():
        me = parts[0]
        for target, _ in _imports(parts, path.read_text(), path.name == "__init__.py"):
            if target[0] != me:
                graph.setdefault(me, set()).add(target[0])
    return graph


def find_cycle(graph: dict[str, set[str]]) -> tuple[str, ...] | None:
    """One import cycle of ``graph`` (the modules along it, the first repeated at the end), or None."""
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]):
        if node in path:
            return path[path.index(node):] + (node,)
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt, path + (node,))
            if found:
                return found
        done.add(node)
        return None

    for node in sorted(graph):
        found = visit(node, ())
        if found:
            return found
    return None


def test_the_import_graph_has_no_cycles():
    assert find_cycle(import_graph()) is None
    # Control: the cycle this package had (fitting -> extrapolate -> ensemble -> fitting) is found.
    planted = {"fitting": {"extrapolate"}, "extrapolate": {"ensemble"}, "ensemble": {"fitting"}, "laws": set()}
    assert find_cycle(planted) == ("ensemble", "fitting", "extrapolate", "ensemble")


if __name__ == "__main__":  # python tests/test_layering.py: print the layers and the import graph
    graph = import_graph()
    for i, layer in enumerate(LAYERS):
        for name in layer:
            print(f"{i:>2} {name:>12} -> {', '.join(sorted(graph.get(name, ()))) or '-'}")
