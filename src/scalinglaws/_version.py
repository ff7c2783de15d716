"""The package version, importable without JAX (for ``--version`` and the files results write)."""

__version__ = "0.1.0"
