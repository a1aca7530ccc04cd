"""Online refinement with any method: push frames as they come, get refined frames after a fixed delay.

``Stream(method)`` takes any refiner by name or object -- a window network, a classical filter, the
rotation network, a network on a larger skeleton -- and drives its online form
(:meth:`synsp.filters.base.Refiner.online`: per track state, frames in, refined frames out), so the
track handling below is the same for every method.  The **delay** is the method's own look-ahead
(``stream.delay``; :class:`synsp.filters.base.Refiner` documents it per kind):

* a window network of ``W`` frames: **W - 1 frames** (7 frames, 233 ms at 30 fps, for W = 8).  Each
  track keeps its last ``W`` input frames and the partial window averages of the frames not yet final;
  every pushed frame completes one window, refined at once, and the oldest pending frame, covered by
  every window it will ever be in, is returned;
* a causal filter (``one-euro``, ``one-euro-mmpose``, ``kalman``): **0 frames**, the filter stepped
  once per frame;
* a filter with a bounded look-ahead: ``savgol`` 15 frames, ``savgol-mmpose`` 5, ``gaussian`` 30 (the
  end of its 31-frame block), ``gaussian-mmpose`` 21 (its median's half window and its kernel's radius);
* a filter whose every output frame depends on the whole sequence (``butterworth``, ``kalman-rts``) has
  no online form with a bounded delay: ``Stream("butterworth")`` raises :class:`SynspInputError`
  naming online alternatives (a causal filter, a bounded look-ahead, a window network, or
  ``causal=True``).

``Stream(method, causal=True)`` has **zero delay** for any method: each pushed frame is returned at once.
A causal filter is what it is; a window network gives the last frame of the refined window ending at
the frame (the frames before a track's first are made up, :func:`synsp.missing.carried_start`), equal to
``NetworkRefiner(..., causal=True)`` offline -- the shipped models were trained on whole windows, so their last frame is less
accurate than the averaged output (see the README); any other filter gives the last frame of the filter
run over the track's last ``window`` frames, which is what MMPose 0.x's ``Smoother`` does online with
every filter (the Kalman smoother: its forward filter).  A user of MMPose's ``Smoother`` gets its
behaviour from ``causal=True`` (the MMPose adapter, :mod:`synsp.adapters.mmpose`, streams that way);
the default gives the method's offline result after its delay instead.

``flush()`` returns the frames still pending of every track (averaged over the windows that exist, as
offline refinement does at a sequence's end; a filter's end as offline).  The output equals offline
:func:`synsp.refine` of the whole track frame for frame when no joint is missing and the stream runs at
the model's frame rate (with the left/right repair, where its delay settles the labels; below), except
where a body turns jerkily as a whole: offline, the universal models smooth that over the whole track
after the network (:func:`synsp.root_jitter.smooth_rigid_jitter`), a stream does not (offline with
``get_refiner(name, smooth_rigid=False)`` is what it gives; a window at every frame, whatever the card's stride); so do
the causal filters and the filters with a bounded look-ahead (Savitzky-Golay from its ``delay``-th frame
on: offline fits a track's first frames with the frames after them).  ``fps``: the frames' rate (a
network runs on a stream's frames as they are, at its own rate or below it down to a third of it, as offline,
:meth:`synsp.refiners.NetworkRefiner.runs_at`; another rate raises, naming what to do; filters in Hz or seconds
use it; default 30).

**Many people, frame times, absences.**  ``step({track_id: frame, ...})``
pushes one frame time for every person detected in it and refines all the
windows that became complete in **one batched network forward** (a push
refines a batch of one); it returns ``{track_id: frames}``.  A stream fed
with frame times (``step``, or ``push(..., time=t)`` with ``t`` the frame
index) applies the offline rule of :func:`synsp.api.refine_pose_file`:

* a track absent for at most ``max_gap`` frames (default: half a second at
  the stream's frame rate, 15 frames at 30 fps, as offline) goes on: the absent
  frames are missing joints inside the windows (carried on, then filled as offline
  when the track comes back within the delay) and are not returned;
* a track absent for more than ``max_gap`` frames is **ended**: its pending
  frames are returned (equal to offline refinement of the part that ended)
  and its state is freed; when the id comes back, a new track starts (equal
  to offline refinement of the new part; a part shorter than the window is
  refined as one padded window, as :func:`synsp.refine` does, where
  ``refine_pose_file`` leaves it raw).  The stream ends a vanished track
  as soon as it knows the absence is longer than ``max_gap``: at the first
  ``step`` at least ``max_gap + 1`` frames after the track's last frame, or
  the first ``push`` at least ``max_gap + 2`` frames after it (a push at
  time ``t`` cannot know whether the track will still come at ``t``).

How frames come back: every returned list is a :class:`Frames`, a plain
``list`` of refined frames, oldest first, with ``.times`` (their frame
times).  ``push`` returns the frames of its own track (the pending frames of
a part it ended first, when the track comes back after a long absence) and,
in ``.ended``, ``{other_track_id: Frames}`` for the other tracks it ended;
``step`` returns one dict holding both (an entry for every id it was given
and for every track it ended); ``flush`` returns ``{track_id: Frames}`` and
frees every track (or one).  Frames are returned once: a track ended by a
push is gone from ``stream.tracks`` and from later flushes.  Times are
integers that never go back: ``step`` uses the next frame time unless
``time=`` is given; ``push(time=t)`` needs ``t`` at least the latest time
seen and above the track's last one.

A stream pushed **without** times (``push(frame, track_id)``, the original
API) cannot see absences: every frame follows its track's previous one, a
track is never ended by the stream and is kept until ``flush(track_id)``
(``Frames.times`` count the track's frames).  A stream takes times or no
times, not both.

Missing joints (NaN, inf, absurd coordinates, a joint absurdly far from its own body
(:func:`synsp.validation.stray_joints`), or confidence below
``min_confidence``) hold their last observed value while they are missing in a
filter's stream (a Kalman filter does not measure them); a window network's carry
their last velocity on, decaying (:class:`synsp.missing.CarriedFill`: as offline
fills a track's ends and a zero-delay refiner its gaps).  A window network (not causal) fills a
gap again as offline once its joint is seen again, with the curve of short gaps,
and refines the windows holding it again (:class:`synsp.refiners.WindowOnline`):
a gap that closes within the delay comes out as offline fills it (clean
test-split motion with 8-frame gaps: the filled joints 13.7 mm from the truth
with ``synsp-universal-w16``, held 87.4, carried without the second fill 51.4; benchmarks/missing_frames.py, and
benchmarks/stream_latency.py ``--missing`` for the cost).  Frames before a track's first observed joint
are dropped (nothing to hold).  A joint not observed yet in its track (since
its start, or its last cut) comes out **NaN**: the refiner's input holds a first guess for
it there (the mean of the joints observed in the track's first frame, or its
first frame's value carried), which keeps the windows whole but is no data.
Offline refinement returns NaN for a joint never given in a part and fills a
joint missing at a part's start from its first observation; what the stream
gives out depends on whether that observation came before the frame comes out:
a window network (with ``refill``) and a filter with a look-ahead (Savitzky-Golay,
the Gaussians) fill the frames they still hold from it (a network as offline; a
filter with its first value, where offline carries the motion back from it: 8 cm
apart on clean motion), so there a joint first observed within the delay keeps
that fill and a frame that comes out before it is NaN; a causal filter, a zero-delay stream and a window network
with ``refill=False`` fill nothing back, so there a frame before the joint's
first observation is NaN.  Where a joint is observed from a part's first frame
on, nothing changes (the equality with offline above).  A track keeps the joint count of its first
frame (a filter takes any; a network its skeleton's).

``Stream(model, skeleton="mediapipe33")`` streams a larger skeleton that
contains the model's joints (MediaPipe-33, BODY_25, WholeBody-133 for the
COCO-17 model): those joints go through the network; every other joint
follows its nearest refined joint with its offset from it smoothed online
(exponential smoothing, 2 Hz cut-off at the model's rate), as
:class:`synsp.refiners.SubsetRefiner` does offline (its online form).  For a
filter, ``skeleton`` names the frames' joints (for the repair).

``Stream("synsp-smpl24-rot-w8")`` streams SMPL rotations: frames are ``(24, 3)``
axis-angles, refined as 6D vectors (the windows averaged on them, as offline)
and returned as axis-angles.  Offline, a rotation network then smooths a global orientation that jitters
on its own (:mod:`synsp.root_jitter`, a smoother over the whole track); a stream does not, so there
the two differ where that stage acts.

**Identity swaps online.**  ``identities=True`` repairs a tracker's ids where two
people exchanged them (crossing, overlapping, one hidden for a moment): every
``step`` gives each detection its person before anything else
(:class:`synsp.identity.OnlineIdentities`, the rules of the offline repair of a
pose file's tracks, decided from the frames before it: no delay), and the ids
returned (and in ``stream.tracks``) are persons, the track id each was first
detected under; ``Frames.sources`` names, for each frame, the tracker's id of the detection it was refined
from (to find its box again).  Only with ``step`` (every person of a frame time at once; a
``push`` sees one).  On simulated crossings it gives back every exchanged
person-frame, as offline (``benchmarks/stream_identities.py``).

**Left/right repair online.**  ``repair=True`` repairs left/right inversions of
arms, legs and head before refining (:class:`synsp.repair.OnlineRepair`, the
model of :func:`synsp.repair.repair_inversions`), for a model whose skeleton
has left/right pairs (the larger ``skeleton`` when given: hands and feet
follow their limb; for a filter or a model of any joint set, such as the
default ``synsp-universal-w8``, the ``skeleton`` given); not for SMPL
rotations.  It is off by default, unlike the offline refinement, because it adds a second of delay and, per person,
unbatched work (100 people: about twice the time per frame): a stream's
default stays the model's delay.  Each frame is
held ``repair_delay`` frames (default one second at the stream's frame rate:
30 frames at 30 fps) and given to the refiner with its labels in the best
labelling of the track up to then, so **the delay is the method's plus
repair_delay frames** (W - 1 + 30 = 37 frames, 1.23 s at 30 fps, for the
default; ``stream.delay``; ``model_delay`` and ``repair_delay`` apart).
That is for live analysis, broadcast, coaching and
dashboards, which accept a second or two; interactive uses (games, AR) keep
the default ``repair=False`` (or a causal model) and take the inversions as they come.
The frames come out relabelled (the confidences with them) and equal to
offline refinement with repair where the delay settles each frame's labels
as the whole track does: an inversion that ends within the delay, or a
longer one whose start alone is clear evidence.  A longer inversion can be
left for a while before its end comes into view; one at a track's start is
repaired when the delay covers about twice its length, else left (and some
frames after it can be relabelled instead).  The jitter unit the costs use is
measured on the track so far (the first ``repair_delay + 1`` frames, then a
running median), not on the whole track.  ``stream.relabelled`` is
``{track_id: {group: frames}}`` of the frames given out relabelled, as the
summary of :func:`synsp.api.refine_pose_file`.  Memory: ``repair_delay``
frames per track, plus 3.2 KB per limb group; cost: see ``benchmarks/stream_latency.py
--repair both``.

**Cuts online.**  Where a track's joints jump at one frame to another shot, place or person, offline
refinement refines each side alone (:mod:`synsp.cuts`); a stream with a delay does the same (``cuts``, on by
default for joint positions): the part before is ended (its frames given out as at a track's end) and a new
part begins, so the output still equals offline refinement.  Telling a cut from fast motion needs the steps
after the jump (0.15 s, at least 3 frames), so at a jump that may be a cut, and only there, the frames are
held that long before the refiner takes them: they come out up to 5 frames (at 30 fps) later than the stream's
delay.  A zero-delay stream (``causal=True``) and rotations do not cut.  Cost: about 0.06 ms per frame and
track (``benchmarks/stream_latency.py --cuts both``).

Bad arguments (a frame or confidence of the wrong shape, axis-angles in degrees, an
unhashable or unknown track id, a time that goes back) raise
:class:`synsp.validation.SynspInputError` with a one-line message and leave
the stream as it was.
"""

from __future__ import annotations

import numbers
import reprlib
import warnings
from collections import OrderedDict, deque
from collections.abc import Mapping
from typing import Any, Hashable

import numpy as np

from .api import repair_skeleton
from .cuts import OnlineCuts
from .filters.online import LookAheadOnline
from .identity import OnlineIdentities
from .missing import CONFIDENCE_SCALE_WARNING
from .refiners import Refiner, WindowOnline, for_skeleton, get_refiner, shipped_path
from .repair import OnlineRepair, decided_pairs, hand_exchanges, limb_groups, relabel
from .rotations import RotationNetwork, refines_rotations
from .skeletons import NOT_BODIES, SKELETONS
from .validation import (ABSURD_COORDINATE, STRAY_MIN_JOINTS, SynspInputError, check_radians, float_dtype, is_torch,
                         stray_joints, to_numpy)

__all__ = ["Stream", "Frames", "DEFAULT_STREAM_MODEL", "NOT_BODY_STREAM_FILTER"]

#: what ``Stream()`` refines with: any body joint set in 2D or 3D, 7 frames of delay, no harm to clean input
DEFAULT_STREAM_MODEL = "synsp-universal-w8"
#: the default for a hand or a face alone (skeleton hand21 / face68: no model was trained or measured on them,
#: as offline, where synsp.api.choose_model gives them Butterworth, which has no online form): 5 frames of delay
NOT_BODY_STREAM_FILTER = "savgol-mmpose"
#: in a track's frames for the refiner: a new part begins after a cut (synsp.cuts)
_CUT = object()


class Frames(list):
    """Refined frames of one track, oldest first: a ``list`` of arrays, with ``times`` (the frame time
    of each), ``sources`` (the track id each frame was given under: with ``identities=True`` the tracker's id
    of the detection, which may differ from the person's id the frames are returned under) and ``ended``
    (from :meth:`Stream.push`: ``{track_id: Frames}`` of the other tracks the push ended; empty otherwise)."""

    def __init__(self, frames=(), times=(), sources=()):
        super().__init__(frames)
        self.times: list[int] = list(times)
        self.sources: list[Hashable] = list(sources)
        self.ended: dict[Hashable, Frames] = {}


class _Track:
    """One track: the refiner's online state, the times of the frames it took and has not given back yet,
    and the left/right repair in front of it."""

    __slots__ = ("state", "pending", "shape", "dtype", "taken", "last_time", "repair", "cuts", "confident", "sources",
                 "seen")

    def __init__(self, state: Any, shape: tuple[int, int], dtype: np.dtype) -> None:
        self.state = state  # the online refiner's state of this track
        self.dtype = dtype  # of its output frames: its first frame's float dtype, as offline (validation.float_dtype)
        self.pending: deque = deque()  # (time, real, seen) of every frame taken and not given out (real: pushed;
        # seen: the joints observed in the part up to it)
        self.shape = shape  # (J, D) of its frames
        self.taken = False  # the refiner took a frame: absences are held from then on
        self.last_time = -1  # time of the last frame pushed (taken or not)
        self.repair = None  # OnlineRepair: the frames waiting for their left/right labels (before the refiner)
        self.cuts = None  # OnlineCuts: the frames held at a jump that may be a cut (after the repair)
        self.confident = np.zeros(shape[0], dtype=bool)  # the joints observed (confidently) so far
        self.sources: dict[int, Hashable] = {}  # time -> the track id its frame was given under, until it comes out
        # the joints the refiner has taken observed in this part of the track (since its start or its last cut):
        # the others come out NaN (their values are the refiner's first guess, no data)
        self.seen = np.zeros(shape[0], dtype=bool)

    def trusted(self, x: np.ndarray, missing: np.ndarray, conf: np.ndarray | None) -> np.ndarray:
        """``missing`` without the joints that have real coordinates and were never observed confidently on
        this track yet: they are used as observed (as offline uses a joint below the score threshold in every
        frame: else it could only be made up), until a confident frame of theirs (then a low score is a miss).
        Not real: NaN, inf or absurd, a detector's "not found" (0, 0, ...) or a score of 0 (a NaN score is no score,
        as offline: a joint with one in every frame was dropped with its frames)."""
        self.confident |= ~missing
        with np.errstate(invalid="ignore"):
            real = (np.abs(x) <= ABSURD_COORDINATE).all(-1) & (x != 0).any(-1)
            if conf is not None:
                real &= ~(conf <= 0)
        return missing & (self.confident | ~real)


def _id(track_id: Any) -> str:
    return reprlib.repr(track_id)


class Stream:
    """Per-track online refinement with any method (see the module docstring)."""

    def __init__(self, model: Any = None, min_confidence: float = 0.3,
                 causal: bool | None = None, skeleton: str | None = None, max_gap: int | None = None,
                 repair: bool | None = None, repair_delay: int | None = None, fps: float | None = None,
                 visibility: bool = False, identities: bool = False, cuts: bool | None = None,
                 rotations: bool | None = None, refill: bool = True):
        """``model``: a method name (a filter, a shipped model, a checkpoint; see
        :func:`synsp.refiners.get_refiner`) or a refiner object; the default (None), ``synsp-universal-w8``,
        takes any body joint set in 2D or 3D with 7 frames of delay and does no harm to clean input (+0.15 mm
        on the test split; ``docs/results.md``, "Online latency"); for ``skeleton`` ``hand21`` or ``face68``
        (a hand or a face alone, which no model was trained on) it is the ``savgol-mmpose`` filter (5 frames
        of delay; offline they get Butterworth).  ``causal=None`` follows the method (its
        own delay; a network's card says whether it was trained with ``--causal``), ``True`` gives zero
        delay; ``skeleton``: frames of a larger skeleton containing the model's joints (for a filter: the
        frames' skeleton, for the repair); ``max_gap``: the longest absence (in frames) inside a track of a
        stream fed with frame times, default half a second at the stream's frame rate; ``repair``:
        left/right inversion repair online (default off: ``True`` for a skeleton with left/right pairs;
        never for rotations), deciding each frame ``repair_delay`` frames after it came (default one second
        at the stream's frame rate, 30 frames at 30 fps); ``fps``: the frames' rate (default the model's,
        30 for a filter); ``visibility``: the pushed scores are MediaPipe's visibility (the likelihood that a
        landmark is not occluded): the repair weighs them and a low one marks no joint missing, as ``synsp
        refine`` reads a MediaPipe file; ``identities``: the tracker's ids repaired where two people exchanged
        them (:class:`synsp.identity.OnlineIdentities`, no delay; only with :meth:`step`, every person of a frame
        time at once): the ids returned are persons, the track id each was first detected in; ``cuts``: where a
        track jumps to another shot, place or person, the part before is ended and a new one begins, as
        offline (:class:`synsp.cuts.OnlineCuts`; default on for joint positions with a delay, off for zero
        delay and rotations); ``rotations``: the frames are axis-angle joint rotations ``(J, 3)``, refined by a
        rotation network (default: True for a model trained on rotations, ``synsp-universal-w16-rot`` or
        ``synsp-smpl24-rot-w8``; pass False to stream joint positions through the first, which takes both);
        ``refill``: a window network fills a gap again, as offline, once its joint is seen again, and refines the
        windows holding it again (:class:`synsp.refiners.WindowOnline`; where joints keep flickering, about 5
        windows a frame instead of 1: 5.6 ms a frame instead of 3.1 for the default); False: a missing joint only
        carries its last velocity on (the cheaper, less accurate stream; before 2026-12-06 it held its last value);
        see the module docstring."""
        if causal is not None and not isinstance(causal, bool):
            raise SynspInputError(f"causal is {causal!r}; expected True or False (None: the method's own delay)")
        if not isinstance(visibility, bool):
            raise SynspInputError(f"visibility is {visibility!r}; expected True or False")
        if isinstance(min_confidence, bool) or not isinstance(min_confidence, numbers.Real) \
                or not 0 <= min_confidence <= 1:  # NaN fails too
            raise SynspInputError(f"min_confidence is {min_confidence!r}; expected a score from 0 to 1 (a score below "
                                  "it marks a joint missing; default 0.3)")
        if model is None:
            model = shipped_path(NOT_BODY_STREAM_FILTER if skeleton in NOT_BODIES else DEFAULT_STREAM_MODEL)
        refiner = model if isinstance(model, Refiner) else get_refiner(model)
        refiner = self._for_rotations(refiner, rotations)
        if max_gap is not None and (isinstance(max_gap, bool) or not isinstance(max_gap, numbers.Integral)
                                    or max_gap < 0):
            raise SynspInputError(f"max_gap is {max_gap!r}; expected a whole number of frames >= 0 (or None)")
        self.refiner = for_skeleton(refiner, skeleton)
        self.online = self.refiner.online(causal=causal, fps=fps)
        if not isinstance(refill, bool):
            raise SynspInputError(f"refill is {refill!r}; expected True or False")
        forms = [self.online]  # the online form and those inside it (a subset's or rotations' form wraps another)
        while getattr(forms[-1], "inner", None) is not None:
            forms.append(forms[-1].inner)
        windows = next((f for f in forms if isinstance(f, WindowOnline)), None)
        if windows is not None and not refill:
            windows.refill = 0
        # an online form that fills a joint's pending frames back from its first observation, as offline fills a
        # track's start: a joint first seen within the delay keeps those fills (the module docstring, "Missing joints")
        self._fills_back = windows is not None and windows.refill > 0 or isinstance(forms[-1], LookAheadOnline)
        self.card = getattr(self.refiner, "card", None)
        self.window = self.refiner.window
        self.model_delay = self.online.delay
        self.causal = self.model_delay == 0
        self.rotations = self.online.rotations  # axis-angles in and out
        self.fps = self.online.fps
        self.min_confidence = float(min_confidence)
        self.visibility = visibility
        self._scale_warned = False  # the warning of scores on a 0-100 scale is given (once per stream)
        self.max_gap = int(round(0.5 * self.fps)) if max_gap is None else int(max_gap)
        self.tracks: dict[Hashable, _Track] = {}
        self.time = -1  # the latest frame time seen (streams fed with times)
        self._timed: bool | None = None  # fed with frame times (step / push(time=)), without, or not yet
        self._seen: OrderedDict[Hashable, int] = OrderedDict()  # track -> last time, oldest first
        self._joints = self.online.joints
        if self._joints is None and skeleton in SKELETONS:
            self._joints = SKELETONS[skeleton].num_joints
        self._skeleton = self.online.skeleton or skeleton
        self._setup_repair(repair, repair_delay)
        if not isinstance(identities, bool):
            raise SynspInputError(f"identities is {identities!r}; expected True or False")
        self.identities = OnlineIdentities() if identities else None
        if cuts is not None and not isinstance(cuts, bool):
            raise SynspInputError(f"cuts is {cuts!r}; expected True or False (None: on where it can be)")
        if cuts and (self.causal or self.rotations):
            raise SynspInputError("cuts=True needs a stream with a delay on joint positions: "
                                  + ("rotations are not cut (offline neither)" if self.rotations else
                                     "a cut is known a few frames after the jump, which a zero-delay stream has "
                                     "given out already")
                                  + "; pass cuts=False (or leave it None)")
        self.cuts = not (self.causal or self.rotations) if cuts is None else cuts
        # the frames' skeleton, whose left/right pairs tell an inversion from a cut (else found as offline)
        self._cut_skeleton = SKELETONS.get(self._skeleton) if isinstance(self._skeleton, str) else None
        self.delay = self.model_delay + self.repair_delay  # frames from a push to its refined frame
        self.relabelled: dict[Hashable, dict[str, int]] = {}  # track -> {group: frames given out relabelled}

    @staticmethod
    def _for_rotations(refiner: Refiner, rotations: Any) -> Refiner:
        """``refiner`` for axis-angle frames when ``rotations`` (None: when it was trained on rotations): a
        network that takes 6D rotations beside positions (the universal model trained with rotations) wrapped
        in :class:`synsp.rotations.RotationNetwork`, as offline refinement of rotations does."""
        if rotations is not None and not isinstance(rotations, bool):
            raise SynspInputError(f"rotations is {rotations!r}; expected True, False or None")
        wrapped = isinstance(refiner, RotationNetwork)
        takes = wrapped or refines_rotations(refiner)
        if rotations is None:
            rotations = takes
        if rotations and not takes:
            raise SynspInputError(
                f"rotations=True, but {getattr(refiner, 'name', refiner)!r} refines joint positions; stream "
                "axis-angle rotations with a rotation network (synsp-universal-w16-rot or synsp-smpl24-rot-w8)")
        if not rotations and wrapped:
            raise SynspInputError(f"{refiner.name!r} refines rotations only (axis-angle frames); leave rotations "
                                  "out, or stream joint positions with a position model")
        return RotationNetwork(refiner) if rotations and not wrapped else refiner

    def _setup_repair(self, repair: Any, repair_delay: Any) -> None:
        """The skeleton whose left/right pairs the online repair uses (None: no repair) and its delay."""
        name = self._skeleton
        sk = None if self.rotations or name not in SKELETONS else SKELETONS[name]
        if sk is not None and (self._joints is not None and sk.num_joints != self._joints or not limb_groups(sk)):
            sk = None
        if repair is not None and not isinstance(repair, bool):
            raise SynspInputError(f"repair is {repair!r}; expected True or False (None: off)")
        if repair and sk is None:
            why = ("SMPL rotations are not repaired" if self.rotations else
                   f"skeleton {name!r} has no left/right pairs to repair" if name is not None else
                   "the frames' skeleton is unknown (pass skeleton=...)")
            raise SynspInputError(f"repair=True but {why}; pass repair=False (or leave it None)")
        self._repair_skeleton = sk if repair else None
        if repair_delay is None:
            repair_delay = int(round(self.fps))
        elif isinstance(repair_delay, bool) or not isinstance(repair_delay, numbers.Integral) or repair_delay < 0:
            raise SynspInputError(f"repair_delay is {repair_delay!r}; expected a whole number of frames >= 0 "
                                  "(or None: one second)")
        self.repair = self._repair_skeleton is not None
        self.repair_delay = int(repair_delay) if self.repair else 0
        self.repair_groups = tuple(decided_pairs(sk)) if self.repair else ()

    # ------------------------------------------------------------------ public API

    def push(self, frame: Any, track_id: Hashable = 0, confidence: Any = None, time: int | None = None) -> Frames:
        """Add one frame ``(J, D)`` of a track (``confidence``: ``(J,)`` scores or one number; ``time``:
        its frame index, for the gap rule); returns the frames of this track that became final (0 or 1,
        more when held absent frames or an ended part come due), their ended-track companions in
        ``.ended`` (see the module docstring)."""
        if self.identities is not None:
            raise SynspInputError("a stream with identities=True takes every person of a frame time at once: use "
                                  "stream.step({track_id: frame, ...}) instead of push")
        entry = self._entry(track_id, frame, confidence)
        now = self._check_time(time, [entry], step=False)
        out = self._advance([entry], now, step=False)
        mine = out.pop(entry[0], Frames())
        mine.ended = out
        return mine

    def step(self, frames: Mapping, confidences: Mapping | None = None,
             time: int | None = None) -> dict[Hashable, Frames]:
        """One frame time: ``frames`` ``{track_id: (J, D) frame}`` of every person detected in it
        (``confidences`` ``{track_id: (J,) scores}`` for some or all), the windows of all tracks refined
        in one batched forward; tracks not in ``frames`` are absent at this time.  ``time``: the frame
        time (default: the one after the latest).  Returns ``{track_id: Frames}`` for every id given and
        every track ended (the pending frames of a track absent for more than ``max_gap`` frames); with
        ``identities=True`` the ids are persons (the module docstring)."""
        if not isinstance(frames, Mapping):
            raise SynspInputError(f"frames is a {type(frames).__name__}; expected a dict {{track_id: (J, D) frame}}")
        if confidences is None:
            confidences = {}
        elif not isinstance(confidences, Mapping):
            raise SynspInputError(f"confidences is a {type(confidences).__name__}; expected a dict "
                                  "{track_id: (J,) scores} or None")
        stray = [k for k in confidences if k not in frames]
        if stray:
            raise SynspInputError(f"confidences has track id {_id(stray[0])} that frames lacks; give a "
                                  "confidence only with its track's frame")
        entries = [self._entry(tid, f, confidences.get(tid)) for tid, f in frames.items()]
        if self.identities is not None:  # who is who: each detection under its person's id (a new time each step)
            now = self._check_time(time, [], step=True)
            person = self.identities.assign(now, {e[0]: np.where(e[2][:, None], np.nan, e[1]) for e in entries})
            sources = {person[e[0]]: e[0] for e in entries}
            entries = [(person[tid], *rest) for tid, *rest in entries]
            now = self._check_time(time, entries, step=True)
            return self._advance(entries, now, step=True, sources=sources)
        now = self._check_time(time, entries, step=True)
        return self._advance(entries, now, step=True)

    def flush(self, track_id: Hashable | None = None) -> dict[Hashable, Frames]:
        """End tracks (all, or one): their remaining frames, oldest first."""
        if track_id is None:
            ids = list(self.tracks)
        else:
            self._check_id(track_id)
            if track_id not in self.tracks:
                why = (f" (ended after more than {self.max_gap} absent frames: its frames came back then)"
                       if self._timed else "")
                raise SynspInputError(f"track_id {_id(track_id)} is not in the stream: never pushed, already "
                                      f"flushed{why}; stream.tracks holds the live ones")
            ids = [track_id]
        out = {tid: Frames() for tid in ids}
        self._run([self._end(tid) for tid in ids], [], out)
        return out

    # ------------------------------------------------------------------ validation

    @staticmethod
    def _check_id(track_id: Any) -> None:
        try:
            hash(track_id)
        except TypeError:
            raise SynspInputError(f"track_id {_id(track_id)} is a {type(track_id).__name__}, which cannot be a "
                                  "dict key; use an int or a str") from None

    def _entry(self, track_id: Any, frame: Any, confidence: Any) -> tuple:
        """Checked ``(track_id, x (J, D), missing (J,), confidence (J,) or None, the frame's float dtype)``."""
        self._check_id(track_id)
        if frame is None:
            raise SynspInputError(
                f"frame of track {_id(track_id)} is None; for a person not detected at a frame time skip the frame "
                "(in a stream fed with time=, the next push's time or a step without its id marks the absence) or "
                "push a (J, D) frame of NaN (every joint missing, held)")
        x = _numbers(frame, f"frame of track {_id(track_id)}")
        if x.ndim == 2 and x.shape[0] == 0:
            raise SynspInputError(f"frame of track {_id(track_id)} has shape {x.shape}: no joints")
        track = self.tracks.get(track_id)
        joints = self._joints or (track.shape[0] if track is not None else x.shape[0] if x.ndim == 2 else -1)
        dims = self.online.dims if track is None else (track.shape[1],)
        if x.ndim != 2 or x.shape[0] != joints or x.shape[1] not in dims:
            d = " or ".join(map(str, dims))
            expected = f"({joints}, {d})" if joints > 0 else f"(J, {d})"
            what = " axis-angle rotations" if self.rotations else ""
            raise SynspInputError(f"frame has shape {x.shape}; expected {expected}{what} (track {_id(track_id)})")
        # axis-angles in degrees, read as radians, would be refined as other rotations: refused as offline (checked
        # only where a vector is longer than pi, which the refusal needs: 4 us a frame instead of 30)
        if self.rotations and ((x * x).sum(-1) > np.pi ** 2).any():
            check_radians(x, f"frame of track {_id(track_id)}")
        conf = None
        if confidence is not None:
            try:
                conf = _numbers(confidence, f"confidence of track {_id(track_id)}")
            except SynspInputError as exc:
                raise SynspInputError(f"{exc}; expected ({joints},) scores or one number") from None
            if conf.shape not in ((), (joints,)):
                raise SynspInputError(f"confidence of track {_id(track_id)} has shape {conf.shape}; expected "
                                      f"({joints},) scores (one per joint of the frame) or one number")
            conf = np.broadcast_to(conf, (joints,))
        return track_id, x, self._missing(x, conf), conf, float_dtype(frame)

    def _missing(self, x: np.ndarray, conf: np.ndarray | None) -> np.ndarray:
        """The missing joints of a frame: NaN, inf or absurd coordinates, or a score below ``min_confidence``."""
        with np.errstate(invalid="ignore"):  # inf or absurd coordinates are lost joints, as offline
            missing = ~(np.abs(x) <= ABSURD_COORDINATE).all(-1)
        if conf is not None and not self.visibility:
            missing |= ~(conf >= self.min_confidence)
        return missing

    def _check_time(self, time: Any, entries: list, step: bool) -> int | None:
        """The frame time of this push/step (None: a push without times), checked."""
        timed = step or time is not None
        if self._timed is not None and timed != self._timed:
            raise SynspInputError(
                "this stream was fed with frame times (step or push(time=...)); pass time= to every push"
                if self._timed else
                "this stream was pushed without frame times; a stream takes times (step, push(time=...)) "
                "from its first frame on or never (make a new Stream)")
        if not timed:
            return None
        if time is None:
            return self.time + 1
        if isinstance(time, bool) or not isinstance(time, numbers.Integral) or time < 0:
            raise SynspInputError(f"time is {time!r}; expected a frame index (int >= 0)")
        time = int(time)
        if time < self.time:
            raise SynspInputError(f"time {time} is before the stream's latest frame time {self.time}; frames "
                                  "must come in time order")
        for e in entries:
            seen = self._seen.get(e[0])
            if seen is not None and time <= seen:
                raise SynspInputError(f"track {_id(e[0])} already has a frame at time {seen}; each track takes "
                                      "one frame per time")
        return time

    # ------------------------------------------------------------------ the work

    def _advance(self, entries: list, now: int | None, step: bool,
                 sources: dict | None = None) -> dict[Hashable, Frames]:
        """Take the (checked) entries at time ``now``: end the tracks absent too long, feed the frames (and
        the holds of short absences) through the repair to the refiner, return the frames that became final.
        ``sources``: the id each entry's frame was given under, where it is not the entry's (identities)."""
        if not self._scale_warned and not self.visibility:  # (before any change: a warning made an error leaves none)
            self._warn_scale(entries)
        if now is not None:
            self._timed = True
            self.time = max(self.time, now)
        elif entries:
            self._timed = False
        given = {e[0] for e in entries}
        ended = []
        if now is not None:  # the gap rule: tracks known absent for more than max_gap frames end
            for tid, last in self._seen.items():
                absent = now - last - (0 if step and tid not in given else 1)
                if now - last <= self.max_gap:
                    break  # ordered by last time: the rest are more recent
                if absent > self.max_gap:
                    ended.append(tid)
            for e in entries:  # a push's own track (push: not in the scan's certain part)
                last = self._seen.get(e[0])
                if last is not None and e[0] not in ended and now - last - 1 > self.max_gap:
                    ended.append(e[0])
        ends = [self._end(tid) for tid in ended]
        taken = []
        for tid, x, missing, conf, dtype in entries:
            track = self.tracks.get(tid)
            if track is None:
                track = self.tracks[tid] = _Track(self.online.start(), x.shape, dtype)
            taken.append((tid, track, x, track.trusted(x, missing, conf), conf))
        feeds = []
        for tid, track, x, missing, conf in self._without_stray(taken):
            t = now if now is not None else track.last_time + 1
            frames: list = []
            if track.taken or track.repair is not None:
                for hold in range(track.last_time + 1, t):  # a short absence: hold the last pose
                    frames += self._through_repair(tid, track, None, None, None, hold)
            frames += self._through_repair(tid, track, x, missing, conf, t)
            frames = self._through_cuts(track, frames)
            track.sources[t] = tid if sources is None else sources[tid]
            track.last_time = t
            if now is not None:
                self._seen[tid] = t
                self._seen.move_to_end(tid)
            feeds.append((tid, track, frames))
        out = {tid: Frames() for tid in ended}
        out.update((e[0], Frames()) for e in entries)
        self._run(ends, feeds, out)
        return out

    def _warn_scale(self, entries: list) -> None:
        """Warn, once per stream, where a frame's scores have a median above
        :data:`synsp.missing.CONFIDENCE_SCALE_WARNING` (a 0-100 or 0-255 scale), as :func:`synsp.refine` does."""
        for tid, _, _, conf, _ in entries:
            if conf is None or conf.max() <= CONFIDENCE_SCALE_WARNING:  # (the usual case: one max; NaN goes on)
                continue
            scores = conf[np.isfinite(conf)]
            if scores.size and np.median(scores) > CONFIDENCE_SCALE_WARNING:
                warnings.warn(f"confidence of track {_id(tid)}: the scores' median is {np.median(scores):.3g}; a score "
                              f"below {self.min_confidence:g} is a missing joint, so on a 0-100 or 0-255 scale hardly "
                              "any is: give scores from 0 to 1", UserWarning, stacklevel=4)
                self._scale_warned = True
                return

    def _without_stray(self, taken: list) -> list:
        """``(tid, track, x, missing, conf)`` entries with each joint far from its own body
        (:func:`synsp.validation.stray_joints`, judged on the joints not missing) made missing (NaN), as offline
        refinement takes it; the frames of a step judged in one call per joint layout (positions only)."""
        if self.rotations:
            return taken
        out = list(taken)
        layouts: dict = {}
        for k, (_, _, x, _, _) in enumerate(taken):
            if x.shape[0] >= STRAY_MIN_JOINTS:
                layouts.setdefault(x.shape, []).append(k)
        for ks in layouts.values():
            stray = stray_joints(np.stack([taken[k][2] for k in ks]), use=~np.stack([taken[k][3] for k in ks]),
                                 over_time=False)  # one frame of each track
            for k, s in zip(ks, stray):
                if s.any():
                    tid, track, x, missing, conf = taken[k]
                    out[k] = (tid, track, np.where(s[:, None], np.nan, x), missing | s, conf)
        return out

    def _end(self, tid) -> tuple:
        """Remove a track: ``(tid, track, the frames its repair still held, decided)``, for :meth:`_run`."""
        track = self.tracks.pop(tid)
        self._seen.pop(tid, None)
        frames = []
        if track.repair is not None:
            frames = [self._relabel(tid, payload, flipped) for payload, flipped in track.repair.finish()]
        frames = self._through_cuts(track, frames, end=True)
        return tid, track, frames

    def _through_repair(self, tid, track: _Track, x, missing, conf, t: int) -> list:
        """One frame (``x`` None: the hold of an absent frame) through the online repair, when there is one:
        the frames that left it (decided), ``(x, missing, conf, t)`` each, for the refiner."""
        if self._repair_skeleton is None:
            return [(x, missing, conf, t)]
        if track.repair is None:
            if missing.all():
                return []  # nothing observed yet on this track: wait for a first detection
            track.repair = OnlineRepair(self._repair_skeleton, self.repair_delay, min_confidence=self.min_confidence)
        if x is None:
            frame = np.full(track.shape, np.nan)
        else:
            with np.errstate(invalid="ignore"):
                frame = np.where((np.abs(x) <= ABSURD_COORDINATE).all(-1)[:, None], x, np.nan)
        return [self._relabel(tid, payload, flipped)
                for payload, flipped in track.repair.push(frame, conf, (x, missing, conf, t))]

    def _through_cuts(self, track: _Track, frames: list, end: bool = False) -> list:
        """Frames for the refiner (``(x, missing, conf, t)``, x None for a hold) through the track's cut detector,
        when the stream cuts: the frames it decided, with :data:`_CUT` in front of the first frame of a new part
        (``end``: the track ends, every frame it held comes out)."""
        if not self.cuts:
            return frames
        if track.cuts is None:  # the skeleton offline refinement judges its cuts by (its pairs, a whole body's body)
            sk = repair_skeleton(track.shape[0], track.shape[1], self._cut_skeleton, self.refiner)
            track.cuts = OnlineCuts(track.shape[0], self.fps, skeleton=sk)
        out: list = []
        decided = [d for f in frames for d in track.cuts.push(f[0], None if f[0] is None else ~f[1], f)]
        for payload, cut in decided + (track.cuts.finish() if end else []):
            if cut:
                out.append(_CUT)
            out.append(payload)
        return out

    def _relabel(self, tid, payload: tuple, flipped: np.ndarray) -> tuple:
        """A frame whose labels the repair decided, relabelled where ``flipped`` says so."""
        x, missing, conf, t = payload
        if x is not None and flipped.any():
            sk, groups = self._repair_skeleton, self.repair_groups
            hands = None  # a whole body's hands back at their wrists where the arms are relabelled, as offline
            if "arms" in groups and flipped[list(groups).index("arms")]:
                hands = hand_exchanges(x[None], sk, None if conf is None else conf[None],
                                       min_confidence=self.min_confidence)
            x = relabel(x[None], flipped[None], sk, groups, hands)[0]
            conf = None if conf is None else relabel(conf[None], flipped[None], sk, groups, hands)[0]
            missing = relabel(missing[None], flipped[None], sk, groups, hands)[0]
            counts = self.relabelled.setdefault(tid, dict.fromkeys(groups, 0))
            for g, f in zip(groups, flipped):
                counts[g] += int(f)
        return x, missing, conf, t

    def _run(self, ends: list, feeds: list, out: dict) -> None:
        """Feed every track its frames (one frame per track per batched ``step`` of the refiner), end the
        ``ends`` tracks (``finish``) and put the frames that came out into ``out`` (an ended part's first)."""
        feeds = list(ends) + list(feeds)
        got: list[list] = [[] for _ in feeds]
        at = [0] * len(feeds)
        while True:
            live = [k for k, (_, _, frames) in enumerate(feeds) if at[k] < len(frames)]
            if not live:
                break
            states, xs, ms, cs, when = [], [], [], [], []
            for k in list(live):
                _, track, frames = feeds[k]
                while at[k] < len(frames) and frames[at[k]] is _CUT:  # a cut: the part so far ends, a new one begins
                    at[k] += 1
                    self._collect(track, self.online.finish([track.state])[0], got[k])
                    track.state = self.online.start()
                    track.seen = np.zeros_like(track.seen)  # a new part: nothing observed in it yet
                if at[k] == len(frames):
                    live.remove(k)
                    continue
                x, missing, conf, t = frames[at[k]]
                at[k] += 1
                if x is None:  # the hold of an absent frame: every joint missing
                    x, missing = np.full(track.shape, np.nan), np.ones(track.shape[0], dtype=bool)
                track.seen |= ~missing  # (a frame not taken observes nothing)
                states.append(track.state)
                xs.append(x)
                ms.append(missing)
                cs.append(conf)
                when.append((t, frames[at[k] - 1][0] is not None, None if track.seen.all() else track.seen.copy()))
            if not live:
                continue
            results = self.online.step(states, xs, ms, None if all(c is None for c in cs) else cs)
            for k, result, pending in zip(live, results, when):
                if result is None:
                    continue  # not taken: nothing observed on this track yet
                track = feeds[k][1]
                track.taken = True
                track.pending.append(pending)
                self._collect(track, result, got[k])
        if ends:
            for k, result in enumerate(self.online.finish([track.state for _, track, _ in ends])):
                self._collect(ends[k][1], result, got[k])
        for (tid, _, _), frames in zip(feeds, got):
            into = out.setdefault(tid, Frames())
            for t, f, source in frames:
                into.append(f)
                into.times.append(t)
                into.sources.append(source)

    def _collect(self, track: _Track, frames: list, into: list) -> None:
        """The refiner's output frames of a track, paired with the times of its oldest pending frames; the
        holds of absent frames are not returned.  A joint not observed yet comes out NaN (see the module docstring,
        "Missing joints"): where the refiner fills a joint's pending frames back from its first observation, not
        observed by the time the frame comes out; else not observed up to the frame itself."""
        for f in frames:
            t, real, seen = track.pending.popleft()
            if real:
                f = np.asarray(f, dtype=track.dtype)
                if self._fills_back:
                    seen = None if track.seen.all() else track.seen
                if seen is not None:
                    f = f.copy()  # not the refiner's own array
                    f[~seen] = np.nan
                into.append((int(t), f, track.sources.pop(t)))
            while track.sources and next(iter(track.sources)) < t:  # frames never taken (none observed yet)
                del track.sources[next(iter(track.sources))]


def _numbers(values: Any, name: str) -> np.ndarray:
    """``values`` as float64, ``None`` (JSON's null) as NaN, a missing value; complex, boolean and string values
    refused as offline (:func:`synsp.validation.to_numpy`: the imaginary part would be lost, a mask is no
    coordinate)."""
    try:
        arr = np.asarray(values) if not is_torch(values) else to_numpy(values, name=name)
    except ValueError:  # ragged
        arr = None
    if arr is not None and arr.dtype.kind not in "cbUSV":
        try:
            return np.array(arr, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    to_numpy(values, name=name)  # names what is wrong
    raise SynspInputError(f"{name} is not an array of numbers ({type(values).__name__})")
