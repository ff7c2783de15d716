"""How the package sets JAX up: float64 and the persistent compilation cache, applied when JAX
is imported, so that importing the package (and ``scalinglaws --help``) does not import it.

float64 (``jax_enable_x64``): the Huber-on-log-residual objectives used for loss laws sit near
1e-3 and their optima differ in the sixth digit, which float32 cannot resolve.

The compilation cache: a fit or an ensemble compiles for about 2 s on a CPU; with the cache a
second process loads the program instead. It lives in ``$SCALINGLAWS_CACHE_DIR`` or
``$XDG_CACHE_HOME/scalinglaws/jax`` (``~/.cache/...``). It is left alone if
``jax_compilation_cache_dir`` is already set, and ``SCALINGLAWS_COMPILATION_CACHE=0`` turns it
off (and the stored programs of :mod:`scalinglaws.programs`, kept in its ``programs/`` folder).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys

__all__ = ["configure", "configure_on_import", "cache_enabled"]


def cache_enabled() -> bool:
    """False where ``SCALINGLAWS_COMPILATION_CACHE`` turns the caches off."""
    return os.environ.get("SCALINGLAWS_COMPILATION_CACHE", "1").lower() not in ("0", "false", "no", "off")


def configure(jax) -> None:
    """Enable float64 and the compilation cache in the imported ``jax`` module."""
    jax.config.update("jax_enable_x64", True)
    if not cache_enabled():
        return
    if jax.config.jax_compilation_cache_dir:
        return
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.environ.get("SCALINGLAWS_CACHE_DIR") or os.path.join(root, "scalinglaws", "jax")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return  # a read-only home: run without the cache
    jax.config.update("jax_compilation_cache_dir", path)
    # The solver programs compile in 0.3-3 s, the small helpers in 0.02-0.05 s: cache them all.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.01)


class _ConfigureAfterExec(importlib.abc.Loader):
    """JAX's own loader, followed by :func:`configure` once the module has run."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        configure(module)


class _JaxFinder(importlib.abc.MetaPathFinder):
    """Finds ``jax`` once, through the other finders, and wraps its loader."""

    def find_spec(self, name, path=None, target=None):
        if name != "jax":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec("jax")
        if spec is not None and spec.loader is not None:
            spec.loader = _ConfigureAfterExec(spec.loader)
        return spec


def configure_on_import() -> None:
    """Configure JAX now if it is imported, else the moment it is (without importing it)."""
    if "jax" in sys.modules:
        configure(sys.modules["jax"])
    elif not any(isinstance(f, _JaxFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _JaxFinder())
