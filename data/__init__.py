"""The shipped data sets, installed as the package ``scalinglaws.data`` so that
:mod:`scalinglaws.datasets` reads them through ``importlib.resources`` in any install. Their
provenance and licences: README.md in this folder."""
