"""The benchmark scripts run (quick mode) and check their own results against a reference."""

import runpy
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_swaa_benchmark_quick(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["swaa.py", "--quick", "--sizes", "8"])
    module = runpy.run_path(str(BENCHMARKS / "swaa.py"))
    assert module["main"](["--quick", "--sizes", "8"]) == 0  # asserts synsp == loop internally
    out = capsys.readouterr().out
    assert "reproduce: python benchmarks/swaa.py --quick" in out
    row = [line for line in out.splitlines() if line.startswith("| 8 |")][-1]
    speedup = float(row.split("|")[5].strip().rstrip("x"))
    assert speedup > 1
