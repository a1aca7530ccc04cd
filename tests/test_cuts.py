"""Cuts (synsp.cuts): a jump to another shot, place or person is found, each side is refined alone, and nothing
else is taken for one (fast motion, a frame thrown away, a left/right inversion, missing joints)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.spatial.transform import Rotation

import synsp
from synsp.adapters import Smoother
from synsp.adapters.mmhuman3d import smooth_process
from synsp.api import refine_pose_file, refine_smpl
from synsp.cli import cli
from synsp.cuts import OnlineCuts, find_cuts, parts
from synsp.data.corpus import embedded_corpus_path, load_corpus
from synsp.inspection import describe, inspect_pose_file
from synsp.io.tracks import read_pose_file
from synsp.skeletons import get_skeleton
from synsp.stream import Stream
from synsp.validation import SynspInputError

FLIP = get_skeleton("h36m17").flip_permutation


def _clips(n=4):
    """Real motion: the embedded corpus's longest h36m17 clips (CMU mocap, metres)."""
    clips = [c.positions.astype(np.float64) for c in load_corpus(embedded_corpus_path(), skeleton="h36m17")]
    return sorted(clips, key=len, reverse=True)[:n]


def _joined(a, b, shift=(1.0, 0.0, 0.5)):
    """``a`` then ``b`` placed elsewhere: a cut at ``len(a)``."""
    return np.concatenate([a, b + np.asarray(shift)]), len(a)


def test_a_jump_to_another_clip_is_a_cut_and_motion_is_not():
    clips = _clips()
    for k, g in enumerate(clips):
        for speed in (1, 3):  # real motion, also played 3x faster, has no cut
            assert find_cuts(g[::speed], 30.0, flip=FLIP).size == 0
        other = clips[(k + 1) % len(clips)]
        x, at = _joined(g[:90], other[40:130])
        assert find_cuts(x, 30.0, flip=FLIP).tolist() == [at]
        # the same person in the same place in another pose (a cut between two takes of one clip) too
        x = np.concatenate([g[:90], g[200:290] - g[200, 0] + g[89, 0]])
        assert find_cuts(x, 30.0).tolist() in ([], [90])  # a small jump may pass; never anywhere else
        # float32 poses (the joints of an hour of rotations, kept at half the memory) are judged alike
        assert find_cuts(x.astype(np.float32), 30.0).tolist() == find_cuts(x, 30.0).tolist()
    # a jump in 2D pixels (another camera: scale and place) is found in any units
    g2 = clips[0][:, :, :2] * 400.0
    x2 = np.concatenate([g2[:60], g2[60:120] * 1.6 + 300.0])
    assert find_cuts(x2, 30.0).tolist() == [60]


def test_outliers_inversions_and_gaps_are_not_cuts_and_a_cut_in_a_gap_is_found():
    g = _clips(1)[0][:150]
    spike = g.copy()
    spike[70] += (1.5, 0.0, 0.0)  # one frame thrown far away jumps out and back: not a cut
    assert find_cuts(spike, 30.0).size == 0
    unpaired = []
    for c in _clips(4):
        flipped = c[:150].copy()
        flipped[60:100] = flipped[60:100][:, FLIP]  # a whole-body left/right inversion of 40 frames
        assert find_cuts(flipped, 30.0, flip=FLIP).size == 0  # the repair's, not a cut
        unpaired.append(find_cuts(flipped, 30.0).tolist())
    assert [60, 100] in unpaired  # without the skeleton's pairs a wide body's inversion looks like a cut
    x, at = _joined(g[:80], _clips(2)[1][:80])
    x[at - 3:at + 5] = np.nan  # the cut inside 8 missing frames: the part after it begins where it is seen again
    assert find_cuts(x, 30.0).tolist() == [at + 5]
    holes = g.copy()
    holes[:, :10] = np.nan  # fewer than half the joints in every frame: no evidence, no cut
    assert find_cuts(np.concatenate([holes[:80], holes[80:] + 2.0]), 30.0).size == 0
    with pytest.raises(SynspInputError, match="shape"):
        find_cuts(g[0])
    with pytest.raises(SynspInputError, match="cuts is 'no'; expected True or False"):
        synsp.refine(g, model="kalman-rts", cuts="no")
    with pytest.raises(SynspInputError, match="flip"):
        find_cuts(_joined(g[:80], g[80:])[0], 30.0, flip=[0, 1])


def test_parts_keep_every_part_long_enough():
    assert parts(100, [30, 60]) == [(0, 30), (30, 60), (60, 100)]
    assert parts(100, [2, 50, 97], least=4) == [(0, 50), (50, 100)]
    assert parts(100, [50, 52], least=4) == [(0, 50), (50, 100)]
    assert parts(10, []) == [(0, 10)]
    # a part too short to refine is kept apart (and left as it is) only when no joint in it is missing
    complete = np.ones(100, dtype=bool)
    assert parts(100, [1, 50], least=4, complete=complete) == [(0, 1), (1, 50), (50, 100)]
    complete[0] = False
    assert parts(100, [1, 50], least=4, complete=complete) == [(0, 50), (50, 100)]


def test_a_rest_pose_in_front_of_a_take_is_left_as_it_is():
    a, b = _clips(2)
    x = np.concatenate([b[:1] + (0.0, 0.0, 1.0), a[:120]])  # one frame of another pose elsewhere, then the take
    assert find_cuts(x, 30.0).tolist() == [1]
    out = synsp.refine(x, fps=30.0, skeleton="h36m17")
    assert np.array_equal(out[0], x[0])
    assert np.allclose(out[1:], synsp.refine(x[1:], fps=30.0, skeleton="h36m17"), atol=1e-6)
    y = x.copy()
    y[0, 3] = np.nan  # with a joint to fill, the one frame stays with the take (nothing left unfilled)
    out, filled = synsp.refine(y, fps=30.0, skeleton="h36m17", return_filled=True)
    assert np.isfinite(out).all() and filled[0, 3]


def test_a_rest_pose_turned_away_from_its_take_is_a_cut_and_an_inversion_is_not():
    """A mocap file's first frame: a rest pose turned half round from the take.  Under exchanged left and right
    labels its jump looks shorter (a body turned round looks half mirrored) but is still a jump: a cut, not an
    inversion (with the repair on, the repair may relabel such a frame first: an inversion and a turned rest
    pose look alike to it, docs/results.md *Cuts*)."""
    a, b = _clips(2)
    take = a[:150]
    turn = Rotation.from_euler("y", 170, degrees=True).as_matrix()
    rest = (b[:1] - b[:1].mean(1, keepdims=True)) @ turn.T + take[:1].mean(1, keepdims=True)
    x = np.concatenate([rest, take])
    sk = get_skeleton("h36m17")
    flipped = np.linalg.norm(x[1][list(FLIP)] - x[0], axis=-1).mean()
    assert flipped < 0.5 * np.linalg.norm(x[1] - x[0], axis=-1).mean()  # half mirrored indeed
    assert find_cuts(x, 30.0, skeleton=sk).tolist() == [1]
    out = synsp.refine(x, fps=30.0, skeleton="h36m17", repair=False)
    assert np.array_equal(out[0], x[0])  # the rest pose as it was
    assert np.allclose(out[1:], synsp.refine(x[1:], fps=30.0, skeleton="h36m17", repair=False), atol=1e-6)
    # an inversion (every pair exchanged for 40 frames) is still no cut, and is repaired
    y = take.copy()
    y[50:90] = y[50:90][:, list(FLIP)]
    assert find_cuts(y, 30.0, skeleton=sk).tolist() == []
    assert np.abs(synsp.refine(y, fps=30.0, skeleton="h36m17") - synsp.refine(take, fps=30.0, skeleton="h36m17")
                  ).max() < 1e-6


def test_the_repair_repairs_each_side_of_a_cut_alone():
    """Two recordings joined, the second with its arms' labels exchanged throughout (an estimator's whole take):
    seen from the first, the exchange starts at the cut; alone, the second has no evidence of it.  The repair of
    the joined track leaves the second as its own repair leaves it."""
    a, b = _clips(2)
    arms = [(1, 4), (2, 5), (3, 6), (11, 14), (12, 15), (13, 16)]  # h36m17's left/right pairs
    second = b[:150].copy()
    for left, right in arms[3:]:
        second[:, [left, right]] = second[:, [right, left]]
    x, at = _joined(a[:150], second, shift=(0.6, 0.0, 0.3))
    joined = synsp.refine(x, fps=30.0, skeleton="h36m17")
    assert np.allclose(joined[at:], synsp.refine(x[at:], fps=30.0, skeleton="h36m17"), atol=1e-6)
    assert np.allclose(joined[:at], synsp.refine(x[:at], fps=30.0, skeleton="h36m17"), atol=1e-6)


@pytest.mark.parametrize("model", ["kalman-rts", "synsp-universal-w16"])
def test_refine_does_not_spread_a_cut(model):
    a, b = _clips(2)
    x, at = _joined(a[:120], b[:120])
    x = x.astype(np.float32)
    near = slice(at - 10, at + 10)
    err = lambda y: float(np.linalg.norm(y[near] - x[near], axis=-1).mean())  # noqa: E731
    whole = synsp.refine(x, model=model, fps=30.0, skeleton="h36m17", cuts=False)
    alone = synsp.refine(x, model=model, fps=30.0, skeleton="h36m17")
    assert alone.shape == x.shape and alone.dtype == np.float32 and np.isfinite(alone).all()
    assert err(whole) > 0.03  # the jump spread over its neighbours: centimetres
    assert err(alone) < 0.01 and err(alone) < 0.2 * err(whole)
    # each side is what refining it alone gives
    first = synsp.refine(x[:at], model=model, fps=30.0, skeleton="h36m17")
    assert np.allclose(alone[:at], first, atol=1e-5)


def test_persons_are_cut_at_their_own_cuts_and_missing_joints_are_filled():
    a, b = _clips(2)
    x1, at = _joined(a[:100], b[:100])
    x2 = np.concatenate([b[:200]])  # the second person: no cut
    x = np.stack([x1, x2 + (3.0, 0.0, 0.0)], axis=1)
    x[30, 0, 4] = np.nan
    out, filled = synsp.refine(x, model="kalman-rts", fps=30.0, skeleton="h36m17", return_filled=True)
    assert out.shape == x.shape and np.isfinite(out).all() and filled[30, 0, 4] and filled.sum() == 1
    alone = synsp.refine(x[:, 1], model="kalman-rts", fps=30.0, skeleton="h36m17")
    assert np.allclose(out[:, 1], alone)
    assert np.linalg.norm(out[at - 5:at + 5, 0] - x1[at - 5:at + 5], axis=-1).mean() < 0.01


def test_pose_file_summary_names_the_cut_frames_and_cli(tmp_path):
    a, b = _clips(2)
    x, at = _joined(a[:100], b[:100])
    path = tmp_path / "joined.npy"
    np.save(path, x[:, None].astype(np.float32))
    pose_file = read_pose_file(path)
    refined, summary = refine_pose_file(pose_file, model="kalman-rts", fps=30.0)
    assert summary["cuts"] == {pose_file.tracks[0].track_id: [at]}
    _, off = refine_pose_file(pose_file, model="kalman-rts", fps=30.0, cuts=False)
    assert off["cuts"] == {}
    runner = CliRunner()
    res = runner.invoke(cli, ["refine", str(path), "-o", str(tmp_path / "out.npy"), "--model", "kalman-rts",
                              "--fps", "30"])
    assert res.exit_code == 0, res.output
    assert f"at frames: track 0: {at}" in res.output
    res = runner.invoke(cli, ["refine", str(path), "-o", str(tmp_path / "off.npy"), "--model", "kalman-rts",
                              "--fps", "30", "--no-cuts"])
    assert res.exit_code == 0 and "cuts" not in res.output
    near = slice(at - 5, at + 5)
    on, off = np.load(tmp_path / "out.npy")[:, 0], np.load(tmp_path / "off.npy")[:, 0]
    err = lambda y: np.linalg.norm(y[near] - x[near], axis=-1).mean()  # noqa: E731
    assert err(on) < 0.2 * err(off)
    json.dumps(summary["cuts"])  # plain ints: a summary can be written as JSON
    np.save(tmp_path / "plain.npy", a[:100, None].astype(np.float32))  # several files: the table counts cuts
    res = runner.invoke(cli, ["refine", str(path), str(tmp_path / "plain.npy"), "-o", str(tmp_path / "many"),
                              "--model", "kalman-rts", "--fps", "30", "--workers", "1"])
    assert res.exit_code == 0, res.output
    lines = {line.split("|")[1].strip(): line for line in res.output.splitlines() if line.startswith("| ")}
    assert "1 cut(s)" in lines[str(path)] and "cut" not in lines[str(tmp_path / "plain.npy")]
    # synsp inspect says where refining would cut, before any refining
    info = inspect_pose_file(pose_file, model="kalman-rts", fps=30.0)
    assert info["cuts"] == {pose_file.tracks[0].track_id: [at]}
    assert any("cuts" in line and str(at) in line for line in describe(info))
    res = runner.invoke(cli, ["inspect", str(path), "--fps", "30", "--json"])
    assert res.exit_code == 0 and json.loads(res.output[res.output.index("{"):])["cuts"] == {"0": [at]}


def test_online_detector_finds_what_the_offline_one_finds():
    rng = np.random.default_rng(0)
    rest = arms = 0
    clips = _clips(4)
    for case in range(40):
        a, b = clips[rng.integers(4)], clips[rng.integers(4)]
        shift = rng.normal(size=3) * rng.choice([0, 1])
        x = np.concatenate([a[:rng.integers(20, 120)], b[:rng.integers(20, 120)] + shift])
        x = x + rng.normal(0, 0.01, x.shape)  # jitter
        if case % 2:  # absent frames and missing joints
            x[rng.random(len(x)) < 0.1] = np.nan
            x[rng.random(x.shape[:2]) < 0.05] = np.nan
        if case % 3 == 0:  # a whole-body inversion: not a cut with the pairs
            x[30:60] = x[30:60][:, FLIP]
        if case % 4 == 2:  # the arms alone: not a cut with the skeleton (each limb group's inversion)
            x[25:45, [11, 12, 13, 14, 15, 16]] = x[25:45, [14, 15, 16, 11, 12, 13]]
        if case % 5 == 2 and np.isfinite(x[:2]).all():  # a rest pose turned round in front: half mirrored, a cut
            x[0] = (x[0] - np.nanmean(x[0], 0)) * np.array([-1.0, 1.0, -1.0]) + np.nanmean(x[1], 0)
        ok = np.isfinite(x).all(-1)
        flip = FLIP if case % 3 == 0 else None
        sk = get_skeleton("h36m17") if case % 2 == 0 else None
        online = OnlineCuts(17, 30.0, flip, skeleton=sk)
        decided = [d for t in range(len(x)) for d in online.push(x[t] if ok[t].any() else None, ok[t], t)]
        decided += online.finish()
        assert [t for t, _ in decided] == list(range(len(x)))  # every frame once, in order
        offline = find_cuts(x, 30.0, ok, flip) if sk is None else find_cuts(x, 30.0, ok, skeleton=sk)
        assert [t for t, cut in decided if cut] == offline.tolist()
        if sk is not None:
            rest += case % 5 == 2 and 1 in offline.tolist()
            arms += case % 4 == 2 and not {25, 45} & set(offline.tolist())
    assert rest >= 2 and arms == 10  # the turned rest poses found, the arms' inversions not taken for cuts


def _stream(x, **kw):
    stream = Stream("synsp-universal-w8", skeleton="h36m17", **kw)
    out = []
    for frame in x:
        out += stream.push(frame)
    out += stream.flush()[0]
    return np.array(out), stream


def test_a_stream_cuts_where_offline_refinement_cuts():
    a, b = _clips(2)
    x, at = _joined(a[:100], b[:100])
    on, stream = _stream(x)
    assert stream.cuts and on.shape == x.shape
    np.testing.assert_allclose(on, synsp.refine(x, model="synsp-universal-w8", fps=30.0, skeleton="h36m17",
                                                repair=False), atol=1e-6)
    off, _ = _stream(x, cuts=False)
    np.testing.assert_allclose(off, synsp.refine(x, model="synsp-universal-w8", fps=30.0, skeleton="h36m17",
                                                 repair=False, cuts=False), atol=1e-6)
    near = slice(at - 5, at + 5)
    assert np.abs(on[near] - x[near]).max() < 0.1 * np.abs(off[near] - x[near]).max()
    # with times and an absence over the cut: each frame once, under its time
    stream = Stream("synsp-universal-w8", skeleton="h36m17")
    times = [t for t in range(len(x)) if not at - 3 <= t < at]
    frames, when = [], []
    for f in [stream.push(x[t], time=t) for t in times] + [stream.flush()[0]]:
        frames += f
        when += f.times
    assert when == times and np.isfinite(np.array(frames)).all()
    # without skeleton=, the skeleton offline refinement would take for 17 3D joints tells an inversion from a cut
    flipped = next(f for f in (np.concatenate([c[:60], c[60:150][:, FLIP]]) for c in _clips(4))
                   if find_cuts(f, 30.0).size)  # a whole-body inversion that looks like a cut without the pairs
    assert find_cuts(flipped, 30.0, flip=FLIP).size == 0
    stream = Stream("synsp-universal-w8")
    frames = [f for t in range(len(flipped)) for f in stream.push(flipped[t])] + list(stream.flush()[0])
    np.testing.assert_allclose(np.array(frames), synsp.refine(flipped, model="synsp-universal-w8", repair=False),
                               atol=1e-6)
    # a stream without delay cannot cut (the jump is known after it was given out); rotations are not cut
    assert not Stream("synsp-universal-w8", causal=True).cuts
    with pytest.raises(SynspInputError, match="zero-delay"):
        Stream("synsp-universal-w8", causal=True, cuts=True)
    with pytest.raises(SynspInputError, match="cuts"):
        Stream("synsp-universal-w8", cuts="yes")


def test_the_drop_ins_refine_each_side_of_a_cut_alone_as_synsp_refine():
    a, b = _clips(2)
    x, at = _joined(a[:60], b[:60])
    near = slice(at - 10, at + 10)
    err = lambda y: float(np.linalg.norm(y[near] - x[near], axis=-1).mean())  # noqa: E731
    assert err(synsp.refine(x, cuts=False)) > 0.03
    # MMPose's Smoother with synsp's methods, offline, 3D keypoints: as synsp.refine on the track (repair off)
    for method in ("synsp", "kalman-rts"):
        smoother = Smoother(method, keypoint_dim=3, frame_rate=30.0)
        offline = np.stack([f[0]["keypoints"] for f in smoother.smooth([[{"keypoints": x[t], "track_id": 0}]
                                                                        for t in range(len(x))])])
        assert not smoother.relabelled and err(offline) < 0.01
        want = synsp.refine(x, model=None if method == "synsp" else method, fps=30.0, repair=False)
        np.testing.assert_allclose(offline, want, atol=1e-9)
    # MMHuman3D's smooth_process('synsp'), each person alone
    two = np.stack([x, x[::-1]], axis=1)
    expected = np.stack([synsp.refine(two[:, p], repair=False) for p in range(2)], axis=1)
    np.testing.assert_allclose(smooth_process(two, "synsp", repair=False), expected, atol=1e-6)


def _smpl_joined():
    """Two corpus clips' SMPL-24 rotations, the second turned round 120 degrees about the vertical (another take):
    a cut at the join."""
    clips = [c.rotations.astype(np.float64) for c in load_corpus(embedded_corpus_path(), rotations=True,
                                                                  phases="first") if len(c.rotations) >= 90]
    a, b = clips[0][:90], clips[1][:90].copy()
    turn = Rotation.from_euler("y", 120, degrees=True)
    b[:, 0] = (turn * Rotation.from_rotvec(b[:, 0])).as_rotvec()
    return np.concatenate([a, b]), 90


def test_rotations_are_cut_where_the_body_jumps():
    x, at = _smpl_joined()
    trans = np.concatenate([np.zeros((at, 3)), np.ones((len(x) - at, 3))])
    out, tr = refine_smpl(x, trans=trans)
    first, first_tr = refine_smpl(x[:at], trans=trans[:at])
    np.testing.assert_allclose(out[:at], first, atol=1e-9)
    np.testing.assert_allclose(tr[:at], first_tr, atol=1e-9)
    whole, whole_tr = refine_smpl(x, trans=trans, cuts=False)
    assert np.abs(whole - out).max() > 0.05 and np.abs(whole_tr[at - 3:at + 3] - trans[at - 3:at + 3]).max() > 0.1
    assert np.abs(tr[at - 3:at + 3] - trans[at - 3:at + 3]).max() < 0.01
    # a rest pose (all zeros) in front of the take: one frame, left as it is; the take refined alone
    rest = np.concatenate([np.zeros((1, 24, 3)), x[:at]])
    out, _ = refine_smpl(rest)
    assert np.array_equal(out[0], rest[0]) and np.allclose(out[1:], first, atol=1e-9)


def test_a_rotation_file_is_cut_and_the_cli_says_where(tmp_path):
    x, at = _smpl_joined()
    path = tmp_path / "joined.npz"
    np.savez(path, poses=x.reshape(len(x), -1), trans=np.zeros((len(x), 3)), mocap_framerate=30.0)
    pose_file = read_pose_file(path)
    _, summary = refine_pose_file(pose_file)
    assert summary["cuts"] == {pose_file.tracks[0].track_id: [at]}
    _, off = refine_pose_file(pose_file, cuts=False)
    assert off["cuts"] == {}
    assert inspect_pose_file(pose_file)["cuts"] == summary["cuts"]
    res = CliRunner().invoke(cli, ["refine", str(path), "-o", str(tmp_path / "out.npz")])
    assert res.exit_code == 0, res.output
    assert f": {at}" in res.output.split("cuts")[1]


def test_a_whole_body_is_judged_on_its_body_joints():
    # COCO-WholeBody: 23 body points, then face and hands, which here score below the threshold in every frame
    a, b = _clips(2)
    body = lambda g: np.concatenate([g[:, :17], g[:, [3, 3, 3, 6, 6, 6]]], axis=1)  # noqa: E731  (feet: ankles)
    x = np.concatenate([body(a[:100]), body(b[:100]) + (1.0, 0.0, 0.5)])
    rest = np.repeat(x[:, :1], 110, axis=1) + np.random.default_rng(0).normal(0, 0.01, (len(x), 110, 3))
    x = np.concatenate([x, rest], axis=1)  # (200, 133, 3)
    conf = np.ones(x.shape[:2])
    conf[:, 23:] = 0.1
    sk = get_skeleton("coco133")
    assert find_cuts(x, 30.0, conf >= 0.3).size == 0  # 23 of 133 points: no frame counts
    assert find_cuts(x, 30.0, conf >= 0.3, skeleton=sk).tolist() == [100]
    near = (slice(95, 105), slice(0, 23))
    err = lambda y: float(np.linalg.norm(y[near] - x[near], axis=-1).mean())  # noqa: E731
    on, off = (synsp.refine(x, model="kalman-rts", fps=30.0, skeleton="coco133", confidence=conf, cuts=c)
               for c in (True, False))
    assert err(on) < 0.2 * err(off)
    online = OnlineCuts(133, 30.0, skeleton=sk)
    decided = [d for t in range(len(x)) for d in online.push(x[t], conf[t] >= 0.3, t)] + online.finish()
    assert [t for t, cut in decided if cut] == [100]
