"""Several `synsp refine` processes at once against the same runs one after another (wall time).

Each process refines its own copy of one (T, 17, 3) float32 .npy of random-walk joints with the default
3D model, as `python -m synsp.cli refine in_i.npy -o out_i.npy [--threads N]`, from a clean environment
(OMP_NUM_THREADS and OMP_WAIT_POLICY unset unless --env says otherwise).  For each thread setting
("default": no --threads, the CLI's own choice; a number: --threads N) the N runs go one after another,
then all at once; the outputs are checked equal.  The ratio concurrent / sequential is below 1 when
running at once helps and far above 1 when the processes fight over the cores.

Run:  python benchmarks/concurrent_refine.py [--processes 4] [--frames 9000] [--threads default 1]
      [--env OMP_WAIT_POLICY=ACTIVE]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--frames", type=int, default=9000, help="frames per file (30 fps: 9000 = 5 minutes)")
    parser.add_argument("--threads", nargs="+", default=["default", "1"],
                        help="settings to compare: 'default' (the CLI's choice) or a number for --threads")
    parser.add_argument("--env", nargs="*", default=[], metavar="NAME=VALUE",
                        help="extra environment of every process (e.g. OMP_WAIT_POLICY=ACTIVE)")
    args = parser.parse_args(argv)

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    env.update(item.split("=", 1) for item in args.env)
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(scale=0.01, size=(args.frames, 17, 3)), axis=0).astype(np.float32)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"# reproduce: python benchmarks/concurrent_refine.py --processes {args.processes} --frames {args.frames} "
          f"--threads {' '.join(args.threads)}" + (f" --env {' '.join(args.env)}" if args.env else ""))
    print(f"{args.processes} x `synsp refine` of {args.frames} frames (17 joints, 3D), {cpus} CPUs")
    print()
    print("| threads per process | sequential (s) | concurrent (s) | concurrent / sequential |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        src = [Path(tmp) / f"in{i}.npy" for i in range(args.processes)]
        for path in src:
            np.save(path, x)

        def start(i: int, threads: str) -> subprocess.Popen:
            cmd = [sys.executable, "-m", "synsp.cli", "refine", str(src[i]), "-o", str(Path(tmp) / f"out{i}.npy")]
            cmd += [] if threads == "default" else ["--threads", threads]
            return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def wait(proc: subprocess.Popen) -> None:
            _, err = proc.communicate()
            if proc.returncode:
                raise SystemExit(f"synsp refine failed ({proc.returncode}): {err.decode().strip()}")

        for threads in args.threads:
            begin = time.perf_counter()
            for i in range(args.processes):
                wait(start(i, threads))
            sequential = time.perf_counter() - begin
            first = np.load(Path(tmp) / "out0.npy")
            begin = time.perf_counter()
            procs = [start(i, threads) for i in range(args.processes)]
            for proc in procs:
                wait(proc)
            concurrent = time.perf_counter() - begin
            for i in range(args.processes):
                np.testing.assert_allclose(np.load(Path(tmp) / f"out{i}.npy"), first, atol=1e-5)
            print(f"| {threads} | {sequential:.1f} | {concurrent:.1f} | {concurrent / sequential:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
