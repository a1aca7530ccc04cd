"""SWAA and sliding windows: exact against a plain loop, for every N, W and step."""

import numpy as np
import pytest
import torch

from synsp.validation import SynspInputError
from synsp.windows import average_windows, sliding_windows, window_starts


def loop_average(windows, starts, length):
    """Reference SWAA: for each frame, the mean over all windows containing it."""
    out = np.zeros((length,) + windows.shape[2:])
    count = np.zeros(length)
    for i, s in enumerate(starts):
        for b in range(windows.shape[1]):
            if s + b < length:
                out[s + b] += windows[i, b]
                count[s + b] += 1
    return out / count.reshape((-1,) + (1,) * (out.ndim - 1))


def test_average_matches_loop_for_all_n_w_step():
    rng = np.random.default_rng(0)
    for window in range(1, 17):
        for step in range(1, window + 1):
            for n in range(1, 41):
                length = (n - 1) * step + window
                windows = rng.normal(size=(n, window, 3))
                got = average_windows(windows, step=step)
                want = loop_average(windows, window_starts(length, window, step), length)
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("length", [1, 2, 5, 7, 8, 9, 10, 23, 64])
@pytest.mark.parametrize("window,step", [(1, 1), (4, 3), (8, 1), (8, 3), (8, 8), (16, 5)])
def test_windows_then_average_reconstructs_sequence(length, window, step):
    seq = np.random.default_rng(length).normal(size=(length, 5, 3))
    windows = sliding_windows(seq, window, step)
    assert windows.shape[1:] == (window, 5, 3)
    starts = window_starts(length, window, step)
    assert len(windows) == len(starts)
    covered = np.zeros(length, bool)
    for s in starts:
        covered[s : s + window] = True
    assert covered.all(), "every frame lies in a window"
    np.testing.assert_allclose(average_windows(windows, step, length=length), seq, atol=1e-12)


def test_end_aligned_last_window_matches_loop():
    # T - W = 11 is not a multiple of step 3: one extra window starts at T - W.
    length, window, step = 19, 8, 3
    assert window_starts(length, window, step).tolist() == [0, 3, 6, 9, 11]
    windows = np.random.default_rng(1).normal(size=(5, window, 2))
    got = average_windows(windows, step, length=length)
    np.testing.assert_allclose(got, loop_average(windows, [0, 3, 6, 9, 11], length), atol=1e-12)


def test_short_sequence_is_edge_padded_and_cropped_back():
    seq = np.arange(6.0).reshape(3, 2)
    windows = sliding_windows(seq, 8)
    assert windows.shape == (1, 8, 2)
    np.testing.assert_array_equal(windows[0, 3:], np.repeat(seq[-1:], 5, axis=0))
    np.testing.assert_array_equal(average_windows(windows, length=3), seq)


def test_torch_matches_numpy_and_keeps_dtype():
    windows = np.random.default_rng(2).normal(size=(30, 8, 17, 3)).astype(np.float32)
    got_np = average_windows(windows)
    got_t = average_windows(torch.from_numpy(windows))
    assert isinstance(got_t, torch.Tensor) and got_t.dtype == torch.float32
    assert got_np.dtype == np.float32 and got_np.shape == (37, 17, 3)
    np.testing.assert_allclose(got_t.numpy(), got_np, atol=1e-6)
    seq_t = torch.randn(20, 4)
    np.testing.assert_allclose(
        sliding_windows(seq_t, 8, 3).numpy(), sliding_windows(seq_t.numpy(), 8, 3)
    )


def test_gradient_flows_through_average():
    windows = torch.randn(12, 8, 6, requires_grad=True)
    average_windows(windows).sum().backward()
    assert windows.grad is not None and torch.isfinite(windows.grad).all()
    # a frame covered by k windows passes 1/k of the gradient to each of them
    assert windows.grad[0, 0, 0].item() == pytest.approx(1.0)
    assert windows.grad[7, 0, 0].item() == pytest.approx(1 / 8)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():
    windows = torch.randn(50, 8, 51)
    np.testing.assert_allclose(
        average_windows(windows.cuda()).cpu().numpy(), average_windows(windows).numpy(), atol=1e-5
    )


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(SynspInputError, match="step"):
        sliding_windows(np.zeros((10, 3)), 4, step=5)
    with pytest.raises(SynspInputError, match="window"):
        sliding_windows(np.zeros((10, 3)), 0)
    with pytest.raises(SynspInputError, match="empty|T >= 1"):
        sliding_windows(np.zeros((0, 3)), 4)
    with pytest.raises(SynspInputError, match="do not tile"):
        average_windows(np.zeros((5, 8, 3)), step=1, length=30)
    with pytest.raises(SynspInputError, match="N >= 1"):
        average_windows(np.zeros((0, 8, 3)))


def test_accumulator_in_batches_equals_average_windows():
    from synsp.windows import WindowAccumulator

    rng = np.random.default_rng(3)
    for length, window, step in [(50, 8, 1), (3, 8, 1), (19, 8, 3), (64, 32, 5)]:
        seq_windows = rng.normal(size=(len(window_starts(length, window, step)), window, 4, 3))
        starts = window_starts(length, window, step)
        acc = WindowAccumulator(length, (4, 3))
        for chunk in np.array_split(np.arange(len(starts)), 3):
            if len(chunk):
                acc.add(seq_windows[chunk], starts[chunk])
        want = average_windows(seq_windows, step, length=length)
        np.testing.assert_allclose(acc.result(), want, atol=1e-12)
    with pytest.raises(SynspInputError, match="covered by no window"):
        WindowAccumulator(10, (2,)).result()
    # the sums are divided in place (no second copy of an hour-long sequence): a second look is refused, not
    # silently the average divided again
    with pytest.raises(SynspInputError, match="already taken"):
        acc.result()
    with pytest.raises(SynspInputError, match="already taken"):
        acc.add(seq_windows[:1], starts[:1])
