"""Training windows: real motion, augmented, seen through a camera, with simulated estimator errors.

:class:`WindowDataset` turns clips of ground-truth motion into the pairs a
refiner learns from: ``gt`` and ``input`` (what an estimator would have output)
windows of ``W`` frames, for one view ``(W, C)`` or P views ``(P, W, C)``
(``C = J * D``), plus the per-joint ``mask`` and ``confidence`` ``(W, J)`` /
``(P, W, J)``.  Everything is float32; positions stay in metres (3D) or pixels
(2D), un-normalised: normalisation belongs to the model wrapper.

Sampling
--------
One sample per window start: item ``i`` is the ``i``-th of all
``(clip, start)`` pairs, ``start`` in ``0 .. T - W`` of every clip at least
``W`` frames long, so an epoch in random order is uniform over all of them.
With ``windows_per_epoch=n`` an epoch is instead ``n`` independent uniform
draws of such pairs (seeded by ``(seed, epoch, index)``).

Errors and augmentation are drawn afresh every epoch: item ``i`` of epoch
``e`` depends on ``(seed, e, i)`` only, never on the order of access or on
the worker that loads it.  Call :meth:`WindowDataset.set_epoch` before each
epoch (before creating the DataLoader iterator, so that worker processes
copy the new epoch).

Chunks (how a sample is made, and why it is cheap)
--------------------------------------------------
Each clip is cut into chunks of :data:`CHUNK_S` = 10 s of window starts.  The
first time an epoch needs a window of a chunk, the whole chunk plus
:data:`CONTEXT_S` = 1 s of context on each side (clipped to the clip) is
prepared in one go and cached until the epoch changes:

1. speed change: the chunk is resampled at ``speed`` x (0.8-1.25, linear
   interpolation; capped so that the clip still holds one window), before
   windowing; with ``Augmentation.fast`` = p, a share p of the chunks is
   played 1.25-3 x faster instead (log-uniform: sports and acrobatics);
   the window of start ``s`` begins at the resampled frame nearest to ``s``
   (at speed 1.25 a few neighbouring starts share a window);
2. mirror (probability 0.5): world x negated and left/right joints swapped
   (:meth:`~synsp.skeletons.Skeleton.mirror`); never for a skeleton without
   left/right pairs (a custom one whose names tell no sides), whose mirror
   image would be a body of the other handedness under the same labels;
3. scale 0.8-1.2 about the chunk's mean root;
4. view: ``"3d"``: any rotation (uniform on SO(3)) about the mean root, since
   users' frames can be anything; the errors are stretched along a random
   camera's viewing direction (rotated with the world).  ``"3d-camera"``: the
   coordinates of a :func:`~synsp.data.cameras.random_camera` (x right, y down,
   z forward); ``"2d"``: its pixels.  The camera's yaw, pitch and roll are the
   rotation augmentation there;
5. errors: :func:`synsp.noise.simulate` with a preset (one drawn per chunk
   when several are given), independently per view, over the whole chunk, so
   that the slow drift and bursts of a window look as they do inside a long
   sequence, not as a fresh start at every window;
   With ``Augmentation.low_rate`` = p, a share p of the chunks is captured at a lower rate (the dataset's fps
   over a factor drawn in ``low_rate_factor``, 10-24 fps for 30 fps clips): the errors are simulated at that
   rate on the motion at those moments, and the input is brought back to the dataset's rate through the cubic
   spline with which a refiner brings such input to its network's rate
   (:func:`synsp.timeseries.to_higher_rate`), scores and misses from the nearest captured frame; the truth too is
   the spline through the true captured moments (a refiner's output is read back at those moments only), so a
   clean pair has nothing to correct: a network learns that jitter turned smooth by the spline is error (without
   it, input below 20 fps kept its jitter);
6. ``input``: NaN entries (lost joints) filled by linear interpolation in time
   (held at the ends); ``mask`` = simulated miss or confidence < 0.3.

Windows of one chunk therefore share their augmentation and one error
realisation within an epoch, as the windows of a real sequence do.

Cost (one epoch in random order over the 179,309 training windows of the
full corpus, h36m17, W = 8, ``3dpw-spin-like``, one process on a shared
2-core machine): ``"single"`` 40 us per window amortised (3D; 36 us in 2D),
``"multiview"`` (P = 4) ~160 us, ``"random"`` ~110 us, ``"similar"`` with
simulated companions 0.5-0.9 ms in the first epoch and ~0.2 ms later (its
neighbour search is cached across epochs), with bank companions ~0.3 ms more
per window (one search per item, since the noisy query changes every epoch).  Simulating every window on its own with 1 s of context would cost
0.7-1.6 ms per window for the simulator alone.  The cache holds about 0.5 kB
per frame and view (h36m17, 3D): ~100 MB per view for the full corpus.

Modes
-----
* ``"single"``: ``(W, C)``.
* ``"multiview"``: one motion seen by ``views`` cameras, synchronised, each
  with its own errors, ``(P, W, C)``.  ``"3d"``: all views in the shared world
  frame (recommended for a multi-view model, see :mod:`synsp.data.cameras`);
  ``"3d-camera"``: each view in its own camera frame (the paper's Human3.6M
  setting); ``"2d"``: each view's pixels.
* ``"random"``: view 0 is the item's window, views 1.. are uniform random
  windows of other takes (seed supplementary 2.7, "random combination"), each
  with its own augmentation and errors.
* ``"similar"``: views 1.. are drawn among the ``4 (views - 1)`` nearest
  windows of other takes in a :class:`~synsp.data.pose_bank.PoseBank` of
  ``bank_size`` windows of the clips.  What the companions are is
  ``companions``:

  - ``"bank"`` (the default in 3D): exactly what similar-pose grouping feeds
    the network at inference (:class:`synsp.grouping.SimilarPoseRefiner`,
    seed supplementary 2.7): the bank is searched with view 0's *noisy* input
    window (all the refiner has), mirror images included, and the companions
    are the *clean* bank windows themselves (input = gt, nothing masked,
    confidence 1), moved rigidly onto view 0's noisy input.  A bank shipped
    with a model holds clean training windows, so a model trained on
    simulated companions would meet clean ones at inference;
  - ``"simulated"`` (the only choice in 2D, whose pixels cannot be searched
    in a 3D bank): found by the clean pose of the item's window, each
    companion with its own augmentation and simulated errors, moved onto
    view 0's ground truth (rigid in 3D, similarity in 2D), gt and input
    alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from ..geometry import quaternion_to_matrix
from ..error_families import ErrorFamily, get_family, is_family, simulate_family
from ..missing import interpolate_missing
from ..noise import ErrorModel, get_preset, simulate
from ..noise_floor import noise_floor
from ..skeletons import get_skeleton
from ..timeseries import resample, to_higher_rate
from ..validation import SynspInputError
from .cameras import project, random_camera, to_camera
from .pose_bank import PoseBank, align_to, clip_arrays

__all__ = ["CHUNK_S", "COMPANIONS", "CONTEXT_S", "MASK_CONFIDENCE", "MODES", "REPRESENTATIONS", "Augmentation",
           "Chunk", "WindowDataset", "random_rotation"]

MODES = ("single", "multiview", "random", "similar")
REPRESENTATIONS = ("3d", "3d-camera", "2d")
COMPANIONS = ("bank", "simulated")
CHUNK_S = 10.0
"""Seconds of window starts prepared (augmented, viewed, simulated) together."""
CONTEXT_S = 1.0
"""Seconds of motion simulated before and after a chunk's windows."""
MASK_CONFIDENCE = 0.3
"""Joints whose simulated confidence is below this are masked."""


@dataclass(frozen=True)
class Augmentation:
    """Random changes applied per chunk, see the module docstring.

    ``rotation``: any rotation of the world (``"3d"`` only; camera
    representations take their rotation from the camera); ``mirror``:
    probability of a left/right mirror; ``scale``, ``speed``: uniform ranges.
    """

    rotation: bool = True
    mirror: float = 0.5
    scale: tuple[float, float] = (0.8, 1.2)
    speed: tuple[float, float] = (0.8, 1.25)
    fast: float = 0.0  # probability that a chunk is played log-uniformly faster, in fast_speed
    fast_speed: tuple[float, float] = (1.25, 3.0)
    low_rate: float = 0.0  # probability that a chunk is captured at a lower rate, see the module docstring (5.)
    low_rate_factor: tuple[float, float] = (1.25, 3.0)  # the dataset's fps over the capture rate (30 fps: 10-24)

    def __post_init__(self) -> None:
        if not 0.0 <= self.mirror <= 1.0:
            raise SynspInputError(f"Augmentation.mirror is {self.mirror!r}; expected a probability in [0, 1]")
        for name in ("fast", "low_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise SynspInputError(f"Augmentation.{name} is {getattr(self, name)!r}; "
                                      "expected a probability in [0, 1]")
        if self.low_rate_factor[0] < 1.0:
            raise SynspInputError(f"Augmentation.low_rate_factor is {self.low_rate_factor!r}; "
                                  "expected 1 <= low <= high")
        for name in ("scale", "speed", "fast_speed", "low_rate_factor"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise SynspInputError(f"Augmentation.{name} is {(lo, hi)!r}; expected 0 < low <= high")

    @classmethod
    def none(cls) -> "Augmentation":
        """No augmentation (the clips as they are)."""
        return cls(rotation=False, mirror=0.0, scale=(1.0, 1.0), speed=(1.0, 1.0))


@dataclass
class Chunk:
    """One prepared chunk: resampled frame ``k`` is source time ``a0 + k * speed``."""

    a0: float
    speed: float
    gt: np.ndarray  # (n, P or 1, J, D) float32
    input: np.ndarray  # (n, P, J, D) float32
    confidence: np.ndarray  # (n, P, J) float32
    mask: np.ndarray  # (n, P, J) bool
    mirrored: bool = False  # the chunk was mirrored by the augmentation
    floor: np.ndarray | None = None  # (n, P) the input's jitter floor per frame (synsp.noise_floor; positions)


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """Uniform on SO(3): a normalised Gaussian quaternion."""
    return quaternion_to_matrix(rng.standard_normal(4))


class WindowDataset(torch.utils.data.Dataset):
    """Windows of ground truth and simulated estimator output, see the module docstring.

    Args:
        clips: :class:`~synsp.data.corpus.Clip` objects (their ``fps`` must
            equal ``fps``; views of other takes are drawn by ``take``) or
            ``(T, J, 3)`` arrays in metres, world frame, y up.
        window: ``W`` frames per window; clips shorter than that are skipped.
        skeleton: the clips' skeleton (name or object).
        fps: frame rate of the clips.
        preset: a :data:`synsp.noise.PRESETS` name or
            :class:`~synsp.noise.ErrorModel`, or an error family
            (:data:`synsp.error_families.FAMILIES`, e.g. ``"mixed"``: a level
            and shape drawn per segment, clean segments included), or a list
            of them (one drawn per chunk).  Pixel presets for ``"2d"``, metre presets otherwise;
            ``None``: ``"hrnet-like"`` for ``"2d"``, ``"3dpw-spin-like"``
            otherwise.
        mode: ``"single"``, ``"multiview"``, ``"random"`` or ``"similar"``.
        views: ``P`` for every mode but ``"single"`` (at least 2).
        representation: ``"3d"`` (world frame), ``"3d-camera"`` or ``"2d"``.
        seed: base seed; item ``i`` of epoch ``e`` depends on ``(seed, e, i)``.
        augment: ``True`` (the default :class:`Augmentation`), ``False``
            (none) or an :class:`Augmentation`.
        windows_per_epoch: ``None`` (every window once) or a number of
            uniform random draws per epoch.
        bank_size: windows in the pose bank of ``"similar"`` mode.
        companions: ``"similar"`` mode's companions, ``"bank"`` (clean bank
            windows found by the noisy input, as at inference) or
            ``"simulated"`` (with their own simulated errors); ``None``:
            ``"bank"`` in 3D, ``"simulated"`` in 2D.  See the module docstring.
        floors: ``"single"`` and ``"multiview"`` mode: items also carry ``floor`` (below), for a universal
            model built with ``noise_cue`` (each chunk's floor costs about as much as its windows' other
            preparation, so only when asked).

    Items are dicts of float32 tensors ``gt``, ``input`` ``(W, C)`` / ``(P, W, C)``
    and ``mask``, ``confidence`` ``(W, J)`` / ``(P, W, J)``; with ``floors`` also ``floor`` ``()`` /
    ``(P,)``: each view's jitter floor (:func:`synsp.noise_floor.noise_floor` of its input over the chunk)
    averaged over the window's frames, in the input's units.
    """

    def __init__(
        self,
        clips: Sequence[Any],
        window: int = 8,
        skeleton: Any = "h36m17",
        fps: float = 30.0,
        preset: str | ErrorModel | Sequence[str | ErrorModel] | None = None,
        mode: str = "single",
        views: int = 4,
        representation: str = "3d",
        seed: int = 0,
        augment: bool | Augmentation = True,
        windows_per_epoch: int | None = None,
        bank_size: int = 20000,
        companions: str | None = None,
        floors: bool = False,
    ) -> None:
        if mode not in MODES:
            raise SynspInputError(f"mode is {mode!r}; expected one of {MODES}")
        if floors and mode not in ("single", "multiview"):
            raise SynspInputError(f"floors=True is for 'single' and 'multiview' windows, not mode {mode!r}")
        if representation not in REPRESENTATIONS:
            raise SynspInputError(f"representation is {representation!r}; expected one of {REPRESENTATIONS}")
        if int(window) != window or window < 1:
            raise SynspInputError(f"window is {window!r}; expected a positive number of frames")
        if mode != "single" and (int(views) != views or views < 2):
            raise SynspInputError(f"views is {views!r}; mode {mode!r} needs an integer >= 2")
        if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
            raise SynspInputError(f"fps is {fps!r}; expected a positive frame rate")
        if windows_per_epoch is not None and (int(windows_per_epoch) != windows_per_epoch or windows_per_epoch < 1):
            raise SynspInputError(f"windows_per_epoch is {windows_per_epoch!r}; expected None or a positive integer")
        self.window, self.fps, self.mode, self.representation = int(window), float(fps), mode, representation
        self.views = int(views) if mode != "single" else 1
        self.seed = int(seed)
        self.skeleton = get_skeleton(skeleton)
        if not isinstance(augment, Augmentation):
            augment = Augmentation() if augment else Augmentation.none()
        self.augment = augment
        self.windows_per_epoch = None if windows_per_epoch is None else int(windows_per_epoch)
        self.presets = self._resolve_presets(preset)

        for i, c in enumerate(clips):
            if hasattr(c, "fps") and abs(float(c.fps) - self.fps) > 1e-6:
                raise SynspInputError(f"clips[{i}] is at {c.fps} fps but fps={fps}; resample it or pass its rate")
        arrays, labels = clip_arrays(clips)
        for i, a in enumerate(arrays):
            if a.shape[1:] != (self.skeleton.num_joints, 3):
                raise SynspInputError(
                    f"clips[{i}] has shape {a.shape}; expected (T, {self.skeleton.num_joints}, 3) "
                    f"world positions on skeleton {self.skeleton.name!r}"
                )
        keep = [i for i, a in enumerate(arrays) if a.shape[0] >= self.window]
        if not keep:
            longest = max(a.shape[0] for a in arrays)
            raise SynspInputError(
                f"window is {self.window} frames but the longest clip has {longest}; use a shorter window"
            )
        self._clips = [arrays[i] for i in keep]
        self._labels = labels[keep]
        starts = np.array([a.shape[0] - self.window + 1 for a in self._clips])
        self._offsets = np.concatenate([[0], np.cumsum(starts)]).astype(np.int64)
        self._chunk_starts = max(1, int(round(CHUNK_S * self.fps)))
        self._context = int(round(CONTEXT_S * self.fps))
        if companions is None:
            companions = "simulated" if representation == "2d" else "bank"
        if companions not in COMPANIONS:
            raise SynspInputError(f"companions is {companions!r}; expected one of {COMPANIONS}")
        if mode == "similar" and companions == "bank" and representation == "2d":
            raise SynspInputError("companions='bank' needs a 3D representation (the bank holds 3D windows); "
                                  "use companions='simulated' in 2D")
        self.companions = companions
        self.floors = bool(floors)
        self.bank = None
        if mode == "similar":
            self.bank = PoseBank.from_clips(self._clips, self.window, bank_size, self.skeleton, self.seed)
            self.bank.labels = self._labels[self.bank.sources[:, 0]]  # by take: a query never finds its own
        self._epoch = 0
        self._cache: dict[tuple[int, int], Chunk] = {}
        self._pools: dict[tuple[int, int], np.ndarray] = {}

    def _resolve_presets(self, preset: Any) -> list[ErrorModel]:
        if preset is None:
            preset = "hrnet-like" if self.representation == "2d" else "3dpw-spin-like"
        names = [preset] if isinstance(preset, (str, ErrorModel)) else list(preset)
        if not names:
            raise SynspInputError("preset is an empty list; name at least one noise preset")
        models = [get_family(p) if is_family(p) else get_preset(p) for p in names]
        unit = "px" if self.representation == "2d" else "m"
        wrong = [m.name for m in models if isinstance(m, ErrorModel) and m.unit != unit]
        if wrong:
            kind = "2D pixel presets (e.g. 'hrnet-like')" if unit == "px" else "3D metre presets (e.g. 'vibe-like')"
            raise SynspInputError(f"representation {self.representation!r} needs {kind}; got {wrong}")
        return models

    # ---- epochs and indices -------------------------------------------------------------

    @property
    def epoch(self) -> int:
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        """Draw the errors and augmentation of epoch ``epoch`` (clears the chunk cache)."""
        if int(epoch) != epoch or epoch < 0:
            raise SynspInputError(f"epoch is {epoch!r}; expected an integer >= 0")
        if int(epoch) != self._epoch:
            self._epoch = int(epoch)
            self._cache.clear()

    @property
    def num_windows(self) -> int:
        """Number of (clip, start) pairs."""
        return int(self._offsets[-1])

    def __len__(self) -> int:
        return self.windows_per_epoch if self.windows_per_epoch is not None else self.num_windows

    def _pair(self, flat: int) -> tuple[int, int]:
        clip = int(np.searchsorted(self._offsets, flat, side="right") - 1)
        return clip, int(flat - self._offsets[clip])

    def locate(self, index: int) -> tuple[int, int]:
        """``(clip, start)`` of item ``index`` in the current epoch (clip: index among kept clips)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} windows")
        index %= len(self)
        if self.windows_per_epoch is None:
            return self._pair(index)
        rng = np.random.default_rng([self.seed, self._epoch, 1, index])
        return self._pair(int(rng.integers(self.num_windows)))

    # ---- chunks -------------------------------------------------------------------------

    def _chunk(self, clip: int, c: int) -> Chunk:
        key = (clip, c)
        if key not in self._cache:
            self._cache[key] = self._make_chunk(clip, c)
        return self._cache[key]

    def _chunk_times(self, rng: np.random.Generator, clip: int, c: int) -> tuple[float, float, np.ndarray]:
        """Step 1 of a chunk: ``(a0, speed, times)``, the fractional source frames it is resampled at."""
        T, W = self._clips[clip].shape[0], self.window
        speed = rng.uniform(*self.augment.speed)
        if self.augment.fast > 0 and rng.random() < self.augment.fast:  # sports-like speed (no draw when off)
            lo, hi = self.augment.fast_speed
            speed = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        if W > 1:
            speed = min(speed, (T - 1) / (W - 1))
        first = c * self._chunk_starts
        last = min((c + 1) * self._chunk_starts, T - W + 1) - 1
        a0 = first - speed * min(self._context, math.floor(first / speed))
        a0 = max(0.0, min(a0, T - 1 - (W - 1) * speed))
        n = min(math.floor((T - 1 - a0) / speed + 1e-9) + 1, math.ceil((last - a0) / speed) + W + self._context)
        return a0, speed, a0 + speed * np.arange(n)

    def _make_chunk(self, clip: int, c: int) -> Chunk:
        rng = np.random.default_rng([self.seed, self._epoch, 0, clip, c])
        aug, sk = self.augment, self.skeleton
        a0, speed, times = self._chunk_times(rng, clip, c)
        n = len(times)
        frames = resample(self._clips[clip], times)  # (n, J, 3)
        mirrored = bool(rng.random() < aug.mirror and sk.left_right)  # no pairs (a custom skeleton): no mirror
        if mirrored:
            frames = sk.mirror(frames, axis=0)
        root = sk.root_position(frames).mean(0)
        frames = root + rng.uniform(*aug.scale) * (frames - root)
        lo, hi = frames.min(axis=(0, 1)), frames.max(axis=(0, 1))
        center = (lo + hi) / 2.0
        radius = float(np.linalg.norm(frames - center, axis=-1).max())
        cams = [random_camera(rng, center, radius=radius) for _ in range(self.views if self.mode == "multiview" else 1)]
        if self.representation == "3d":
            R = random_rotation(rng) if aug.rotation else np.eye(3)
            gt = (root + (frames - root) @ R.T)[:, None]  # (n, 1, J, 3), shared by the views
            depth = np.stack([R @ cam.viewing_direction for cam in cams])
            views = np.broadcast_to(gt, (n, len(cams)) + gt.shape[2:])
        elif self.representation == "3d-camera":
            gt = views = np.stack([to_camera(frames, cam) for cam in cams], axis=1)
            depth = 2
        else:
            gt = views = np.stack([project(frames, cam)[0] for cam in cams], axis=1)
            depth = None
        preset = self.presets[int(rng.integers(len(self.presets)))]
        seed = int(rng.integers(2**63 - 1))
        # a capture below the dataset's rate (no draw when off): every factor-th moment is seen, with its errors
        factor = rng.uniform(*aug.low_rate_factor) if aug.low_rate > 0 and rng.random() < aug.low_rate else 1.0
        # captured moments, the chunk's first and last among them, at most the drawn rate and within the range
        m = int(math.floor((n - 1) / factor)) + 1
        seen = np.linspace(0.0, n - 1, m) if factor > 1.0 and m >= 4 and (m - 1) * aug.low_rate_factor[1] >= n - 1 \
            else None
        captured = views if seen is None else resample(np.asarray(views), seen)
        fps = self.fps * ((m - 1) / (n - 1) if seen is not None else 1.0)
        if isinstance(preset, ErrorFamily):
            sim = simulate_family(captured, preset, skeleton=sk, fps=fps, seed=seed, depth_axis=depth)
        else:
            sim = simulate(captured, preset, skeleton=sk, fps=fps, seed=seed, depth_axis=depth)
        # a joint lost for the whole chunk gets its view's joint mean: finite input, hidden by the mask
        filled = interpolate_missing(sim.pred, never="joint-mean")[0]
        confidence, mask = sim.confidence, sim.missing | (sim.confidence < MASK_CONFIDENCE)
        if seen is not None:  # back at the dataset's rate through the spline a refiner brings such input up with
            at = np.arange(n) * (m - 1) / (n - 1)  # (both ends matched, as a refiner's frame grid)
            filled = to_higher_rate(filled, n, times=at)
            # and the truth likewise: between the captured moments nothing tells the motion, so the target is the
            # spline through the true ones (a clean pair is then equal: only the error differs)
            gt = to_higher_rate(resample(np.asarray(gt), seen), n, times=at)
            nearest = np.minimum(np.rint(at).astype(np.int64), len(seen) - 1)
            confidence, mask = confidence[nearest], mask[nearest]
        return Chunk(
            a0=a0,
            speed=speed,
            gt=gt.astype(np.float32),
            input=filled.astype(np.float32),
            confidence=confidence.astype(np.float32),
            mask=mask,
            mirrored=mirrored,
            floor=noise_floor(filled, self.fps).astype(np.float32) if self.floors else None,
        )

    def _frames(self, ch: Chunk, start: int) -> slice:
        """The frames of chunk ``ch`` that the window of start ``start`` holds."""
        k = min(max(int(round((start - ch.a0) / ch.speed)), 0), ch.input.shape[0] - self.window)
        return slice(k, k + self.window)

    def _views(
        self, clip: int, start: int, mirrored: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """gt, input ``(P, W, J, D)``, confidence, mask ``(P, W, J)`` of one window's chunk views.

        ``mirrored``: the mirror image (a companion found as a bank mirror entry).
        """
        ch = self._chunk(clip, start // self._chunk_starts)
        sl = self._frames(ch, start)
        gt = np.swapaxes(np.broadcast_to(ch.gt[sl], ch.input[sl].shape), 0, 1)
        inp, conf, mask = (np.swapaxes(a[sl], 0, 1) for a in (ch.input, ch.confidence, ch.mask))
        if mirrored:
            flip = list(self.skeleton.flip_permutation)
            gt, inp = self.skeleton.mirror(gt, axis=0), self.skeleton.mirror(inp, axis=0)
            conf, mask = conf[..., flip], mask[..., flip]
        return gt, inp, conf, mask

    def _companions(self, index: int, clip: int, start: int) -> list[tuple[int, int, bool]]:
        """``(clip, start, mirrored)`` of the other views of item ``index``."""
        rng = np.random.default_rng([self.seed, self._epoch, 2, index])
        count = self.views - 1
        if self.mode == "random":
            picks = []
            for _ in range(count):
                for _attempt in range(8):  # prefer another take; accept any window after 8 tries
                    pair = self._pair(int(rng.integers(self.num_windows)))
                    if self._labels[pair[0]] != self._labels[clip]:
                        break
                picks.append(pair + (False,))
            return picks
        pool = self._neighbours(clip, start)
        chosen = pool[np.sort(rng.permutation(pool.size)[:count])]
        M = len(self.bank)
        return [(int(self.bank.sources[i % M, 0]), int(self.bank.sources[i % M, 1]), bool(i >= M)) for i in chosen]

    def _neighbours(self, clip: int, start: int) -> np.ndarray:
        """Bank indices of the ``4 (views - 1)`` windows of other takes nearest to a clean window.

        Searched for all starts of the window's chunk at once (batched, several
        times cheaper per window) and cached for the dataset's life: they
        depend on the clip alone, not on the epoch.
        """
        c, size = divmod(start, self._chunk_starts)
        if (clip, c) not in self._pools:
            x = self._clips[clip]
            first = c * self._chunk_starts
            stop = min(first + self._chunk_starts, x.shape[0] - self.window + 1)
            frames = first + np.arange(stop - first)[:, None] + np.arange(self.window)  # (n, W)
            exclude, pool = self._search(clip)
            self._pools[(clip, c)] = self.bank.nearest(x[frames], pool, exclude=exclude)[1]
        return self._pools[(clip, c)][size]

    def _search(self, clip: int) -> tuple[Any, int]:
        """``(exclude, pool)`` of a companion search for a window of ``clip``: the ``4 (views - 1)``
        nearest entries of other takes, or of any take when the bank holds too few of those."""
        label = self._labels[clip]
        others = 2 * int((self.bank.labels != label).sum())
        exclude = label if others >= self.views - 1 else None
        return exclude, min(4 * (self.views - 1), others if exclude is not None else 2 * len(self.bank))

    def _bank_group(self, index: int, clip: int, gt: np.ndarray, inp: np.ndarray, conf: np.ndarray,
                    mask: np.ndarray) -> tuple[np.ndarray, ...]:
        """View 0 and ``views - 1`` clean bank companions, as similar-pose grouping builds them at inference.

        Searched with view 0's noisy (filled) input among the windows of other
        takes, drawn among the ``4 (views - 1)`` nearest entries (mirror images
        included), moved rigidly onto that input; input = gt, confidence 1,
        nothing masked.
        """
        rng = np.random.default_rng([self.seed, self._epoch, 2, index])
        count, query = self.views - 1, inp[0].astype(np.float64)  # (W, J, D)
        exclude, pool = self._search(clip)
        _, _, comp = self.bank.companions(query, count, pool=pool, exclude=exclude,
                                          choose=lambda entry: np.sort(rng.permutation(pool)[:count])[None])
        comp = comp[0]  # (count, W, J, D)
        return (np.concatenate([gt, comp]), np.concatenate([inp, comp]),
                np.concatenate([conf, np.ones(comp.shape[:-1], dtype=conf.dtype)]),
                np.concatenate([mask, np.zeros(comp.shape[:-1], dtype=bool)]))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        clip, start = self.locate(index)
        gt, inp, conf, mask = self._views(clip, start)
        if self.mode == "similar" and self.companions == "bank":
            gt, inp, conf, mask = self._bank_group(index, clip, gt, inp, conf, mask)
        elif self.mode in ("random", "similar"):
            companions = self._companions(index, clip, start)
            if self.mode == "similar":  # the bank matched unaugmented windows: undo each chunk's own mirroring
                own = self._chunk(clip, start // self._chunk_starts).mirrored
                companions = [(c, s, m ^ own ^ self._chunk(c, s // self._chunk_starts).mirrored)
                              for c, s, m in companions]
            parts = [(gt, inp, conf, mask)] + [self._views(c, s, m) for c, s, m in companions]
            gt, inp, conf, mask = (np.concatenate(p, axis=0) for p in zip(*parts))
            if self.mode == "similar":
                gt, inp = gt.astype(np.float64), inp.astype(np.float64)
                gt[1:], inp[1:] = align_to(gt[1:], gt[:1], inp[1:])
        P, W, J, D = inp.shape
        item = {
            "gt": torch.tensor(np.reshape(gt, (P, W, J * D)), dtype=torch.float32),
            "input": torch.tensor(np.reshape(inp, (P, W, J * D)), dtype=torch.float32),
            "mask": torch.tensor(mask, dtype=torch.float32),
            "confidence": torch.tensor(conf, dtype=torch.float32),
        }
        if self.floors:  # each view's jitter floor over the seconds around the window
            ch = self._chunk(clip, start // self._chunk_starts)
            item["floor"] = torch.tensor(ch.floor[self._frames(ch, start)].mean(axis=0), dtype=torch.float32)
        if self.mode == "single":
            item = {k: v[0] for k, v in item.items()}
        return item
