"""A long track refined in overlapping pieces (bounded working memory): the same output as the whole track at
once, at the network's rate and at others, for every kind of network."""

import numpy as np
import pytest

import synsp.refiners as refiners
from synsp.data.corpus import embedded_corpus_path, load_corpus
from synsp.error_families import simulate_family
from synsp.refiners import NetworkRefiner, get_refiner
from synsp.timeseries import frame_grid, resample_time, to_higher_rate, to_lower_rate


def _long_shaken_track(frames: int, dims: int = 3) -> np.ndarray:
    """Real motion (the embedded corpus's clips one after another, metres) with the whole body jittering, so
    that the rigid stage after the universal model acts too."""
    clips = [c.positions.astype(np.float64)[..., :dims] for c in load_corpus(embedded_corpus_path(), skeleton="h36m17")]
    g = np.concatenate(clips)[:frames]
    return simulate_family(g, "rigid-shake", skeleton="h36m17", fps=30.0, seed=3, level=0.03,
                           depth_axis=2 if dims == 3 else None).pred


def _whole_and_pieces(refiner, x, fps, monkeypatch, piece=700):
    seen = []  # the frames (at the network's rate) of each run of the network
    inner = refiner._network

    def spy(work, *args, **kw):
        seen.append(len(work))
        return inner(work, *args, **kw)

    monkeypatch.setattr(refiner, "_network", spy)
    monkeypatch.setattr(refiners, "PIECE_FRAMES", 10**9)
    whole = refiner(x, fps=fps)
    assert len(seen) == 1
    monkeypatch.setattr(refiners, "PIECE_FRAMES", piece)
    seen.clear()
    pieces = refiner(x, fps=fps)
    return whole, pieces, seen


@pytest.mark.parametrize("fps", [30.0, 90.0, 15.0, 8.0, 29.97])
def test_the_default_in_pieces_is_the_whole_track_refined(fps, monkeypatch):
    # 15 fps: refined at its own rate, 2600 frames of it; 8 fps: through the spline to 30 fps
    native = refiners.NetworkRefiner.runs_at(get_refiner("synsp-universal-w16"), fps)
    T = 2600 if native else int(round(2600 * fps / 30))
    x = resample_time(_long_shaken_track(2600), T)  # the same motion at that rate
    x[400:410, 0, 3:6] = np.nan  # a gap: filled once, on the whole track
    default = get_refiner("synsp-universal-w16")
    whole, pieces, seen = _whole_and_pieces(default, x, fps, monkeypatch)
    assert len(seen) >= 3  # refined in pieces ...
    margin = max(2 * default.window, int(np.ceil(refiners.PIECE_MARGIN_S * 30.0)))
    assert max(seen) <= 700 + 2 * margin  # ... each of bounded length ...
    assert pieces.shape == x.shape and np.isfinite(pieces).all()
    np.testing.assert_allclose(pieces, whole, rtol=0, atol=1e-7)  # ... giving the whole track's output (metres)
    plain = NetworkRefiner(default.model, default.card, smooth_rigid=False)
    assert np.abs(plain(x[:3000], fps=fps) - whole[:3000]).max() > 1e-3  # the rigid stage acted on this input


@pytest.mark.parametrize("name, dims", [("synsp-universal-w8-causal", 3), ("synsp-h36m17-3d-w8", 3),
                                        ("synsp-coco17-2d-w8", 2)])
def test_every_network_in_pieces_is_the_whole_track_refined(name, dims, monkeypatch):
    x = _long_shaken_track(2000, dims)
    if dims == 2:
        x = x[:, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]] * 500.0  # pixels; 17 points as COCO's
    refiner = get_refiner(name)
    whole, pieces, seen = _whole_and_pieces(refiner, np.stack([x, x[::-1]], axis=1), 30.0, monkeypatch)
    assert len(seen) >= 3  # both people, in pieces
    np.testing.assert_allclose(pieces, whole, rtol=0, atol=1e-7 * np.abs(x).max())


def test_a_piece_of_a_track_resamples_on_the_whole_tracks_grid():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=(1000, 2)), axis=0)
    grid = frame_grid(1000, 301)  # 100 -> 30 fps
    np.testing.assert_allclose(to_lower_rate(x, 301, times=grid), to_lower_rate(x, 301), atol=1e-12)
    lo = 400  # a piece from input frame 400: the same frames of the grid, away from its ends
    inside = (grid > lo + 60) & (grid < 900)
    piece = to_lower_rate(x[lo:], int((grid >= lo).sum()), times=grid[grid >= lo] - lo)
    np.testing.assert_allclose(piece[inside[grid >= lo]], to_lower_rate(x, 301)[inside], atol=1e-9)
    low = to_lower_rate(x, 301)
    up = to_higher_rate(low, 1000)
    np.testing.assert_allclose(to_higher_rate(low, 1000, times=frame_grid(301, 1000)), up, atol=1e-12)
    np.testing.assert_allclose(to_higher_rate(low[100:], 400, times=frame_grid(301, 1000)[500:900] - 100),
                               up[500:900], atol=1e-9)


def test_a_long_lowpass_in_pieces_is_the_whole_ones():
    """:func:`synsp.timeseries.to_lower_rate_in_pieces` (the rotation stage's view of a 120 Hz hour at 30 fps):
    the whole sequence's low-pass and resampling, with a frame-wise conversion before it."""
    from synsp.geometry import axis_angle_to_rot6d, rot6d_to_axis_angle
    from synsp.timeseries import per_chunk, to_lower_rate_in_pieces

    rng = np.random.default_rng(0)
    rotvec = np.cumsum(rng.normal(scale=0.01, size=(9001, 5, 3)), axis=0)  # 120 Hz
    whole = to_lower_rate(per_chunk(axis_angle_to_rot6d, rotvec), 2251)  # 30 Hz
    pieces = to_lower_rate_in_pieces(rotvec, 2251, fn=axis_angle_to_rot6d, piece=400, margin=64)
    assert pieces.shape == whole.shape == (2251, 5, 6)
    np.testing.assert_allclose(pieces, whole, rtol=0, atol=1e-9)
    # converted back a piece at a time: the frames of the whole result converted
    back = to_lower_rate_in_pieces(rotvec, 2251, fn=axis_angle_to_rot6d, piece=400, margin=64, fn_out=rot6d_to_axis_angle)
    np.testing.assert_array_equal(back, per_chunk(rot6d_to_axis_angle, pieces))
    assert np.abs(to_lower_rate_in_pieces(rotvec, 2251, piece=400, margin=0) - to_lower_rate(rotvec, 2251)).max() > 1e-6


@pytest.mark.parametrize("fps", [120.0, 30.0])
def test_rotations_are_converted_and_refined_a_piece_at_a_time(fps, monkeypatch):
    """The rotation network on a long gap-free track turns its axis-angles into 6D vectors, and the refined ones
    back, a piece at a time (:class:`synsp.timeseries.Converted`, ``refine_filled(decode=...)``): the same output,
    to the bit, as converting the whole track first and back after."""
    from synsp.geometry import axis_angle_to_rot6d, rot6d_to_axis_angle
    from synsp.rotations import rotation_filter
    from synsp.timeseries import per_chunk

    clips = [c.rotations for c in load_corpus(embedded_corpus_path(), skeleton="h36m17", rotations=True)]
    x = resample_time(np.concatenate(clips)[:2400].astype(np.float64), int(2400 * fps / 30.0))
    x = x + np.random.default_rng(1).normal(scale=0.02, size=x.shape)  # jitter for the network to remove
    net = rotation_filter(None, 24)
    seen = []
    inner = net.network._network
    monkeypatch.setattr(net.network, "_network", lambda work, *a, **k: seen.append(len(work)) or inner(work, *a, **k))
    monkeypatch.setattr(refiners, "PIECE_FRAMES", 700)
    out = net(x, fps=fps)
    assert len(seen) >= 3  # in pieces
    whole = net.network(per_chunk(axis_angle_to_rot6d, x), fps=fps, confidence=np.ones(x.shape[:2]))
    whole = net.smooth_root_of(per_chunk(rot6d_to_axis_angle, whole), x, fps)
    np.testing.assert_array_equal(out, whole)
    assert np.abs(out - x).max() > 0.01  # it refined


def test_a_converted_array_converts_the_frames_sliced():
    from synsp.geometry import axis_angle_to_rot6d
    from synsp.timeseries import Converted, per_chunk

    x = np.random.default_rng(0).normal(size=(50, 4, 3))
    c = Converted(x, axis_angle_to_rot6d, 6)
    assert c.shape == (50, 4, 6) and len(c) == 50 and c.ndim == 3
    np.testing.assert_array_equal(c[10:20], per_chunk(axis_angle_to_rot6d, x[10:20]))
    np.testing.assert_array_equal(np.asarray(c), per_chunk(axis_angle_to_rot6d, x))
    with pytest.raises(TypeError, match="sliced by frames"):
        c[[1, 2]]
