"""One bootstrap ensemble solved by two processes of one ``jax.distributed`` job, checked against
the ensemble one process solves alone.

    python examples/two_processes.py [--replicates 2000] [--chunk-size 512] [--out DIR]

Starts two local worker processes (CPU, one device each) that connect through
``jax.distributed.initialize``; each solves its shard of the ensemble
(``fit.bootstrap(..., shard="processes")``), and every worker returns the whole ensemble, which
worker 0 saves. This process then solves the same ensemble alone and checks that every number
is the same. On several hosts, start the worker part on each with the coordinator's address
(docs/sharding.md): it is the same code.

A shard is whole blocks of ``chunk_size`` replicates (rounded up to a power of two), so an
ensemble needs at least two blocks for two processes to share it.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def worker(process_id: int, port: int, out: Path, replicates: int, chunk_size: int) -> None:
    import jax

    jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=process_id)
    import scalinglaws as sl

    fit = sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")
    start = time.perf_counter()
    ens = fit.bootstrap(replicates, seed=0, chunk_size=chunk_size, shard="processes", progress=False)
    elapsed = time.perf_counter() - start
    print(f"worker {process_id} of {jax.process_count()}: {ens.n_replicates} replicates in {elapsed:.2f} s "
          f"(its own shard, then the gather)", flush=True)
    if process_id == 0:
        ens.save(out / "two_processes.json")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=2000)
    ap.add_argument("--chunk-size", type=int, default=512)
    ap.add_argument("--out", type=Path, default=None, help="folder for the ensemble file (default a temporary one)")
    ap.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        worker(args.worker, args.port, args.out, args.replicates, args.chunk_size)
        return 0

    out = args.out or Path(tempfile.mkdtemp(prefix="two_processes_"))
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    command = [sys.executable, __file__, "--replicates", str(args.replicates), "--chunk-size", str(args.chunk_size),
               "--out", str(out), "--port", str(port), "--worker"]
    start = time.perf_counter()
    workers = [subprocess.Popen(command + [str(i)], env=env) for i in (0, 1)]
    try:
        codes = [w.wait(timeout=600) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    if any(codes):
        print(f"a worker failed (exit codes {codes})", file=sys.stderr)
        return 1
    print(f"two processes, started to finished: {time.perf_counter() - start:.2f} s")

    import numpy as np

    import scalinglaws as sl

    shared = sl.load(out / "two_processes.json")
    fit = sl.fit(sl.datasets.load("chinchilla-240"), "chinchilla")
    alone = fit.bootstrap(args.replicates, seed=0, chunk_size=args.chunk_size, progress=False)
    fields = ("theta", "objective", "converged", "on_bound", "iterations")
    same = {f: bool(np.array_equal(getattr(shared, f), getattr(alone, f))) for f in fields}
    # A saved file holds the gradient norms, a solver diagnostic, in single precision.
    same["grad_norm"] = bool(np.array_equal(shared.grad_norm, alone.grad_norm.astype(np.float32).astype(float)))
    print(f"{shared.n_replicates} replicates solved by {shared.diagnostics['processes']} processes; "
          f"identical to one process: {', '.join(f'{f} {s}' for f, s in same.items())}")
    print(shared.interval().round(4).to_string())
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
