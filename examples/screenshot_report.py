"""Open a capex report in headless Chromium and save a screenshot beside it, so that a person (or a
reviewer of a change) sees the report as it renders: a figure that fails to decode or a table that
breaks the layout shows in the picture.

    scalinglaws capex examples/capex_decision.toml --out capex-decision
    python examples/screenshot_report.py capex-decision/report.html     # writes capex-decision/report.png

Needs Debian's ``chromium`` package (``apt-get install chromium``; /usr/bin/chromium) or
``--chromium PATH``. Runs it headless with no network, no sandbox (as root in a container) and a
fresh profile; the window is ``--width`` pixels wide and ``--height`` tall, tall enough for the whole
report by default. Prints the screenshot's size and the share of its pixels that are not white,
and exits 1 if the page came out blank.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000"]


def screenshot(report: Path, out: Path, chromium: str, width: int, height: int) -> float:
    """Render ``report`` to ``out`` (PNG); returns the seconds it took."""
    with tempfile.TemporaryDirectory() as profile:
        start = time.perf_counter()
        subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={out}", report.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
        return time.perf_counter() - start


def ink(png: Path) -> tuple[tuple[int, int], float]:
    """(width, height) and the share of pixels that are not near-white."""
    import matplotlib.image as mpimg

    pixels = mpimg.imread(png)[..., :3]
    return (pixels.shape[1], pixels.shape[0]), float((pixels.min(axis=2) < 0.94).mean())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="report.html written by `scalinglaws capex`")
    parser.add_argument("--out", type=Path, help="screenshot (default: the report's name with .png)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=9000)
    args = parser.parse_args(argv)
    if not args.report.is_file():
        parser.error(f"{args.report} does not exist")
    if not Path(args.chromium).is_file():
        parser.error(f"no Chromium at {args.chromium}: install Debian's chromium package or pass --chromium")
    out = args.out or args.report.with_suffix(".png")
    seconds = screenshot(args.report, out, args.chromium, args.width, args.height)
    size, share = ink(out)
    print(f"{out}: {size[0]} x {size[1]} px, {share:.1%} of pixels not white, rendered in {seconds:.1f} s")
    if share < 0.01:
        print("the page came out blank", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
