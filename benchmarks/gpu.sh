#!/usr/bin/env bash
# The accelerator benchmark in one command, from the repository root or anywhere:
#
#   bash benchmarks/gpu.sh [--quick] [--out DIR]
#
# Needs no install: the GPU machine's own python3 (JAX with CUDA, optax, scipy, pandas;
# optimistix for its baseline) runs the source tree. Writes gpu-<machine>-<date>.json into
# benchmarks/results (or DIR) after every step, and stops at 470 s (under 8 minutes) whatever
# is left; the file keeps what was measured by then. See benchmarks/bench_gpu.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
python3 -c 'import jax; print("jax", jax.__version__, jax.devices())'
exec timeout 470 python3 -m benchmarks.bench_gpu "$@"
