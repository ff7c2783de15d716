"""Every code block in README.md and docs/*.md runs, as written but for the exceptions listed
here, each with its reason.

- ``python`` blocks run in order, one namespace per page (a page reads like a notebook), in a
  fresh folder holding links to the repository's ``data/`` and ``examples/`` and an empty
  ``docs/figures/``. A block listed in :data:`SCRIPTS` is a script (it reads ``sys.argv``): it
  runs as separate processes with the command lines given there, started together as a job's
  processes would be.
- ``bash`` blocks run line by line with ``bash -e``, after the blocks above them on the page and
  in the same folder, except the commands in :data:`NOT_RUN`; ``pip install -e ".[dev]" && ``
  before a command is left out (the tests run in the installed environment).
- ``json`` blocks parse as strict JSON and validate against the command line's output schema;
  ``toml`` blocks parse; ``text`` blocks are output, shown and not run.
- :data:`SMALLER` lists the sizes the tests cut to keep the suite's time: (page, text as
  written, text as run). Each must still match its page, so the list cannot go stale.

Code blocks must name their language; an untagged block fails the test.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))
LANGUAGES = {"python", "bash", "json", "toml", "text"}

INSTALL = 'pip install -e ".[dev]" && '

NOT_RUN = {
    "python -m pytest": "it is this test suite",
    "mkdocs build --strict": "tests/test_docs.py builds the site in strict mode",
    "bash benchmarks/gpu.sh": "it needs a GPU, which CI does not have",
    "python examples/screenshot_report.py": "it needs Debian's chromium, which CI does not have "
                                             "(tests/test_capex_report.py runs it where chromium is installed)",
}

SMALLER = [
    ("docs/sharding.md", "fit.bootstrap(100_000, seed=0)", "fit.bootstrap(2_000, seed=0)"),
    ("docs/sharding.md", "fit.bootstrap(100_000, seed=0, devices=jax.devices()[:2])",
     "fit.bootstrap(2_000, seed=0, devices=jax.devices()[:2])"),
    ("docs/sharding.md", 'fit.bootstrap(1_000_000, seed=0, shard="processes")',
     'fit.bootstrap(1_000, seed=0, chunk_size=256, shard="processes")'),
    ("docs/sharding.md", "fit.bootstrap(1_000_000, seed=0, shard=(i, k))",
     "fit.bootstrap(1_000, seed=0, chunk_size=256, shard=(i, k))"),
]
"""(page, as written, as run): sizes cut for the suite's time, the code path unchanged."""

SCRIPTS = {
    ("docs/sharding.md", "coordinator, n_processes, process_id = sys.argv[1]"):
        [["127.0.0.1:{port}", "2", "0"], ["127.0.0.1:{port}", "2", "1"]],
    ("docs/sharding.md", "i, k = int(sys.argv[1]), int(sys.argv[2])"): [["0", "2"], ["1", "2"]],
}
"""(page, a line of the block) -> the command lines its processes run with (``{port}``: a free port)."""

FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


def blocks(page: str) -> list[tuple[int, str, str]]:
    """(line, language, code) of each fenced block of ``page``."""
    text = (ROOT / page).read_text()
    return [(text[:m.start()].count("\n") + 1, m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def as_run(page: str, code: str) -> str:
    for where, written, run in SMALLER:
        if where == page:
            code = code.replace(written, run)
    return code


def test_every_block_names_a_known_language():
    bad = [f"{page}:{line} [{lang or 'untagged'}]" for page in PAGES for line, lang, _ in blocks(page)
           if lang not in LANGUAGES]
    assert not bad, f"code blocks without a known language (one of {sorted(LANGUAGES)}): {bad}"


def test_every_exception_still_matches_its_page():
    for page, written, _ in SMALLER:
        assert written in (ROOT / page).read_text(), f"SMALLER: {written!r} is no longer in {page}"
    for page, line in SCRIPTS:
        assert any(line in code for _, lang, code in blocks(page) if lang == "python"), f"SCRIPTS: {line!r} not in {page}"
    commands = [cmd for page in PAGES for _, lang, code in blocks(page) if lang == "bash" for cmd in _commands(code)]
    for pattern in NOT_RUN:
        assert any(pattern in cmd for cmd in commands), f"NOT_RUN: no command {pattern!r} in the pages"


def _commands(code: str) -> list[str]:
    """The commands of a bash block, one per line (continuations joined), the install prefix dropped."""
    out = []
    for line in code.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line.removeprefix(INSTALL))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(folder: Path) -> dict:
    env = dict(os.environ, MPLBACKEND="Agg", JAX_PLATFORMS="cpu")
    # `python` and `scalinglaws` are this interpreter's, whatever the PATH says.
    env["PATH"] = os.pathsep.join([str(folder / ".bin"), str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _run_script(page: str, line: int, code: str, argvs: list, folder: Path, env: dict) -> None:
    script = folder / f"block_{line}.py"
    script.write_text(code)
    port = str(_free_port())
    procs = [subprocess.Popen([sys.executable, str(script), *[a.replace("{port}", port) for a in argv]], cwd=folder,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for argv in argvs]
    outputs = []
    try:
        for p in procs:
            outputs.append(p.communicate(timeout=600)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    failed = [(argv, out) for argv, p, out in zip(argvs, procs, outputs) if p.returncode]
    assert not failed, f"{page}:{line} (script) failed: {failed[0][0]}\n{failed[0][1][-3000:]}"


def _run_bash(page: str, line: int, code: str, folder: Path, env: dict) -> None:
    for cmd in _commands(code):
        if any(pattern in cmd for pattern in NOT_RUN):
            continue
        run = subprocess.run(["bash", "-e", "-c", cmd], cwd=folder, env=env, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, f"{page}:{line}: {cmd}\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"


def _check_json(page: str, line: int, code: str) -> None:
    import jsonschema

    from scalinglaws import document

    doc = json.loads(code, parse_constant=lambda c: pytest.fail(f"{page}:{line}: {c} is not JSON"))
    if isinstance(doc, dict) and doc.get("schema") == document.schema()["properties"]["schema"].get("const"):
        jsonschema.validate(doc, document.schema())


@pytest.mark.parametrize("page", PAGES)
def test_page_runs(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name in ("data", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "docs" / "figures").mkdir(parents=True)
    (tmp_path / ".bin").mkdir()
    (tmp_path / ".bin" / "python").symlink_to(sys.executable)
    monkeypatch.chdir(tmp_path)
    env = _environment(tmp_path)
    namespace = {"__name__": "__doc_page__"}
    times = []
    for line, lang, code in blocks(page):
        start = time.perf_counter()
        code = as_run(page, code)
        if lang == "python":
            argvs = next((a for (p, marker), a in SCRIPTS.items() if p == page and marker in code), None)
            if argvs is not None:
                _run_script(page, line, code, argvs, tmp_path, env)
            else:
                try:
                    exec(compile(code, f"{page}:{line}", "exec"), namespace)
                except Exception as error:
                    raise AssertionError(f"{page}:{line}: {type(error).__name__}: {error}") from error
                finally:
                    plt.close("all")
        elif lang == "bash":
            _run_bash(page, line, code, tmp_path, env)
        elif lang == "json":
            _check_json(page, line, code)
        elif lang == "toml":
            import tomllib

            tomllib.loads(code)
        times.append((line, lang, round(time.perf_counter() - start, 1)))
    print(page, times)
