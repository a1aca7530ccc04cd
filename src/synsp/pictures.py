"""Pictures of a refinement: trajectories and accelerations (PNG) and skeleton animations (GIF/MP4).

* :func:`plot_refinement` draws, for a few joints, every coordinate over time (raw thin grey,
  refined bold, ground truth dashed) and the acceleration magnitude (raw vs refined), with the
  frames the repair relabelled (left/right exchanged back) shaded per person and limb group, cuts dotted.
* :func:`render_animation` animates the skeleton, raw on the left and refined on the right, or
  both over the frames of a video.

Poses are ``(T, J, D)`` or ``(T, P, J, D)`` arrays (``D`` = 2 or 3; ``P`` persons, NaN where a
joint or a person is missing, drawn as gaps).  Every output is written atomically: to a temporary
file in the target folder, then ``os.replace``, so a failure never leaves a partial file.
matplotlib (``pip install -e ".[plot]"`` in the synsp clone) draws on its own :class:`~matplotlib.figure.Figure`
objects with the Agg canvas; pyplot and its global state are never touched.
"""

from __future__ import annotations

import contextlib
import shutil
import warnings
from pathlib import Path
from typing import Any, Generator, Sequence

import numpy as np

from .io._common import as_path, atomic_target, atomic_write, suffix_of
from .skeletons import Skeleton, get_skeleton
from .validation import SynspInputError, check_poses, check_same_shape

__all__ = ["plot_refinement", "relabelled_spans", "render_animation", "check_animation_path", "up_axis", "gif_step",
           "gif_delays", "PLOT_SUFFIXES", "ANIMATION_SUFFIXES", "GIF_MAX_FPS"]

#: picture formats :func:`plot_refinement` writes
PLOT_SUFFIXES = (".png", ".pdf", ".svg")
#: animation formats :func:`render_animation` writes
ANIMATION_SUFFIXES = (".gif", ".mp4")

_DPI = 100
_PANEL_W, _PANEL_H, _HEADER_H = 300, 200, 60  # plot_refinement layout, pixels
_LEFT, _RIGHT, _CENTRE = "tab:blue", "tab:red", "0.25"  # limb colours by side
_RAW_OVER_VIDEO, _REFINED_OVER_VIDEO = "#ff9f1c", "#2ec4f6"
_PROGRESS_FROM = 200  # frames from which render_animation shows a progress bar by default
#: the most frames a second a GIF is drawn at: GIF delays are whole hundredths of a second and browsers show a
#: delay under 2 of them as 10, so a 60 fps GIF would play 6x slower; faster poses are drawn every k-th frame
GIF_MAX_FPS = 50.0


# --------------------------------------------------------------------------------------------
# shared checks
# --------------------------------------------------------------------------------------------


def _figure_class():
    """``Figure`` and the Agg canvas, or a clear error when matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise SynspInputError('pictures need matplotlib: pip install -e ".[plot]" in the synsp clone') from exc
    return Figure, FigureCanvasAgg


def _poses(raw: Any, refined: Any, gt: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate the sequences and return them as ``(T, P, J, D)`` float64 arrays."""
    raw = check_poses(raw, name="raw", ndims=(3, 4), allow_nan=True)
    refined = check_poses(refined, name="refined", ndims=(3, 4), allow_nan=True)
    check_same_shape(raw, refined, names=("raw", "refined"))
    if gt is not None:
        gt = check_poses(gt, name="gt", ndims=(3, 4), allow_nan=True)
        check_same_shape(raw, gt, names=("raw", "gt"))
    as4 = (lambda x: x[:, None] if x is not None and x.ndim == 3 else x)  # noqa: E731
    return as4(raw), as4(refined), as4(gt)


def points_only(num_joints: int) -> Skeleton:
    """A skeleton of ``num_joints`` unconnected points (``j0`` ...): drawn as dots, no bones."""
    return Skeleton(name=f"points{num_joints}", joints=[f"j{j}" for j in range(num_joints)],
                    parents=[-1] * num_joints, left_right=(), root_joints=range(num_joints),
                    description="points without a known hierarchy")


def _skeleton(skeleton: Any, num_joints: int) -> Skeleton:
    if skeleton is None:
        return points_only(num_joints)
    skel = get_skeleton(skeleton)
    if skel.num_joints != num_joints:
        raise SynspInputError(
            f"the poses have J = {num_joints} joints but skeleton {skel.name!r} has {skel.num_joints}; "
            f"pass the skeleton the poses are in"
        )
    return skel


def _suffix(path: Path, allowed: tuple[str, ...], what: str) -> str:
    suffix = suffix_of(path)
    if suffix not in allowed:
        raise SynspInputError(f"{path}: {what} writes {', '.join(allowed)} files; found suffix {suffix!r}")
    return suffix


def _folder(path: Path) -> Path:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SynspInputError(f"{path}: the folder {folder} does not exist")
    return folder


def _acceleration(x: np.ndarray) -> np.ndarray:
    """``|x[t+1] - 2 x[t] + x[t-1]|`` over the last axis, for ``t = 1 .. T-2`` (NaN where missing)."""
    return np.linalg.norm(x[2:] - 2 * x[1:-1] + x[:-2], axis=-1)


# --------------------------------------------------------------------------------------------
# plot_refinement
# --------------------------------------------------------------------------------------------


def plot_refinement(
    raw: Any,
    refined: Any,
    path: Any,
    skeleton: Any = None,
    joints: Sequence[int | str] | None = None,
    fps: float | None = None,
    gt: Any = None,
    title: str | None = None,
    unit: str = "units",
    accel_per_frame: bool = False,
    image_y: bool = False,
    relabelled: Any = None,
    cuts: Any = None,
) -> Path:
    """Draw raw vs refined trajectories and accelerations of a few joints to a picture.

    Parameters
    ----------
    raw, refined : ``(T, J, D)`` or ``(T, P, J, D)`` arrays of the same shape; NaN is a gap.
    path : output file, ``.png`` (also ``.pdf``, ``.svg``).
    skeleton : skeleton name (or :class:`~synsp.skeletons.Skeleton`); names the joints.
    joints : joint indices or names (names need ``skeleton``).  Default: the 4 joints with the
        largest mean raw acceleration, most jittery first.
    fps : frame rate; the time axis is in seconds and accelerations in units/s² when given,
        else in frames and units/frame².
    gt : ground truth of the same shape, drawn dashed.
    title : heading of the picture.
    unit : the coordinates' unit in the labels (``"px"``, ``"mm"``, ...).
    accel_per_frame : accelerations in unit/frame² even when ``fps`` is given (the time axis
        stays in seconds), as synsp's tables print them.
    image_y : the coordinates are image pixels whose y grows downwards: the y panels are flipped
        so that up in the picture is up in the scene.
    relabelled : the frames the repair relabelled, ``{group: frames}`` (one person) or
        ``{person: {group: frames}}`` (``person`` the index on the P axis; ``frames`` frame indices
        or a ``(T,)`` bool mask), e.g. ``summary["relabelled_frames"]`` of
        :func:`synsp.api.refine_pose_file` by track position.  Every panel shades each run of such
        frames in the group's colour (one band per person and group when there are several), with
        a legend entry per band.
    cuts : the frames where a part began after a cut (:mod:`synsp.cuts`), ``{person: frames}`` or the frames
        of one person, e.g. ``summary["cuts"]`` by person; a dotted vertical line in every panel.

    One row per joint; one column per coordinate (raw thin grey, refined bold, ground truth
    dashed black; with several persons each has its own refined colour) and a last column with
    the acceleration magnitude.  The picture is ``300 * (D + 1)`` pixels wide and
    ``200 * len(joints) + 60`` pixels tall.  Returns the path written.
    """
    out = as_path(path, "path")
    fmt = _suffix(out, PLOT_SUFFIXES, "plot_refinement")[1:]
    _folder(out)
    fig = _refinement_figure(raw, refined, skeleton, joints, fps, gt, title, unit, accel_per_frame, image_y,
                             relabelled, cuts)
    atomic_write(out, lambda fh: fig.savefig(fh, format=fmt, dpi=_DPI), binary=True)
    return out


def _refinement_figure(raw, refined, skeleton, joints, fps, gt, title, unit, accel_per_frame, image_y, relabelled,
                       cuts=None):
    """The :class:`~matplotlib.figure.Figure` :func:`plot_refinement` saves."""
    raw, refined, gt = _poses(raw, refined, gt)
    T, P, J, D = raw.shape
    skel = _skeleton(skeleton, J) if skeleton is not None else None
    if fps is not None and not fps > 0:
        raise SynspInputError(f"fps must be positive; found {fps}")
    chosen = _joints(joints, raw, skel)
    lanes = relabelled_spans(relabelled, T, P)
    Figure, Canvas = _figure_class()

    fig = Figure(figsize=(_PANEL_W * (D + 1) / _DPI, (_PANEL_H * len(chosen) + _HEADER_H) / _DPI),
                 dpi=_DPI, layout="constrained")
    Canvas(fig)
    axes = fig.subplots(len(chosen), D + 1, squeeze=False, sharex=True)
    t = np.arange(T) / fps if fps else np.arange(T, dtype=float)
    per_second = bool(fps) and not accel_per_frame
    scale = fps**2 if per_second else 1.0
    names = "xyz"[:D]
    colours = person_colours(P)
    for row, j in zip(axes, chosen):
        for p in range(P):
            tag = f" (person {p})" if P > 1 else ""
            first = p == 0
            colour = colours[p]
            for d in range(D):
                row[d].plot(t, raw[:, p, j, d], color="0.6", lw=0.7, label="raw" if first else None)
                row[d].plot(t, refined[:, p, j, d], color=colour, lw=1.8, label="refined" + tag)
                if gt is not None:
                    row[d].plot(t, gt[:, p, j, d], "k--", lw=1.0, label="ground truth" if first else None)
            if T >= 3:
                row[D].plot(t[1:-1], _acceleration(raw[:, p, j]) * scale, color="0.6", lw=0.7)
                row[D].plot(t[1:-1], _acceleration(refined[:, p, j]) * scale, color=colour, lw=1.8)
                if gt is not None:
                    row[D].plot(t[1:-1], _acceleration(gt[:, p, j]) * scale, "k--", lw=1.0)
        row[0].set_ylabel(skel.joints[j] if skel else f"joint {j}")
    for d in range(D):
        axes[0, d].set_title(f"{names[d]} ({unit})" + (", up is up" if image_y and d == 1 else ""))
    if image_y and D >= 2:
        for row in axes:
            if not row[1].yaxis_inverted():
                row[1].invert_yaxis()
    axes[0, D].set_title(f"acceleration ({unit}/s²)" if per_second else f"acceleration ({unit}/frame²)")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)" if fps else "frame")
    step = 1.0 / fps if fps else 1.0
    for n, ((p, group), spans) in enumerate(lanes.items()):
        # each (person, group) its own horizontal band of every panel; a frame covers +- half a frame
        low, high = n / len(lanes), (n + 1) / len(lanes)
        colour = _GROUP_COLOURS.get(group, "tab:gray")
        label = f"{group} relabelled" + (f" (person {p})" if P > 1 else "")
        hatch = _PERSON_HATCHES[p % len(_PERSON_HATCHES)]  # the colour says the group, the hatching the person
        for ax in axes.ravel():
            for k, (a, b) in enumerate(spans):
                ax.axvspan(t[a] - step / 2, t[b - 1] + step / 2, ymin=low, ymax=high, facecolor=colour, alpha=0.2,
                           edgecolor=colour, hatch=hatch, lw=0, gid=f"relabelled {p} {group} {a} {b}",
                           label=label if ax is axes[0, 0] and k == 0 else None)
    per_person = cuts if isinstance(cuts, dict) else {0: cuts} if cuts is not None else {}
    for p, frames in per_person.items():
        if not (isinstance(p, (int, np.integer)) and 0 <= p < P):
            raise SynspInputError(f"cuts names person {p!r}; the poses have {P} person(s)")
        for k, c in enumerate(sorted(int(c) for c in np.asarray(frames).ravel())):
            if not 0 < c < T:
                raise SynspInputError(f"cuts: frame {c} of person {p}; a cut is at a frame 1..{T - 1}")
            for ax in axes.ravel():  # the new part begins at frame c: the line half a frame before it
                ax.axvline(t[c] - step / 2, color="k", ls=":", lw=1.0, gid=f"cut {p} {c}",
                           label="cut" if ax is axes[0, 0] and k == 0 and p == min(per_person) else None)
    axes[0, 0].legend(loc="best", fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def person_colours(count: int) -> list[Any]:
    """A colour per person, each its own: matplotlib's ten default colours, then tab20's twenty, then hues evenly
    spaced (the eleventh person in the first person's colour would read as one person)."""
    if count <= 10:
        return [f"C{p}" for p in range(count)]
    from matplotlib import colormaps

    if count <= 20:
        return [colormaps["tab20"](p) for p in range(count)]
    return [colormaps["hsv"](p / count) for p in range(count)]


_GROUP_COLOURS = {"arms": "tab:orange", "legs": "tab:green", "head": "tab:purple", "other": "tab:brown"}
_PERSON_HATCHES = (None, "//", "\\\\", "xx", "..", "++")


def relabelled_spans(relabelled: Any, num_frames: int, persons: int = 1) -> dict[tuple[int, str], list[tuple[int, int]]]:
    """The runs of relabelled frames to shade: ``{(person, group): [(start, stop), ...]}`` (``stop``
    exclusive), from ``{group: frames}`` (one person) or ``{person: {group: frames}}``, ``frames`` frame
    indices or a ``(num_frames,)`` bool mask (see :func:`plot_refinement`); empty groups left out."""
    if not relabelled:
        return {}
    if all(isinstance(v, dict) for v in relabelled.values()):
        per_person = relabelled
    else:
        per_person = {0: relabelled}
    out = {}
    for p, groups in per_person.items():
        if not 0 <= int(p) < persons:
            raise SynspInputError(f"relabelled names person {p!r}; the poses have {persons} person(s)")
        for group, frames in groups.items():
            f = np.asarray(frames)
            mask = np.zeros(num_frames, dtype=bool)
            if f.dtype == bool:
                if f.shape != (num_frames,):
                    raise SynspInputError(f"relabelled frames of {group!r}: a mask of shape {f.shape}; expected "
                                          f"({num_frames},)")
                mask = f.copy()
            elif f.size:
                f = f.astype(np.int64).ravel()
                if f.min() < 0 or f.max() >= num_frames:
                    raise SynspInputError(f"relabelled frames of {group!r} reach frame {int(f.max())}; the poses "
                                          f"have {num_frames}")
                mask[f] = True
            if mask.any():
                edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
                out[(int(p), str(group))] = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]
    return out


def _joints(joints: Sequence[int | str] | None, raw: np.ndarray, skel: Skeleton | None) -> list[int]:
    """Joint indices to plot: the given ones (names or indices) or the most jittery four."""
    J = raw.shape[2]
    if joints is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN joints
            jitter = np.nanmean(_acceleration(raw), axis=(0, 1)) if len(raw) >= 3 else np.zeros(J)
        jitter = np.where(np.isnan(jitter), -np.inf, jitter)
        return [int(j) for j in np.argsort(-jitter, kind="stable")[: min(4, J)]]
    if isinstance(joints, (str, int)):
        joints = [joints]
    chosen = []
    for j in joints:
        if isinstance(j, str) and not j.strip().lstrip("-").isdigit():
            if skel is None:
                raise SynspInputError(f"joint {j!r} is a name; pass skeleton= to use joint names")
            if j not in skel.joints:
                raise SynspInputError(
                    f"skeleton {skel.name!r} has no joint {j!r}; its joints: {', '.join(skel.joints)}"
                )
            chosen.append(skel.joints.index(j))
        else:
            if not -J <= int(j) < J:
                raise SynspInputError(f"joint index {j} is out of range for J = {J} joints")
            chosen.append(int(j) % J)
    if not chosen:
        raise SynspInputError("joints is empty; pass at least one joint (or None for the most jittery)")
    return chosen


# --------------------------------------------------------------------------------------------
# render_animation
# --------------------------------------------------------------------------------------------


def render_animation(
    raw: Any,
    refined: Any,
    path: Any,
    skeleton: Any = None,
    fps: float = 30,
    video: Any = None,
    max_frames: int | None = None,
    size: tuple[int, int] | None = None,
    progress: bool | None = None,
    frame_numbers: Sequence[int] | None = None,
) -> Path:
    """Animate the skeleton of raw and refined poses to a ``.gif`` or ``.mp4``.

    Parameters
    ----------
    raw, refined : ``(T, J, D)`` or ``(T, P, J, D)`` arrays of the same shape (every person is
        drawn; NaN joints and absent persons are left out of the frame).
    path : output ``.gif`` (Pillow) or ``.mp4`` (needs an ``ffmpeg`` on PATH or
        ``pip install imageio-ffmpeg``).
    skeleton : skeleton name (or :class:`~synsp.skeletons.Skeleton`) whose bones are drawn; left
        limbs blue, right limbs red, the rest dark grey.  None: the joints as plain points.
    fps : frame rate of the poses; the animation plays in real time (a GIF every k-th frame above
        :data:`GIF_MAX_FPS`).
    video : a video file whose frames the poses were estimated on (2D pixel poses only): raw
        (orange) and refined (light blue) are drawn over its frames in one panel.  Read with
        ``cv2``, else ``imageio``, else ``imageio-ffmpeg`` (``pip install -e ".[video]"`` in the synsp clone).
        The animation has min(video frames, pose frames) frames.
    max_frames : draw at most this many frames (from the start).
    size : ``(width, height)`` of a frame in pixels; default ``(960, 480)``, or the video's
        frame size over a video.
    progress : show a progress bar; default: for clips of 200 frames or more.
    frame_numbers : the file's own number of each pose frame (``T`` increasing whole numbers, e.g.
        :attr:`synsp.io.tracks.PoseFile.frame_numbers`), shown on each frame; None: frames are numbered from 0.

    3D poses are drawn in an orthographic view along a horizontal axis: the up axis is the one along which
    the bodies are tallest (:func:`up_axis`: y for most mocap and Human3.6M, z for C3D from most labs), drawn up,
    the first other axis to the right, the third (depth) dropped; each panel's title names them.
    2D poses are image coordinates: x to the right, y down.  Both panels use equal axes and the
    same limits, fixed over the whole clip from both sequences.  Each frame shows its frame
    number (``frame_numbers``, else from 0, as ``synsp inspect`` and ``synsp plot`` count) and its time from the
    first frame at ``fps``; a GIF shows at most :data:`GIF_MAX_FPS` frames a second, so faster poses are drawn every
    2nd (3rd, ...) frame, and its frame delays (whole hundredths of a second) add up to real time: at 30 fps 30, 40,
    30, 30, 40, ... ms (:func:`gif_delays`).  Returns the path written.
    """
    raw, refined, _ = _poses(raw, refined)
    T, P, J, D = raw.shape
    skel = _skeleton(skeleton, J)
    if not fps > 0:
        raise SynspInputError(f"fps must be positive; found {fps}")
    if max_frames is not None and int(max_frames) < 1:
        raise SynspInputError(f"max_frames must be at least 1; found {max_frames}")
    n = min(T, int(max_frames)) if max_frames is not None else T
    numbers = np.arange(T) if frame_numbers is None else np.asarray(frame_numbers)
    if numbers.shape != (T,) or numbers.dtype.kind not in "iu":
        raise SynspInputError(f"frame_numbers must be {T} whole numbers, one per pose frame; found an array of shape "
                              f"{numbers.shape} ({numbers.dtype})")
    if size is not None and (len(size) != 2 or min(int(size[0]), int(size[1])) < 16):
        raise SynspInputError(f"size must be (width, height) in pixels, each at least 16; found {size}")
    out = as_path(path, "path")
    suffix, ffmpeg = _animation_target(out)
    if video is not None and D != 2:
        raise SynspInputError(
            f"drawing over a video needs 2D pixel keypoints; the poses have D = {D} coordinates"
        )
    frames: Generator[np.ndarray, None, None] | None = None
    if video is not None:
        video_size, frames = _read_video(video)
        size = size or video_size
    step = gif_step(fps) if suffix == ".gif" else 1
    try:
        return _render(raw[:n], refined[:n], out, skel, fps, frames, size or (960, 480), ffmpeg, progress, step,
                       numbers[:n])
    finally:
        if frames is not None:
            frames.close()


def _animation_target(out: Path, what: str = "render_animation") -> tuple[str, str | None]:
    """``(suffix, ffmpeg)`` of an animation path, checked: a suffix of :data:`ANIMATION_SUFFIXES`, an existing
    folder, an ffmpeg for an ``.mp4`` (None for a ``.gif``)."""
    suffix = _suffix(out, ANIMATION_SUFFIXES, what)
    _folder(out)
    ffmpeg = _ffmpeg_exe() if suffix == ".mp4" else None
    if suffix == ".mp4" and ffmpeg is None:
        raise SynspInputError(
            f"{out}: writing .mp4 needs ffmpeg; pip install imageio-ffmpeg (or put ffmpeg on PATH), "
            f"or write a .gif"
        )
    return suffix, ffmpeg


def check_animation_path(path: Any, what: str = "render_animation") -> Path:
    """Check, before the work that comes first, that :func:`render_animation` can write ``path``: its suffix is
    ``.gif`` or ``.mp4`` (``what`` names the writer in the message), its folder exists, an ``.mp4`` has an ffmpeg,
    and matplotlib is installed.  Raises :class:`SynspInputError`; returns ``path`` as a :class:`Path`."""
    out = as_path(path, "path")
    _animation_target(out, what)
    _figure_class()
    return out


def gif_step(fps: float) -> int:
    """Every how many pose frames a GIF draws one, so that it shows at most :data:`GIF_MAX_FPS` a second."""
    return max(1, int(np.ceil(fps / GIF_MAX_FPS - 1e-9)))


def gif_delays(count: int, fps: float) -> list[int]:
    """The delays (ms) of ``count`` GIF frames shown at ``fps`` frames a second: GIF stores whole hundredths of a
    second, so each frame ends at the hundredth nearest its true end (at 30 fps: 30, 40, 30, 30, 40, 30, ... ms,
    33.3 on average), never 30 ms each (33 fps, 10 % fast)."""
    ends = np.floor(100.0 * np.arange(count + 1) / fps + 0.5)  # hundredths of a second
    return [10 * int(d) for d in np.diff(ends)]


def up_axis(poses: np.ndarray) -> int:
    """The axis (0, 1, 2) the bodies of 3D ``poses`` ``(..., J, 3)`` stand along: the one with the largest median
    extent over the joints (people stand, so a frame's height is its largest side; what ``synsp data import``'s
    up-axis check reads); 1 (y) when no frame has two finite joints."""
    x = np.asarray(poses, dtype=np.float64)
    x = x.reshape(-1, *x.shape[-2:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames
        extent = np.nanmax(x, axis=1) - np.nanmin(x, axis=1)  # (frames, 3)
    extent = extent[np.isfinite(extent).all(axis=1) & (extent.max(axis=1, initial=0) > 0)]
    return 1 if not len(extent) else int(np.argmax(np.median(extent, axis=0)))


def _render(raw: np.ndarray, refined: np.ndarray, out: Path, skel: Skeleton, fps: float,
            frames: Generator[np.ndarray, None, None] | None, size: tuple[int, int], ffmpeg: str | None,
            progress: bool | None, step: int, numbers: np.ndarray) -> Path:
    """Draw every ``step``-th frame into a temporary file next to ``out`` (GIF, or MP4 when ``ffmpeg``) at
    ``fps / step`` frames a second (real time), then move it; ``numbers``: each frame's number, shown."""
    Figure, Canvas = _figure_class()
    from matplotlib import animation, rc_context
    from tqdm.auto import tqdm

    n = len(raw)
    width, height = (int(s) for s in size)
    fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    Canvas(fig)
    scene = _Scene(fig, raw, refined, skel, fps, frames is not None, numbers)
    if ffmpeg is None:
        writer, rc = _GifWriter(fps / step), {}
    else:
        writer, rc = animation.FFMpegWriter(fps=fps / step), {"animation.ffmpeg_path": ffmpeg}
    drawn = range(0, n, step)
    show = progress if progress is not None else len(drawn) >= _PROGRESS_FROM
    _folder(out)
    with atomic_target(out, suffix=suffix_of(out)) as tmp:
        with rc_context(rc), writer.saving(fig, str(tmp), _DPI), \
                tqdm(total=len(drawn), desc="render", unit="frame", disable=not show) as bar:
            for t in drawn:
                image = None
                if frames is not None:
                    for _ in range(step if t else 1):  # the video frame of pose frame t
                        image = next(frames, None)
                    if image is None:  # the video is shorter than the poses
                        break
                scene.draw(t, image)
                writer.grab_frame()
                bar.update()
    return out


class _GifWriter:
    """What :func:`_render` needs of a matplotlib movie writer (``saving``, ``grab_frame``), for a GIF whose frame
    delays add up to real time (:func:`gif_delays`; matplotlib's ``PillowWriter`` gives every frame
    ``int(1000 / fps)`` ms, which GIF stores as 30 ms at 30 fps)."""

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self.images: list[Any] = []
        self.fig = None

    @contextlib.contextmanager
    def saving(self, fig, path: str, dpi: float) -> Generator["_GifWriter", None, None]:
        """Gather the frames grabbed inside, then write them to ``path`` (``fig`` is drawn at its own ``dpi``)."""
        self.fig, self.images = fig, []
        yield self
        self.images[0].save(path, format="GIF", save_all=True, append_images=self.images[1:],
                            duration=gif_delays(len(self.images), self.fps), loop=0)

    def grab_frame(self) -> None:
        """The figure as it is drawn now, as one RGB frame."""
        from PIL import Image

        self.fig.canvas.draw()
        self.images.append(Image.fromarray(np.asarray(self.fig.canvas.buffer_rgba())[..., :3].copy()))


class _Scene:
    """The artists of one animation frame and how to move them to frame ``t``."""

    def __init__(self, fig, raw: np.ndarray, refined: np.ndarray, skel: Skeleton, fps: float,
                 over_video: bool, numbers: np.ndarray | None = None) -> None:
        from matplotlib.collections import LineCollection

        self.fps = fps
        self.numbers = np.arange(len(raw)) if numbers is None else numbers
        D = raw.shape[-1]
        # 2D panel coordinates: for 3D the first axis across the up axis right and the up axis up (the third, the
        # depth, dropped); pixel x/y for 2D
        view = "image coordinates (y down)"
        if D == 3:
            up = up_axis(np.concatenate([raw, refined], axis=0))
            across = [a for a in range(3) if a != up]
            view = f"{'xyz'[across[0]]} right, {'xyz'[up]} up ({'xyz'[across[1]]}, the depth, dropped)"
            raw, refined = raw[..., [across[0], up]], refined[..., [across[0], up]]
        self.raw, self.refined = raw[..., :2], refined[..., :2]
        bones = np.array(skel.bones, dtype=int).reshape(-1, 2)
        left, right = set(skel.left_indices), set(skel.right_indices)
        side = lambda c: _LEFT if c in left else _RIGHT if c in right else _CENTRE  # noqa: E731
        self.bones = bones
        self.stamp = fig.text(0.5, 0.985, "", ha="center", va="top", fontsize=9, zorder=5,
                              bbox=dict(fc="white", alpha=0.6, lw=0) if over_video else None)
        if over_video:
            ax = fig.add_axes((0, 0, 1, 1))
            ax.set_axis_off()
            self.image = ax.imshow(np.zeros((2, 2, 3), np.uint8), origin="upper")
            self.panels = [(ax, self.raw, _RAW_OVER_VIDEO, 1.2), (ax, self.refined, _REFINED_OVER_VIDEO, 2.2)]
        else:
            self.image = None
            left_ax, right_ax = fig.subplots(1, 2, gridspec_kw=dict(left=0.02, right=0.98, bottom=0.02,
                                                                    top=0.9, wspace=0.04))
            for ax, label in ((left_ax, "raw"), (right_ax, "refined")):
                ax.set_title(f"{label} — {view}", fontsize=9)
                ax.set_xticks([])
                ax.set_yticks([])
            self._limits((left_ax, right_ax), flip_y=D == 2)
            colours = [side(c) for c, _ in bones]
            self.panels = [(left_ax, self.raw, colours, 1.5), (right_ax, self.refined, colours, 1.5)]
        self.artists = []
        for ax, _, colour, width in self.panels:
            lines = LineCollection([], colors=colour, linewidths=width)
            ax.add_collection(lines)
            (dots,) = ax.plot([], [], "o", ls="none", ms=2.5, color=colour if isinstance(colour, str) else _CENTRE)
            self.artists.append((lines, dots))

    def _limits(self, axes, flip_y: bool) -> None:
        """Equal axes with the same limits in both panels, from every finite point of the clip."""
        pts = np.concatenate([self.raw.reshape(-1, 2), self.refined.reshape(-1, 2)])
        pts = pts[np.isfinite(pts).all(axis=1)]
        lo, hi = (pts.min(axis=0), pts.max(axis=0)) if len(pts) else (np.zeros(2), np.ones(2))
        pad = 0.05 * max(float((hi - lo).max()), 1e-9)
        for ax in axes:
            ax.set_xlim(lo[0] - pad, hi[0] + pad)
            ax.set_ylim(*((hi[1] + pad, lo[1] - pad) if flip_y else (lo[1] - pad, hi[1] + pad)))
            ax.set_aspect("equal", adjustable="box")

    def draw(self, t: int, image: np.ndarray | None) -> None:
        """Move every artist to frame ``t`` (and show ``image`` behind the poses over a video)."""
        if image is not None:
            self.image.set_data(image)
            self.image.set_extent((-0.5, image.shape[1] - 0.5, image.shape[0] - 0.5, -0.5))
            self.image.axes.set_xlim(-0.5, image.shape[1] - 0.5)
            self.image.axes.set_ylim(image.shape[0] - 0.5, -0.5)
        for (_, poses, colour, _), (lines, dots) in zip(self.panels, self.artists):
            frame = poses[t]  # (P, J, 2)
            segments = frame[:, self.bones].reshape(-1, 2, 2)  # (P * B, 2, 2): child, parent
            keep = np.isfinite(segments).all(axis=(1, 2))
            lines.set_segments(list(segments[keep]))
            if not isinstance(colour, str):  # per-bone colours repeat for every person
                lines.set_color([c for c, k in zip(colour * len(frame), keep) if k])
            joints = frame.reshape(-1, 2)
            joints = joints[np.isfinite(joints).all(axis=1)]
            dots.set_data(joints[:, 0], joints[:, 1])
        self.stamp.set_text(f"frame {int(self.numbers[t])}  ·  {t / self.fps:.2f} s")


def _ffmpeg_exe() -> str | None:
    """An ffmpeg binary: the one on PATH, else imageio-ffmpeg's, else None."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None


def _read_video(video: Any) -> tuple[tuple[int, int], Generator[np.ndarray, None, None]]:
    """``(width, height)`` and a generator of RGB ``uint8`` ``(H, W, 3)`` frames of ``video``.

    Read with cv2, else imageio, else imageio-ffmpeg, one frame at a time.
    """
    p = as_path(video, "video")
    if not p.is_file():
        raise SynspInputError(f"{p}: video file not found")
    for reader in (_frames_cv2, _frames_imageio, _frames_imageio_ffmpeg):
        try:
            frames = reader(p)
        except ImportError:
            continue
        try:
            first = next(frames)
        except StopIteration:
            raise SynspInputError(f"{p}: the video has no frames") from None
        except Exception as exc:  # the readers raise their own error types on unreadable files
            raise SynspInputError(f"{p}: cannot read the video ({_reason(exc)})") from exc
        return (first.shape[1], first.shape[0]), _prepend(first, frames)
    raise SynspInputError('reading a video needs cv2, imageio or imageio-ffmpeg: pip install -e ".[video]" in the synsp clone '
                          "(or pip install imageio-ffmpeg)")


def _reason(exc: Exception) -> str:
    """One line of a video reader's error: ffmpeg's carries its whole banner (version, build configuration,
    libraries), the reason on its last lines ("Invalid data found when processing input")."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    said = [line for line in lines if any(w in line.lower() for w in ("error", "invalid", "no such", "not "))]
    return (said or lines)[-1]


def _prepend(first: np.ndarray, rest: Generator[np.ndarray, None, None]) -> Generator[np.ndarray, None, None]:
    """``first``, then the frames of ``rest``; closing it closes ``rest`` (and its file)."""
    try:
        yield first
        yield from rest
    finally:
        rest.close()


def _frames_cv2(p: Path) -> Generator[np.ndarray, None, None]:
    import cv2

    def frames():
        cap = cv2.VideoCapture(str(p))
        try:
            if not cap.isOpened():
                raise OSError("cv2 cannot open it")
            ok, bgr = cap.read()
            while ok:
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                ok, bgr = cap.read()
        finally:
            cap.release()

    return frames()


def _frames_imageio(p: Path) -> Generator[np.ndarray, None, None]:
    import imageio.v3 as iio

    return (np.asarray(f, dtype=np.uint8)[..., :3] for f in iio.imiter(p))


def _frames_imageio_ffmpeg(p: Path) -> Generator[np.ndarray, None, None]:
    import imageio_ffmpeg

    def frames():
        reader = imageio_ffmpeg.read_frames(str(p), pix_fmt="rgb24")
        try:
            width, height = next(reader)["size"]
            for buf in reader:
                yield np.frombuffer(buf, dtype=np.uint8).reshape(height, width, 3)
        finally:
            reader.close()

    return frames()
