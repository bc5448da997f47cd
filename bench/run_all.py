"""Every benchmark, one after the other, each printing its figures beside its same-run baseline.

    .venv/bin/python bench/run_all.py          # all of them, SQLite and PostgreSQL (about 30 minutes here)
    .venv/bin/python bench/run_all.py --quick  # small sizes, SQLite only (a couple of minutes)

PostgreSQL runs use the bench_* databases on 127.0.0.1:5432 (see bench/README.md), never the test database.
Exits non-zero if any benchmark did (a failed check, a server that did not start).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FULL: list[list[str]] = [
    ["vote_storm.py"],
    ["vote_storm.py", "--backend", "postgresql"],
    ["line_storm.py"],
    ["data_scale.py"],
    ["startup_memory.py"],
]
QUICK: list[list[str]] = [
    ["vote_storm.py", "--members", "500"],
    ["line_storm.py", "--backend", "sqlite", "--members", "500"],
    [
        "data_scale.py",
        "--backend",
        "sqlite",
        "--ambassadors",
        "2000",
        "--entries",
        "20000",
        "--ballots",
        "2000",
    ],
    ["startup_memory.py", "--backend", "sqlite", "--reminders", "5000", "--members", "500"],
]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, SQLite only")
    args = parser.parse_args()
    failed = []
    for command in QUICK if args.quick else FULL:
        print(f"\n=== bench/{' '.join(command)}", flush=True)
        began = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / command[0]), *command[1:]])
        print(f"=== exit {code} after {time.perf_counter() - began:.0f} s", flush=True)
        if code != 0:
            failed.append(" ".join(command))
    if failed:
        print(f"\nfailed: {'; '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
