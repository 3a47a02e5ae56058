"""Run every benchmark (tree, kernel, PFI, pipeline) one after the other and print their tables.

Each script runs in its own process (so ``OMP_WAIT_POLICY`` and the OpenMP runtime start fresh,
and one script's memory does not weigh on the next); options are passed through.

Run: ``python benchmarks/run_all.py [--quick] [--repeat K]``
"""

from __future__ import annotations

import os

os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # inherited by the child processes

import subprocess
import sys
import time
from pathlib import Path

from _common import parse_args

SCRIPTS = ("bench_tree.py", "bench_kernel.py", "bench_pfi.py", "bench_pipeline.py")


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    options = ["--repeat", str(args.repeat), *(["--quick"] if args.quick else [])]
    here = Path(__file__).resolve().parent
    failed = []
    for script in SCRIPTS:
        print(f"\n# {script} {' '.join(options)}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(here / script), *options])
        print(f"\n({script}: {time.perf_counter() - start:.0f} s, exit code {code})", flush=True)
        if code:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
