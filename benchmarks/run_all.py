"""Runs every benchmark in turn with its default (regional) size and prints their figures.

Usage: ``python benchmarks/run_all.py [--quick]`` — ``--quick`` uses 100 schools instead of
1000 (minutes instead of tens of minutes). Each benchmark prints JSON; this script prints a
header before each one and stops at the first failure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["imports.py", "analyses.py", "risks.py", "indicators.py", "reports.py"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for script in SCRIPTS:
        argv = [sys.executable, str(HERE / script)]
        if args.quick and script != "reports.py":
            argv += ["--schools", "100"]
        print(f"== {script}", flush=True)
        code = subprocess.call(argv)
        if code != 0:
            print(f"{script} завершился с кодом {code}", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
