"""Time the sliding-window average (SWAA) three ways, side by side, in one run.

* ``loop``: a per-frame Python loop in the style of SmoothNet's original
  ``slide_window_to_sequence`` (collect every window's prediction of a frame in
  a list, stack, average), on torch tensors as SmoothNet evaluates.
* ``conv2d``: the official SynSP trick (anti-diagonal identity kernel over the
  ``(N, W)`` grid of each channel, then count normalisation), stride 1 only.
* ``synsp``: :func:`synsp.windows.average_windows`.

It also times the shipped SynSP network's architecture (``synsp-h36m17-3d-w8``,
the ``small`` configuration; for W = 32 the same configuration with a 32-frame
window, untrained, as only its time matters) on the same number of windows,
to report SWAA's share of the total refinement time.

Run:  python benchmarks/swaa.py            (add --quick for a smoke run)
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

import numpy as np
import torch

from synsp.windows import average_windows

COMMAND = "python benchmarks/swaa.py"


def loop_average(windows: torch.Tensor, step: int = 1) -> torch.Tensor:
    """Per-frame bucket loop (SmoothNet's original algorithm, re-written)."""
    n, window = windows.shape[:2]
    buckets: list[list[torch.Tensor]] = [[] for _ in range((n - 1) * step + window)]
    for i in range(n):
        for j in range(window):
            buckets[i * step + j].append(windows[i, j])
    return torch.stack([torch.stack(b).float().mean(0) for b in buckets])


def conv2d_average(windows: torch.Tensor) -> torch.Tensor:
    """Official-style conv2d SWAA (stride 1; exact only when N >= W - 1)."""
    n, window, channels = windows.shape
    length = n + window - 1
    grid = windows.permute(2, 0, 1).unsqueeze(1)  # (C, 1, N, W)
    kernel = torch.eye(window, dtype=windows.dtype).flip(0)[None, None]  # anti-diagonal
    sums = torch.nn.functional.conv2d(grid, kernel, padding=(window - 1, 0))[:, 0, :, 0]  # (C, T)
    count = torch.full((length,), float(window))
    ramp = torch.arange(1, window, dtype=torch.float32)
    count[: window - 1] = ramp
    count[length - window + 1 :] = ramp.flip(0)
    return (sums / count).T


def synsp_network(window: int) -> tuple[torch.nn.Module, int, int]:
    """The shipped SynSP's architecture at ``window`` frames, with its channel counts."""
    from synsp.models.checkpoint import load_model
    from synsp.models.synsp import SynSP, SynSPConfig
    from synsp.refiners import shipped_models

    model, card = load_model(shipped_models()["synsp-h36m17-3d-w8"])
    if window != card.window:
        model = SynSP(SynSPConfig(**{**card.config, "window": window})).eval()
    return model, model.config.channels, model.config.mask_channels


def timed(fn, repeats: int) -> float:
    """Median wall time of ``repeats`` calls after one warm-up, in seconds."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=5000, help="number of windows N")
    parser.add_argument("--channels", type=int, default=51, help="C = J*D (51 = 17 joints x 3)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 32], help="window lengths W")
    parser.add_argument("--quick", action="store_true", help="N=500 and fewer repeats (smoke run)")
    args = parser.parse_args(argv)
    n = 500 if args.quick else args.windows
    repeats = 3 if args.quick else 20
    torch.manual_seed(0)
    print(f"# SWAA timing: N={n} windows, C={args.channels}, float32, "
          f"{torch.get_num_threads()} torch threads, {platform.processor() or platform.machine()}, "
          f"Python {sys.version.split()[0]}, torch {torch.__version__}")
    print(f"# reproduce: {COMMAND}{' --quick' if args.quick else ''}")
    print()
    print("| W | loop (ms) | conv2d (ms) | synsp (ms) | synsp speed-up vs loop | vs conv2d "
          "| SynSP network (ms) | SWAA share of refinement |")
    print("|---|---|---|---|---|---|---|---|")
    for window in args.sizes:
        windows_t = torch.randn(n, window, args.channels)
        windows_np = windows_t.numpy()
        reference = loop_average(windows_t)
        np.testing.assert_allclose(average_windows(windows_np), reference.numpy(), atol=1e-5)
        t_loop = timed(lambda: loop_average(windows_t), max(1, repeats // 10))
        t_conv = timed(lambda: conv2d_average(windows_t), repeats)
        t_ours = timed(lambda: average_windows(windows_np), repeats)
        net, channels, mask_channels = synsp_network(window)
        net_in, net_mask = torch.randn(n, window, channels), torch.zeros(n, window, mask_channels)
        with torch.no_grad():
            t_net = timed(lambda: net(net_in, mask=net_mask), max(1, repeats // 10))
        share = t_ours / (t_ours + t_net)
        print(f"| {window} | {1e3 * t_loop:.1f} | {1e3 * t_conv:.2f} | {1e3 * t_ours:.3f} "
              f"| {t_loop / t_ours:.0f}x | {t_conv / t_ours:.1f}x | {1e3 * t_net:.0f} | {100 * share:.2f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
