"""Progress bars for long solves: a tqdm bar that moves at least once a second.

A bootstrap's blocks are solved in segments of about :data:`SEGMENT_S` seconds
(:func:`scalinglaws.solvers.stream.advance` runs a pool for a budget of iterations), and the
bar moves after each. What no segment can cut (tracing and compiling a program, which on a CPU
takes seconds the first time a shape is met) is shown as a stage: the bar reads ``compiling``
and a heartbeat thread redraws it, elapsed time included, every :data:`HEARTBEAT_S` seconds.
"""

from __future__ import annotations

import sys
import threading

__all__ = ["Bar", "SEGMENT_S", "HEARTBEAT_S", "enabled"]

SEGMENT_S = 0.25
"""Target wall time of one solver segment between two moves of the bar."""

HEARTBEAT_S = 0.5
"""How often the bar is redrawn while the main thread is busy (compiling, or one segment)."""


def enabled(progress) -> bool:
    """``progress`` as given (True/False), or, for None, whether stderr is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


class Bar:
    """A tqdm bar over ``total`` units with a heartbeat, or nothing at all when disabled.

    ``update_to(n)`` moves it to ``n`` units done (it never moves back), ``stage(text)`` shows
    what the run is doing where no count moves (until the count next moves). Usable as a context
    manager; the heartbeat thread ends with the bar."""

    def __init__(self, total: int, desc: str, unit: str, enabled: bool):
        self._bar = None
        self._stage = None
        self._done = threading.Event()
        self._thread = None
        if not enabled:
            return
        from tqdm.auto import tqdm

        self._bar = tqdm(total=int(total), unit=unit, desc=desc)
        self._thread = threading.Thread(target=self._beat, name="scalinglaws-progress", daemon=True)
        self._thread.start()

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def _beat(self) -> None:
        while not self._done.wait(HEARTBEAT_S):
            self._bar.refresh()

    def update_to(self, n: float) -> None:
        """Move to ``n`` units done (clears a stage)."""
        if self._bar is None:
            return
        if self._stage:
            self.stage(None)
        if int(n) > self._bar.n:
            self._bar.update(int(n) - self._bar.n)

    def block(self, done: int, size: int):
        """The report of a block of ``size`` units after ``done``: ``report(share)`` moves the bar
        to ``done + share * size``; None when no bar is shown (the block is then solved whole)."""
        if self._bar is None:
            return None
        return lambda share: self.update_to(done + share * size)

    def stage(self, text: str | None) -> None:
        """Show what the run is doing until the count next moves (None: nothing)."""
        if self._bar is not None:
            self._stage = text
            self._bar.set_postfix_str(text or "", refresh=True)

    def close(self) -> None:
        if self._bar is None:
            return
        self._done.set()
        self._thread.join()
        self._bar.close()
        self._bar = None

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
