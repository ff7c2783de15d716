"""mkdocs hook: the docstrings' Sphinx roles (``:func:`~scalinglaws.fitting.Fit```) as code.

The package's docstrings name other objects the Sphinx way; mkdocstrings renders them as the
role's text followed by the name in code. This hook keeps the name alone (its last part where
the role's target starts with ``~``, as Sphinx shows it)."""

import re

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|obj|exc):<code>(~?)([\w.]+)</code>")


def _name(match: re.Match) -> str:
    tilde, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if tilde else target}</code>"


def on_page_content(html, page, config, files):
    return _ROLE.sub(_name, html)
