"""The ``scalinglaws`` command.

::

    scalinglaws datasets
    scalinglaws fit --dataset chinchilla-240 --law chinchilla [--out fit.json]
    scalinglaws fit runs.csv --law power --x C --y loss
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

__all__ = ["main"]


def _read_table(args) -> pd.DataFrame:
    from . import datasets

    if args.dataset and args.csv:
        raise SystemExit("give a CSV path or --dataset, not both")
    if args.dataset:
        return datasets.load(args.dataset)
    if not args.csv:
        raise SystemExit("give a CSV path or --dataset NAME (see `scalinglaws datasets`)")
    path = Path(args.csv)
    if not path.exists():
        raise SystemExit(f"no such file: {path}")
    return pd.read_csv(path)


def _cmd_datasets(args) -> int:
    from . import datasets

    table = datasets.list()
    for row in table.itertuples():
        cols = row.columns if len(row.columns) <= 60 else row.columns[:57] + "..."
        print(f"{row.name:<22} {row.rows:>5} rows  {row.description}")
        print(f"{'':<22} columns: {cols}")
    return 0


def _cmd_fit(args) -> int:
    from . import fitting

    df = _read_table(args)
    x = None
    if args.x:
        x = args.x[0] if len(args.x) == 1 else list(args.x)
    fixed = dict(_parse_assignment(s) for s in args.fix or [])
    result = fitting.fit(df, args.law, x=x, y=args.y, objective=args.objective, delta=args.delta,
                         n_starts=args.starts, fixed=fixed or None, weights=args.weights)
    print(result.summary())
    if args.out:
        result.save(args.out)
        print(f"\nsaved to {args.out}")
    return 0


def _parse_assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep:
        raise SystemExit(f"--fix takes NAME=VALUE, got {text!r}")
    return name, float(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scalinglaws",
        description="Fit scaling laws, bootstrap their uncertainty, extrapolate and plan compute.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("datasets", help="list the shipped data sets")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("fit", help="fit a law to a CSV or a shipped data set and print the parameters")
    p.add_argument("csv", nargs="?", help="CSV file with one row per run")
    p.add_argument("--dataset", help="a shipped data set instead of a CSV (see `scalinglaws datasets`)")
    p.add_argument("--law", default="chinchilla", help="power, chinchilla, loglinear, sigmoid, data_constrained")
    p.add_argument("--x", nargs="+", help="input column(s), in the law's input order (default: the law's names)")
    p.add_argument("--y", help="target column (default: the law's target, e.g. loss)")
    p.add_argument("--objective", choices=["huber", "lsq", "expectile"], help="default: huber for losses, lsq otherwise")
    p.add_argument("--delta", type=float, help="Huber threshold (default 1e-3)")
    p.add_argument("--starts", type=int, default=32, help="solver starts from the best grid points (default 32)")
    p.add_argument("--fix", nargs="+", metavar="NAME=VALUE", help="hold parameters at values, e.g. E=1.69")
    p.add_argument("--weights", help="column of per-row weights")
    p.add_argument("--out", help="save the fit as JSON")
    p.set_defaults(func=_cmd_fit)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .validation import InputError

    try:
        return args.func(args)
    except (InputError, KeyError) as err:
        msg = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        print(f"error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
