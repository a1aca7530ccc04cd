"""Test data and independent reference implementations for the OpenMMLab adapter tests.

The references are written from the peers' documented behaviour with scipy and
numpy directly; they share no code with :mod:`synsp.adapters`.
"""

import math

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import medfilt, savgol_filter

# MMPose 0.x's configs/_base_/filters/*.py settings, as config-file text
MMPOSE_FILTER_CONFIGS = {
    "gaussian.py": "filter_cfg = dict(type='GaussianFilter', window_size=11, sigma=4.0)\n",
    "one_euro.py": "filter_cfg = dict(type='OneEuroFilter', min_cutoff=0.004, beta=0.7)\n",
    "savizky_golay.py": "filter_cfg = dict(type='SavizkyGolayFilter', window_size=11, polyorder=2)\n",
    **{f"smoothnet_t{w}_h36m.py": (f"filter_cfg = dict(type='SmoothNetFilter', window_size={w}, output_size={w}, "
                                   f"checkpoint='smoothnet_ws{w}_h36m.pth', hidden_size=512, res_hidden_size=256, "
                                   "num_blocks=3, root_index=0)\n") for w in (8, 16, 32, 64)},
}

GAUSSIAN_CFG = {"type": "GaussianFilter", "window_size": 11, "sigma": 4.0}

# the SmoothNet windows synsp ships (of the peers' 8, 16, 32, 64), and windows with no shipped weights
SHIPPED_SMOOTHNET_WINDOWS = (8, 16, 32, 64)
UNSHIPPED_SMOOTHNET_WINDOWS = (12,)


def write_configs(folder, configs):
    """Write ``{file name: text}`` into ``folder``; returns the folder as a string."""
    for name, text in configs.items():
        (folder / name).write_text(text)
    return str(folder)


def jitter(x):
    """Mean |second difference| over time."""
    return float(np.abs(np.diff(np.asarray(x, dtype=np.float64), n=2, axis=0)).mean())


def walk(T, shape, step, noise, seed, offset=100.0):
    """A smooth random walk plus white jitter, ``(T, *shape)``."""
    rng = np.random.default_rng(seed)
    smooth = np.cumsum(np.cumsum(rng.normal(0, step, (T, *shape)), 0), 0) / T
    return smooth + rng.normal(0, noise, (T, *shape)) + offset


def frames_of(poses, ids=None):
    """MMPose results ``list[list[dict]]`` from poses ``(T, P, K, C)`` (``ids``: a track_id per person)."""
    out = []
    for t in range(poses.shape[0]):
        frame = []
        for p in range(poses.shape[1]):
            result = {"keypoints": poses[t, p].copy(), "bbox": np.array([t, p, 10.0, 20.0])}
            if ids is not None:
                result["track_id"] = ids[p]
            frame.append(result)
        out.append(frame)
    return out


def keypoints_of(frame, key="keypoints"):
    return np.stack([r[key] for r in frame])


# ---- MMPose 0.x filters -------------------------------------------------------------------------


def mmpose_gaussian(x, window=11, sigma=4.0):
    """MMPose's GaussianFilter: pad a short sequence at its start with its first frame, medfilt over time
    (zero-padded), gaussian_filter1d over time, the last T frames; scipy on the input's own dtype."""
    T = x.shape[0]
    if T < window:
        x = np.pad(x, [(window - T, 0), (0, 0), (0, 0)], mode="edge")
    return gaussian_filter1d(medfilt(x, (window, 1, 1)), sigma, axis=0)[-T:]


def mmpose_savgol(x, window=11, polyorder=2):
    """MMPose's SavizkyGolayFilter: start-padded like the Gaussian, scipy's savgol_filter over time."""
    T = x.shape[0]
    if T < window:
        x = np.pad(x, [(window - T, 0), (0, 0), (0, 0)], mode="edge")
    return savgol_filter(x, window, polyorder, axis=0)[-T:]


def one_euro(x, min_cutoff, beta, d_cutoff=1.0, state=None):
    """The One-Euro recursion with t_e = 1 frame over ``x`` ``(T, ...)`` (float64); the first frame of a new
    track passes through.  ``state``: a dict continued across calls (x_hat, dx_hat)."""
    state = {} if state is None else state

    def alpha(cutoff):
        r = 2 * math.pi * cutoff
        return r / (r + 1)

    out = np.empty(x.shape, dtype=np.float64)
    for t, frame in enumerate(np.asarray(x, dtype=np.float64)):
        if "x_hat" not in state:
            state["x_hat"], state["dx_hat"] = frame.copy(), np.zeros_like(frame)
        else:
            dx = alpha(d_cutoff) * (frame - state["x_hat"]) + (1 - alpha(d_cutoff)) * state["dx_hat"]
            a = alpha(min_cutoff + beta * np.abs(dx))
            state["x_hat"], state["dx_hat"] = a * frame + (1 - a) * state["x_hat"], dx
        out[t] = state["x_hat"]
    return out


def mmpose_history_calls(calls, filt, window):
    """MMPose's Smoother for one track over successive calls: each call's frames ``(T, K, C)`` are
    prepended with the last ``window - 1`` raw frames of the previous call (its own prepended frames
    included), filtered, and the last T frames returned."""
    kept, outs = None, []
    for seq in calls:
        full = seq if kept is None else np.concatenate([kept, seq])
        outs.append(filt(full)[-len(seq):])
        kept = full[-(window - 1):] if window > 1 else None
    return outs


# ---- MMHuman3D filters --------------------------------------------------------------------------


def mmhuman3d_gaus1d(x, window=11, sigma=4):
    """MMHuman3D's gaus1d: medfilt(param, window) of every (K, T) slice (a 2D median, zero-padded),
    then gaussian_filter1d over time of every (K, T) slice."""
    w = window - 1 if window % 2 == 0 else window
    w = min(w, x.shape[0])
    med = np.array([medfilt(param, w) for param in x.T]).T
    return np.array([gaussian_filter1d(traj, sigma) for traj in med.T]).T


def mmhuman3d_savgol(x, window=11, polyorder=2):
    """MMHuman3D's savgol: odd window, at most T (even allowed), polyorder below the window, per channel."""
    w = window - 1 if window % 2 == 0 else window
    w = min(w, x.shape[0])
    p = w - 1 if w <= polyorder else polyorder
    out = np.zeros_like(x)
    for c in range(x.shape[-1]):
        out[..., c] = savgol_filter(x[..., c], w, p, axis=0)
    return out


def time_median_gaussian(x, window=11, sigma=4.0):
    """The time-only median (zero-padded) then Gaussian over time, on a sequence at least ``window`` long."""
    return gaussian_filter1d(medfilt(x, (window,) + (1,) * (x.ndim - 1)), sigma, axis=0)


def is_rotation(m, atol=1e-5):
    m = np.asarray(m, dtype=np.float64).reshape(-1, 3, 3)
    return (np.allclose(m @ m.transpose(0, 2, 1), np.eye(3), atol=atol)
            and np.allclose(np.linalg.det(m), 1.0, atol=atol))


# ---- left/right inversions ----------------------------------------------------------------------

# COCO-17 keypoints of a person standing, in pixels (left side at negative x)
COCO17_STANDING = np.array([[0, -160], [-10, -170], [10, -170], [-20, -165], [20, -165], [-40, -120], [40, -120],
                            [-50, -70], [50, -70], [-55, -20], [55, -20], [-25, 0], [25, 0], [-28, 60], [28, 60],
                            [-30, 120], [30, 120]], dtype=np.float64)
COCO17_LIMB_PAIRS = [(5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)]  # arms and legs, left then right


def coco17_walk(T, seed, jitter=1.0):
    """A COCO-17 person walking right with swinging arms and legs, ``(T, 17, 2)`` pixels plus white jitter."""
    rng = np.random.default_rng(seed)
    t = np.arange(T, dtype=np.float64)
    x = np.repeat(COCO17_STANDING[None], T, axis=0)
    swing = 15 * np.sin(2 * np.pi * t / 30)
    for left, right in [(7, 8), (9, 10), (13, 14), (15, 16)]:
        x[:, left, 0] += swing
        x[:, right, 0] -= swing
    x += np.stack([300 + 2 * t, 200 + 5 * np.sin(t / 10)], axis=-1)[:, None]
    return x + rng.normal(0, jitter, x.shape)


def invert_limbs(x, frames, pairs=COCO17_LIMB_PAIRS):
    """``x`` ``(T, K, ...)`` with the left and right joints of ``pairs`` exchanged in ``frames`` (a slice)."""
    out = np.array(x, copy=True)
    for left, right in pairs:
        out[frames, left], out[frames, right] = x[frames, right], x[frames, left]
    return out
