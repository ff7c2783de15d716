"""Compiled programs kept across processes: the solver as exported StableHLO on disk.

JAX's persistent compilation cache (:mod:`scalinglaws._jax_setup`) spares a fresh process the
XLA compilation, but not the tracing and lowering that compute its key: for the solver of a
point fit that is about 0.8 s on a CPU, more than the fit itself takes warm. :func:`call` runs a
jitted function through :mod:`jax.export` instead: the first process to meet a program traces
it once, serializes the exported module to ``<compilation cache>/programs/<key>.jexp`` and runs
it; a later process reads the module back (milliseconds), and its compilation comes from JAX's
cache as before.

A program is only stored where its key can name everything it was traced from: the law is one of
the package's own (:func:`scalinglaws.laws.builtin`), the objective one of its own classes, and
the key holds the function, every static argument's ``repr``, every array argument's shape and
dtype, the JAX and jaxlib versions, the backend and device, and a hash of the package's source
files, so that an edited or upgraded package never runs a stale program. Anything else
(a custom law, the cache turned off with ``SCALINGLAWS_COMPILATION_CACHE=0``, a directory that
cannot be written) runs the plain jitted function. Loading a program is safe only from a
directory you trust, as with any compilation cache.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import jax
import numpy as np

from ._jax_setup import cache_enabled
from .sums import form as sum_form

__all__ = ["call", "clear", "directory", "register_namedtuple", "stats"]

stats = {"exported": 0, "loaded": 0, "plain": 0}
"""How this process ran its cacheable calls' programs: ``exported`` (traced here and written),
``loaded`` (read from the directory), ``plain`` (not storable: run as a plain jitted call)."""

_PROGRAMS: dict[str, Callable] = {}
_REGISTERED: set = set()


def directory() -> Path | None:
    """Where programs are stored: ``programs/`` in JAX's compilation cache directory, or None
    where the cache is off."""
    root = jax.config.jax_compilation_cache_dir
    if not root or not cache_enabled() or not _can_serialize():
        return None
    return Path(root) / "programs"


@functools.cache
def _can_serialize() -> bool:
    """jax.export's serialization needs the ``flatbuffers`` package and a JAX that serializes
    NamedTuples; without them every call is a plain one."""
    import importlib.util

    return importlib.util.find_spec("flatbuffers") is not None and hasattr(jax.export,
                                                                          "register_namedtuple_serialization")


def clear() -> None:
    """Forget the programs this process has loaded or exported, and every compiled JAX function
    (``jax.clear_caches``), so that their compiled code is released; the next call of each
    compiles again (from the persistent caches, where they are on).

    On a CPU every compiled kernel stays mapped in the process (three memory mappings each:
    about 490 for one point-fit program on chinchilla-240, 21 point fits of the hard-fit suite
    about 10,000), and Linux refuses new mappings past ``vm.max_map_count`` (65,530 by
    default): LLVM then aborts the process ("Unable to allocate section memory"). A process
    that compiles many distinct programs (a benchmark suite, a pipeline fitting many laws to
    many data sizes) calls this between its parts."""
    _PROGRAMS.clear()
    jax.clear_caches()


def register_namedtuple(cls) -> None:
    """Let a NamedTuple result type cross the export (once per process, in every process)."""
    if cls not in _REGISTERED and _can_serialize():
        jax.export.register_namedtuple_serialization(cls, serialized_name=f"{cls.__module__}.{cls.__qualname__}")
        _REGISTERED.add(cls)


@functools.cache
def _environment() -> str:
    """What every key of this process shares: the package's sources and version (an edit
    anywhere changes every key), the JAX and jaxlib versions, the backend and device, float64,
    and the XLA flags."""
    import jax.lib  # jaxlib's version, read through jax (jaxlib comes with jax, pinned by it)

    from ._version import __version__

    h = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    device = jax.devices()[0]
    return "\n".join([h.hexdigest(), jax.__version__, jax.lib.__version__, jax.default_backend(),
                      getattr(device, "device_kind", ""), str(bool(jax.config.jax_enable_x64)),
                      os.environ.get("XLA_FLAGS", "")])


def _key(name: str, static: dict, arrays: dict) -> str | None:
    """The program's key, or None where a static argument's ``repr`` names an object by its
    address (it would differ in every process)."""
    statics = [f"{k}={v!r}" for k, v in sorted(static.items())]
    if any(" at 0x" in part for part in statics):
        return None
    shapes = [f"{k}=None" if a is None else f"{k}:{np.shape(a)}:{np.result_type(a).str}" for k, a in arrays.items()]
    # The sums' form depends on the machine and on $SCALINGLAWS_SUMS (sums.py): a cache
    # directory shared by two machines must not hand one the other's program.
    parts = [name, _environment(), f"sums={sum_form()}", *statics, *shapes]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]


def call(fn: Callable, name: str, static: dict, arrays: dict, *, storable: bool = True):
    """``fn(**static, **arrays)``, through a stored program where one can be (see the module).

    Args:
        fn: a jitted function; ``static`` its static arguments by name, ``arrays`` its array
            arguments by name (``None`` for an argument left at None: it is closed over).
        name: the program's name in the key (the function's qualified name).
        storable: False where a static argument cannot be named by its ``repr`` (a custom law):
            the plain jitted call.
    """
    where = directory() if storable else None
    if where is None:
        stats["plain"] += 1
        return fn(**static, **arrays)
    key = _key(name, static, arrays)
    if key is None:
        stats["plain"] += 1
        return fn(**static, **arrays)
    program = _PROGRAMS.get(key)
    if program is None:
        program = _PROGRAMS[key] = _load_or_export(fn, static, arrays, where / f"{key}.jexp")
    return program(*[a for a in arrays.values() if a is not None])


def _load_or_export(fn, static, arrays, path: Path) -> Callable:
    exported = None
    if path.exists():
        try:
            exported = jax.export.deserialize(bytearray(path.read_bytes()))
            stats["loaded"] += 1
        except Exception:  # a truncated or foreign file: export again over it
            exported = None
    if exported is None:
        present = [k for k, a in arrays.items() if a is not None]
        absent = {k: None for k, a in arrays.items() if a is None}

        def closed(*values):
            return fn(**static, **absent, **dict(zip(present, values)))

        shapes = [jax.ShapeDtypeStruct(np.shape(arrays[k]), np.result_type(arrays[k])) for k in present]
        exported = jax.export.export(jax.jit(closed))(*shapes)
        stats["exported"] += 1
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(exported.serialize())
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        except OSError:
            pass  # a read-only cache: the program still runs
    return jax.jit(exported.call)
