"""Calibrated 2D cameras: geometry (synsp.calibration), calibration files (synsp.io.cameras) and the cameras' left/right
labels made to agree (synsp.view_labels.agree_cameras) before each camera's keypoints are refined."""

import functools
import warnings
from pathlib import Path

import numpy as np
import pytest

import synsp
from synsp.calibration import check_cameras, distort, project, triangulate, undistort
from synsp.data.cameras import random_camera
from synsp.data.cameras import project as to_pixels
from synsp.data.positions import split_positions
from synsp.io._common import read_npz
from synsp.io.cameras import read_cameras
from synsp.repair import decided_pairs, limb_groups, relabel, repair_inversions
from synsp.validation import SynspInputError
from synsp.view_labels import agree_cameras

NAMES = tuple(limb_groups("h36m17"))
POSE2SIM = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "pose2sim"
BODY_33 = [11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]


@functools.lru_cache(maxsize=None)
def _truth(k: int) -> np.ndarray:
    """A test clip's h36m17 joints in metres, standing on the floor in the world (y up)."""
    return [gt for gt, _ in split_positions("h36m17", "test", "3d")][k]


def _cameras(k: int, count: int = 4):
    """``count`` random cameras around clip ``k`` (yaws spread over the circle), as :mod:`synsp.calibration` wants
    them, and the clip seen by each with 2 px of noise ``(T, C, 17, 2)``."""
    gt = _truth(k)
    rng = np.random.default_rng(k)
    centre = gt.reshape(-1, 3).mean(0)
    radius = float(np.linalg.norm(gt.reshape(-1, 3) - centre, axis=-1).max())
    cams = [random_camera(rng, centre, radius=radius, yaw_deg=(360 * c / count, 360 * c / count + 40),
                          image_sizes=[(1920, 1080)]) for c in range(count)]
    pixels = np.stack([to_pixels(gt, c)[0] for c in cams], 1) + rng.normal(0.0, 2.0, (len(gt), count, 17, 2))
    K = np.array([[[c.focal[0], 0, c.principal[0]], [0, c.focal[1], c.principal[1]], [0, 0, 1]] for c in cams])
    return dict(K=K, R=np.stack([c.R for c in cams]), t=np.stack([c.t for c in cams])), pixels


def test_points_are_undistorted_triangulated_and_projected_back():
    """Pixels of the Pose2Sim demo's distorted cameras: the normalised points distorted again give the pixels; points
    triangulated from four cameras project back onto each within a thousandth of a pixel (no noise)."""
    cams = check_cameras(read_npz(POSE2SIM / "cameras.npz"))
    rng = np.random.default_rng(0)
    X = rng.normal(0.0, 0.3, (20, 5, 3)) + np.array([0.0, 1.0, 0.0])  # about a person's place in the demo
    seen = np.stack([project(X, cams["R"][c], cams["t"][c]) for c in range(4)], 1)  # (T, C, J, 2) normalised
    k1, k2, p1, p2, k3 = cams["dist"][1]
    x, y = seen[:, 1, ..., 0], seen[:, 1, ..., 1]
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
    xd, yd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x), y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    K = cams["K"][1]
    px = np.stack([K[0, 0] * xd + K[0, 2], K[1, 1] * yd + K[1, 2]], -1)
    inside = (np.abs(seen[:, 1]) < 0.6).all(-1)  # the fixed point converges inside the image
    assert inside.mean() > 0.8
    np.testing.assert_allclose(undistort(px, K, cams["dist"][1])[inside], seen[:, 1][inside], atol=1e-9)
    back = triangulate(seen, np.ones(seen.shape[:-1]), cams["R"], cams["t"])
    np.testing.assert_allclose(back, X, atol=1e-9)
    one = np.ones(seen.shape[:-1])
    one[:, 1:] = 0  # one camera alone cannot triangulate
    assert np.isnan(triangulate(seen, one, cams["R"], cams["t"])).all()


def test_fisheye_cameras_undistort_by_their_own_model():
    """OpenCV's fisheye model draws a point at angle theta from the axis at radius theta (1 + k1 theta^2 + ... + k4
    theta^8): without coefficients a point 45 degrees off the axis lies pi / 4 from the centre and goes back to
    radius 1; with GoPro-like coefficients points up to 80 degrees off the axis go back to where they were; a radius
    no angle below 90 degrees reaches is NaN, not a point on the wrong side."""
    K = np.array([[600.0, 0.0, 960.0], [0.0, 600.0, 540.0], [0.0, 0.0, 1.0]])
    none = np.zeros(5)
    np.testing.assert_allclose(undistort(np.array([960 + 600 * np.pi / 4, 540.0]), K, none, fisheye=True),
                               [1.0, 0.0], atol=1e-12)
    k = np.array([-0.02, 0.01, -0.004, 0.0005, 0.0])
    rng = np.random.default_rng(3)
    theta, phi = rng.uniform(0, np.radians(80), 500), rng.uniform(-np.pi, np.pi, 500)
    points = np.tan(theta)[:, None] * np.stack([np.cos(phi), np.sin(phi)], -1)
    theta_d = theta * (1 + k[0] * theta ** 2 + k[1] * theta ** 4 + k[2] * theta ** 6 + k[3] * theta ** 8)
    px = K[:2, 2] + 600 * theta_d[:, None] * np.stack([np.cos(phi), np.sin(phi)], -1)
    np.testing.assert_allclose(undistort(px, K, k, fisheye=True), points, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(distort(points, K, k, fisheye=True), px, atol=1e-8)
    assert np.isnan(undistort(np.array([960 + 600 * 3.0, 540.0]), K, none, fisheye=True)).all()  # beyond 90 degrees
    pin = np.array([-0.1, 0.02, 0.001, -0.002, 0.01])
    np.testing.assert_allclose(undistort(distort(points[:50] * 0.3, K, pin), K, pin), points[:50] * 0.3, atol=1e-9)


def test_fisheye_cameras_agree_on_labels_as_pinhole_ones():
    """Five cameras of which two are wide-angle fisheye lenses close to the person (their pixels drawn by the fisheye
    model, up to about 50 degrees off the axis): a fisheye camera labelled the wrong way round throughout and a pinhole
    camera's arms over half the take are relabelled as among pinhole cameras; triangulated with each camera's own
    model, the joints are half as far from the truth as when the fisheye pixels are read as pinhole ones."""
    gt = _truth(7)
    rng = np.random.default_rng(70)
    centre = gt.reshape(-1, 3).mean(0)
    radius = float(np.linalg.norm(gt.reshape(-1, 3) - centre, axis=-1).max())
    k = np.array([-0.03, 0.01, -0.002, 0.0003, 0.0])
    fisheye = np.array([True, False, True, False, False])
    K, R, t, px = [], [], [], []
    for c in range(5):
        cam = random_camera(rng, centre, radius=radius, yaw_deg=(72 * c, 72 * c + 30), image_sizes=[(1920, 1080)],
                            **(dict(focal=(350.0, 350.0), distance=(0.5, 0.6)) if fisheye[c] else {}))
        K.append([[cam.focal[0], 0, cam.principal[0]], [0, cam.focal[1], cam.principal[1]], [0, 0, 1]])
        R.append(cam.R)
        t.append(cam.t)
        px.append(distort(project(gt, cam.R, cam.t), np.array(K[-1]), k if fisheye[c] else np.zeros(5), fisheye[c]))
    cams = dict(K=np.array(K), R=np.array(R), t=np.array(t), dist=np.where(fisheye[:, None], k, 0.0), fisheye=fisheye)
    px = np.stack(px, 1) + rng.normal(0.0, 2.0, (len(gt), 5, 17, 2))
    wide = np.degrees(np.arctan(np.linalg.norm(undistort(px[:, 0], cams["K"][0], k, fisheye=True), axis=-1)))
    assert 40 < wide.max() < 80
    mask = np.zeros(px.shape[:2] + (len(NAMES),), dtype=bool)
    mask[:, 0] = True
    mask[len(px) // 2:, 3, NAMES.index("arms")] = True
    got = agree_cameras(relabel(px, mask, "h36m17", NAMES), cams, "h36m17")
    assert (got.flipped == mask).mean() > 0.995

    def error(lens):  # mean distance of the triangulated joints to the truth
        seen = np.stack([undistort(px[:, c], cams["K"][c], cams["dist"][c], fisheye=lens[c]) for c in range(5)], 1)
        return np.linalg.norm(triangulate(seen, np.ones(seen.shape[:-1]), cams["R"], cams["t"]) - gt, axis=-1).mean()

    assert error(fisheye) < 0.6 * error(np.zeros(5, dtype=bool))
    with pytest.raises(SynspInputError, match="4"):
        check_cameras({**cams, "dist": np.ones((5, 5))})
    with pytest.raises(SynspInputError, match="fisheye"):
        check_cameras({**cams, "fisheye": np.array([0.5] * 5)})


def test_a_camera_labelled_the_wrong_way_round_throughout_is_relabelled_and_agreeing_cameras_are_left_alone():
    """Five cameras around a test clip: one camera's labels exchanged for the whole take (invisible to its own
    motion) and a second camera's arms over half of it are given back (three cameras against two there); where
    they agree nothing is relabelled; in 2D each camera is refined alone afterwards."""
    for k in (2, 7):
        cams, px = _cameras(k, 5)
        assert not agree_cameras(px, cams, "h36m17").flipped.any()
        mask = np.zeros(px.shape[:2] + (len(NAMES),), dtype=bool)
        mask[:, 1] = True
        mask[len(px) // 2:, 3, NAMES.index("arms")] = True
        got = agree_cameras(relabel(px, mask, "h36m17", NAMES), cams, "h36m17")
        assert (got.flipped == mask).mean() > 0.995
    refined = synsp.refine(relabel(px, mask, "h36m17", NAMES), views=True, cameras=cams, skeleton="h36m17")
    np.testing.assert_allclose(refined, synsp.refine(px, views=True, skeleton="h36m17"), atol=1e-6)


@functools.lru_cache(maxsize=None)
def _walk() -> np.ndarray:
    """A walking clip of the embedded corpus, COCO-17 joints in metres (y up)."""
    from synsp.data.corpus import embedded_corpus_path, load_corpus

    clips = load_corpus(embedded_corpus_path(), skeleton="coco17")
    return next(c.positions for c in clips if c.clip_id.endswith("walking_14#s0p0")).astype(np.float64)


def _ring(count: int, seed: int = 1):
    """``count`` cameras on a circle of 7 m around the walk, level with it, looking at its middle (as a capture
    room's: some see the person from the side, some from in front or behind), OpenCV's convention, and the walk
    seen by each with 2 px of noise ``(T, C, 17, 2)``, projected here, not by :mod:`synsp.calibration`."""
    gt = _walk()
    target = gt.reshape(-1, 3).mean(0)
    K, R, t = [], [], []
    for c in range(count):
        a = 0.3 + 2 * np.pi * c / count
        centre = target + np.array([7 * np.cos(a), 0.6, 7 * np.sin(a)])
        z = (target - centre) / np.linalg.norm(target - centre)
        y = np.array([0.0, -1.0, 0.0]) - z[1] * -z
        y /= np.linalg.norm(y)
        rot = np.stack([np.cross(y, z), y, z])
        f = 1100.0 + 150 * c
        K.append([[f, 0, 960], [0, f, 540], [0, 0, 1]])
        R.append(rot)
        t.append(-rot @ centre)
    cams = dict(K=np.array(K), R=np.array(R), t=np.array(t))
    inside = np.einsum("tjd,ced->tcje", gt, cams["R"]) + cams["t"][:, None]
    px = np.einsum("cab,tcjb->tcja", cams["K"][:, :2, :2], inside[..., :2] / inside[..., 2:])
    px += cams["K"][:, None, :2, 2]
    return cams, px + np.random.default_rng(seed).normal(0.0, 2.0, px.shape)


@pytest.mark.parametrize("wrong", [(3,), (1, 3), (1, 4)])
def test_cameras_seen_from_behind_labelled_the_wrong_way_round_are_the_ones_relabelled(wrong):
    """Cameras on a ring around a walk, those of ``wrong`` labelled the wrong way round throughout (four cameras, one
    of them; five cameras, two of them): exactly those are relabelled, in every group and frame.  Each camera judged
    against the triangulation of all the others followed the cameras seen from in front or behind, the ones estimators
    flip, and the right cameras were relabelled (one of four: cameras 0 and 2's arms in 115 of 169 frames; two of
    five: the three right cameras throughout)."""
    cams, px = _ring(4 if len(wrong) == 1 else 5)
    mask = np.zeros(px.shape[:2] + (3,), dtype=bool)
    mask[:, list(wrong)] = True
    got = agree_cameras(relabel(px, mask, "coco17", tuple(decided_pairs("coco17"))), cams, "coco17")
    np.testing.assert_array_equal(got.flipped, mask)
    np.testing.assert_allclose(got.poses, px)


def test_two_cameras_are_not_compared_and_say_so():
    """Two cameras cannot tell which one is right: a warning says their labels are not compared, and nothing is
    relabelled (it was a silent no-op while the summary said the labels agreed)."""
    cams, px = _ring(4)
    two = {k: v[:2] for k, v in cams.items()}
    mask = np.zeros((len(px), 2, 3), dtype=bool)
    mask[:, 1] = True
    with pytest.warns(UserWarning, match="with 2 cameras the left/right labels are not compared"):
        got = agree_cameras(relabel(px[:, :2], mask, "coco17", ("arms", "legs", "head")), two, "coco17")
    assert not got.flipped.any()


def test_a_calibration_that_does_not_match_the_inputs_is_refused():
    """Cameras given camera-to-world (R^T, -R^T t) or in another order than the inputs: most cameras see the person
    elsewhere than the others, and the calibration is refused in one line, not a warning per camera."""
    cams, px = _ring(4)
    flipped = dict(K=cams["K"], R=cams["R"].transpose(0, 2, 1), t=-np.einsum("cba,cb->ca", cams["R"], cams["t"]))
    shuffled = {k: v[[1, 0, 3, 2]] for k, v in cams.items()}
    for wrong in (flipped, shuffled):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(SynspInputError, match="the calibration probably does not match the inputs"):
                agree_cameras(px, wrong, "coco17")


def test_cameras_with_a_sheared_rotation_or_a_focal_length_not_above_zero_are_refused(tmp_path):
    """A rotation with determinant 1 that is not orthonormal (sheared), a zero or negative focal length: each one clear
    error naming the camera, not NumPy's warnings and wrong points; a Pose2Sim table without ``matrix`` is named,
    not skipped (the cameras were then one fewer than the inputs)."""
    cams, _ = _ring(3)
    shear = cams["R"].copy()
    shear[1] = np.array([[1.0, 0.2, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]) @ shear[1]
    assert abs(np.linalg.det(shear[1]) - 1) < 1e-9
    with pytest.raises(SynspInputError, match="camera at index 1 is not a rotation matrix"):
        check_cameras({**cams, "R": shear})
    for focal in (0.0, -1100.0):
        K = cams["K"].copy()
        K[2, 0, 0] = focal
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(SynspInputError, match="camera at index 2 has focal lengths"):
                check_cameras({**cams, "K": K})
    tables = []
    for c in range(3):
        tables += [f"[cam_{c + 1:02d}]", "distortions = [0.0, 0.0, 0.0, 0.0]", "rotation = [0.0, 0.0, 0.0]",
                   "translation = [0.0, 0.0, 5.0]"] + (["matrix = [[1000.0, 0, 960], [0, 1000.0, 540], [0, 0, 1]]"]
                                                       if c != 1 else []) + [""]
    (tmp_path / "calib.toml").write_text("\n".join(tables + ["[metadata]", "adjusted = false"]))
    with pytest.raises(SynspInputError, match=r"\[cam_02\] lacks matrix"):
        read_cameras(tmp_path / "calib.toml")


def test_a_camera_that_follows_someone_else_is_left_out_and_named():
    """A camera whose estimator followed another person: left out of the comparison (a warning names it); the other
    cameras' labels are judged among themselves."""
    cams, px = _cameras(7)
    other = px.copy()
    other[:, 2] = _cameras(2)[1][: len(px), 2]  # another clip, seen elsewhere in that camera's image
    mask = np.zeros(px.shape[:2] + (len(NAMES),), dtype=bool)
    mask[:, 0] = True
    with pytest.warns(UserWarning, match="the camera at index 2 sees the person elsewhere"):
        got = agree_cameras(relabel(other, mask, "h36m17", NAMES), cams, "h36m17")
    assert (got.flipped[:, [0, 1, 3]] == mask[:, [0, 1, 3]]).mean() > 0.99 and not got.flipped[:, 2].any()


def test_real_cameras_the_person_seen_from_behind_comes_closer_to_the_other_models_and_nothing_else_moves():
    """The Pose2Sim demo's calibrated cameras, MediaPipe's full model, each camera repaired alone first: camera 2
    (the person seen from behind) gets labels closer to the heavy model's there (14.5 -> 11.3 px); in the
    multi-person demo camera 3 follows another person: it is named and nothing is relabelled."""
    cams = read_cameras(POSE2SIM / "cameras.npz")

    def cameras_of(demo, model):
        files = [read_npz(POSE2SIM / f"{demo}_cam{c + 1}.npz") for c in range(4)]
        x = np.stack([np.asarray(f[model], dtype=np.float64) for f in files], 1)
        return np.stack([repair_inversions(x[:, c, :, :2], "mediapipe33", x[:, c, :, 2]).poses
                         for c in range(4)], 1), x[..., 2]

    def to_heavy(y, heavy):
        return np.nanmean(np.linalg.norm(y[:, :, BODY_33] - heavy[:, :, BODY_33], axis=-1), axis=(0, 2))

    heavy, _ = cameras_of("single_person", "heavy")
    full, vis = cameras_of("single_person", "full")
    got = agree_cameras(full, cams, "mediapipe33", vis)
    before, after = to_heavy(full, heavy), to_heavy(got.poses, heavy)
    assert after[1] < before[1] - 2 and np.allclose(after[[0, 2, 3]], before[[0, 2, 3]])
    lite, vis = cameras_of("multi_person", "lite")
    with pytest.warns(UserWarning, match="the camera at index 2 sees the person elsewhere"):
        assert not agree_cameras(lite, cams, "mediapipe33", vis).flipped.any()


def test_calibration_files_toml_and_npz_and_their_mistakes(tmp_path):
    """A Pose2Sim / anipose TOML (Rodrigues rotations, 4 distortions) reads as the npz it was written from; a file
    that lacks a key, a fisheye camera with 5 distortions, a fisheye flag that is not true or false, broken TOML,
    another extension or camera arrays of the wrong shape are each one clear error; a fisheye camera with its 4
    coefficients is read as one."""
    from synsp.geometry import matrix_to_axis_angle

    cams = read_cameras(POSE2SIM / "cameras.npz")
    lines = []
    for c in range(4):
        rvec = np.asarray(matrix_to_axis_angle(cams["R"][c]))
        lines += [f"[cam_{c + 1:02d}]", f'name = "cam{c + 1}"', "size = [ 1080.0, 1920.0]",
                  f"matrix = {[list(map(float, r)) for r in cams['K'][c]]}",
                  f"distortions = {list(map(float, cams['dist'][c][:4]))}",
                  f"rotation = {list(map(float, rvec))}", f"translation = {list(map(float, cams['t'][c]))}",
                  "fisheye = false", ""]
    lines += ["[metadata]", "adjusted = false", "error = 0.0"]
    (tmp_path / "Calib.toml").write_text("\n".join(lines))
    got = read_cameras(tmp_path / "Calib.toml")
    for key in ("K", "R", "t"):
        np.testing.assert_allclose(got[key], cams[key], atol=1e-9)
    np.testing.assert_allclose(got["dist"][:, :4], cams["dist"][:, :4])
    assert list(got["names"]) == ["cam1", "cam2", "cam3", "cam4"]
    fish = "\n".join(lines).replace("fisheye = false", "fisheye = true", 1)
    (tmp_path / "fish.toml").write_text(fish)
    assert list(read_cameras(tmp_path / "fish.toml")["fisheye"]) == [True, False, False, False]
    five = "distortions = [0.0, 0.0, 0.0, 0.0, 0.0]"
    bad = {"lacks.toml": "\n".join(x for x in lines if not x.startswith("rotation")),
           "fisheye.toml": "\n".join(x if not x.startswith("distortions") else five for x in fish.split("\n")),
           "flag.toml": "\n".join(lines).replace("fisheye = false", 'fisheye = "yes"', 1),
           "broken.toml": "[cam_01\nmatrix = ",
           "cams.json": "{}"}
    for name, text in bad.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(SynspInputError, match=name):
            read_cameras(tmp_path / name)
    np.savez(tmp_path / "short.npz", K=cams["K"], R=cams["R"][:3], t=cams["t"])
    with pytest.raises(SynspInputError, match="the same count"):
        read_cameras(tmp_path / "short.npz")
    with pytest.raises(SynspInputError, match="one camera per view"):
        check_cameras(cams, count=3)
    with pytest.raises(SynspInputError, match="calibrates 2D views"):
        synsp.refine(np.zeros((10, 4, 17, 3)), views=True, cameras=cams)


def test_the_cli_takes_a_calibration_with_views_and_refuses_it_alone_or_on_3d(tmp_path, capsys):
    from synsp.cli import main

    cams, px = _cameras(7)
    np.savez(tmp_path / "cams.npz", **cams)
    mask = np.zeros(px.shape[:2] + (len(NAMES),), dtype=bool)
    mask[:, 1] = True
    np.save(tmp_path / "views.npy", relabel(px, mask, "h36m17", NAMES))

    def run(*args):
        code = main(list(args))
        capsys.readouterr()
        return code

    out = tmp_path / "out.npy"
    assert run("refine", str(tmp_path / "views.npy"), "-o", str(out), "--views", "--cameras",
               str(tmp_path / "cams.npz"), "--skeleton", "h36m17") == 0
    np.testing.assert_allclose(np.load(out), synsp.refine(px, views=True, skeleton="h36m17"), atol=1e-6)
    for extra in (["--cameras", str(tmp_path / "cams.npz")], ["--views", "--cameras", str(tmp_path / "none.toml")]):
        target = tmp_path / "no.npy"
        assert run("refine", str(tmp_path / "views.npy"), "-o", str(target), *extra) == 2 and not target.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.save(tmp_path / "three.npy", np.zeros((40, 4, 17, 3)) + np.arange(17)[:, None])
    assert run("refine", str(tmp_path / "three.npy"), "-o", str(tmp_path / "t.npy"), "--views", "--cameras",
               str(tmp_path / "cams.npz")) == 2


@pytest.mark.parametrize("frames", [1, 2, 3, 12])
def test_short_takes_missing_views_and_unusable_cameras_come_back_unchanged_in_shape(frames):
    """Degenerate input never crashes: a few frames, a view or camera missing throughout, every point missing;
    an empty take is one clear error, and so are points that no camera sees where the others do (random pixels: the
    calibration does not match them)."""
    from synsp.view_labels import agree_views

    cams = read_cameras(POSE2SIM / "cameras.npz")
    rng = np.random.default_rng(frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cameras that see nothing consistent are named
        for views in (rng.normal(0.0, 0.3, (frames, 3, 17, 3)),):
            views[:, 1] = np.nan
            got = agree_views(views, "h36m17")
            assert got.poses.shape == views.shape and not got.flipped[:, 1].any()
        px = np.full((frames, 4, 17, 2), np.nan)
        got = agree_cameras(px, cams, "h36m17")
        assert got.poses.shape == px.shape and not got.flipped.any()
        px = rng.normal(500.0, 50.0, (frames, 4, 17, 2))
        px[:, 2] = np.nan
        with pytest.raises(SynspInputError, match="does not match the inputs"):
            agree_cameras(px, cams, "h36m17")
    with pytest.raises(SynspInputError, match="empty"):
        agree_cameras(np.zeros((0, 4, 17, 2)), cams, "h36m17")


def _camera_files(tmp_path):
    """The cameras of :func:`_cameras` (7) saved as ``cams.npz`` and one ``camN.npy`` per camera of their keypoints,
    camera 2's arms and legs labelled the wrong way round: ``(cameras, keypoints, as written, input paths)``."""
    cams, px = _cameras(7)
    np.savez(tmp_path / "cams.npz", **cams)
    mask = np.zeros(px.shape[:2] + (len(NAMES),), dtype=bool)
    mask[:, 1] = True
    wrong = relabel(px, mask, "h36m17", NAMES)
    inputs = []
    for c in range(4):
        inputs.append(str(tmp_path / f"cam{c + 1}.npy"))
        np.save(inputs[-1], wrong[:, c])
    return cams, px, wrong, inputs


def test_one_file_per_camera_is_repaired_made_to_agree_refined_and_written_back(tmp_path, capsys):
    """``synsp refine cam1.npy cam2.npy ... -o out/ --cameras calib``: each camera's file (one person, 2D) is
    repaired alone, the cameras' labels agree, each is refined and written under its name; the result is what
    ``synsp.refine(views=True, cameras=...)`` gives the stacked array.  A file with two people, a count of files
    other than the cameras' and an output that is a file are refused before anything is written."""
    from synsp.cli import main

    cams, px, wrong, inputs = _camera_files(tmp_path)
    out = tmp_path / "out"
    code = main(["refine", *inputs, "-o", str(out), "--cameras", str(tmp_path / "cams.npz"), "--skeleton", "h36m17"])
    said = capsys.readouterr()
    assert code == 0, said.err
    assert "cam2.npy: 339 frames, labels of 678 group-frame(s) exchanged" in said.out
    expected = synsp.refine(px, views=True, cameras=cams, skeleton="h36m17")
    for c in range(4):
        np.testing.assert_allclose(np.load(out / f"cam{c + 1}.npy"), expected[:, c], atol=1e-6)
    np.save(tmp_path / "two.npy", np.stack([wrong[:, 0], wrong[:, 2]], 1))
    for args, message in (([*inputs[:3], str(tmp_path / "two.npy")], "holds 2 people"),
                          (inputs[:3], "holds 4 cameras; give one input per camera"),
                          ([*inputs, "--model", "synsp-h36m17-3d-w8"], "refines 3D points")):  # (left an empty out/)
        target = tmp_path / "refused"
        assert main(["refine", *args, "-o", str(target), "--cameras", str(tmp_path / "cams.npz")]) == 2
        assert message in capsys.readouterr().err and not target.exists()
    (tmp_path / "file.npy").write_bytes(b"x")
    assert main(["refine", *inputs, "-o", str(tmp_path / "file.npy"), "--cameras", str(tmp_path / "cams.npz")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_real_mediapipe_csv_per_camera_through_the_cli(tmp_path, capsys):
    """The Pose2Sim demo's four cameras as four MediaPipe CSV files (the full model, 60 fps): ``synsp refine cam1.csv
    ... -o out/ --cameras cameras.npz`` relabels camera 2 (the person seen from behind) to agree, and its refined
    keypoints come closer to the heavy model's there than refining that file alone (13.34 -> 10.20 px); the other
    cameras' outputs are those of refining each alone."""
    from synsp.cli import main
    from synsp.io.tracks import read_pose_file

    for c in range(4):
        x = np.asarray(read_npz(POSE2SIM / f"single_person_cam{c + 1}.npz")["full"], dtype=np.float64)
        rows = ["frame,landmark,x,y,z,visibility"] + [f"{t},{j},{x[t, j, 0]:.3f},{x[t, j, 1]:.3f},0,{x[t, j, 2]:.4f}"
                                                     for t in range(len(x)) for j in range(33)]
        (tmp_path / f"cam{c + 1}.csv").write_text("\n".join(rows) + "\n")
    inputs = [str(tmp_path / f"cam{c + 1}.csv") for c in range(4)]
    assert main(["refine", *inputs, "-o", str(tmp_path / "agreed"), "--cameras", str(POSE2SIM / "cameras.npz"),
                 "--fps", "60"]) == 0
    assert "cam2.csv: 100 frames, labels of 16 group-frame(s) exchanged" in capsys.readouterr().out
    for c in range(4):
        assert main(["refine", inputs[c], "-o", str(tmp_path / f"alone{c + 1}.csv"), "--fps", "60"]) == 0
        heavy = np.asarray(read_npz(POSE2SIM / f"single_person_cam{c + 1}.npz")["heavy"], dtype=np.float64)[..., :2]
        agreed, alone = (read_pose_file(p).tracks[0].keypoints for p in (tmp_path / "agreed" / f"cam{c + 1}.csv",
                                                                          tmp_path / f"alone{c + 1}.csv"))
        far = [np.nanmean(np.linalg.norm(y[:, BODY_33] - heavy[:, BODY_33], axis=-1)) for y in (agreed, alone)]
        if c == 1:
            assert far[0] < far[1] - 2
        else:
            np.testing.assert_allclose(agreed, alone, atol=1e-6)


def test_a_calibration_listing_its_cameras_in_another_order_is_matched_to_the_files_by_their_numbers(tmp_path, capsys):
    """``cam_04`` ... ``cam_01`` in the calibration, ``cam1.npy`` ... ``cam4.npy`` given: matched by the numbers in
    their names, as the same cameras in order (taken by position, correct cameras were relabelled, 27-35 px off)."""
    from synsp.batch import cameras_by_name
    from synsp.cli import main

    cams, px = _cameras(7)
    names = [f"cam_{c + 1:02d}" for c in range(4)]
    inputs = []
    for c in range(4):
        inputs.append(str(tmp_path / f"cam{c + 1}.npy"))
        np.save(inputs[-1], px[:, c])
    np.savez(tmp_path / "reversed.npz", **{k: np.asarray(v)[::-1] for k, v in cams.items()}, names=names[::-1])
    np.savez(tmp_path / "ordered.npz", **cams, names=names)
    for calib in ("ordered", "reversed"):
        code = main(["refine", *inputs, "-o", str(tmp_path / calib), "--cameras", str(tmp_path / f"{calib}.npz"),
                     "--skeleton", "h36m17"])
        assert code == 0, capsys.readouterr().err
    said = capsys.readouterr().out
    assert "cam1.npy (camera cam_01): " in said
    for c in range(4):
        np.testing.assert_array_equal(np.load(tmp_path / "reversed" / f"cam{c + 1}.npy"),
                                      np.load(tmp_path / "ordered" / f"cam{c + 1}.npy"))
    for names, files in ((["left", "right"], ["a.npy", "b.npy"]),  # no numbers to match by: by position
                         (["cam1", "cam2"], ["view2.json", "view1.json"])):  # the names read_cameras makes up
        kept, said = cameras_by_name({"K": np.arange(2)[:, None, None] * np.ones((2, 3, 3)), "names": names}, files)
        assert list(kept["names"]) == names and kept["K"][1, 0, 0] == 1 and said == [None, None]
    two = {"K": np.arange(2)[:, None, None] * np.ones((2, 3, 3)), "names": ["cam_01", "cam_02"]}
    moved, said = cameras_by_name(two, ["trial_cam02.json", "trial_cam01.json"])
    assert said == ["cam_02", "cam_01"] and moved["K"][0, 0, 0] == 1


def test_one_file_per_camera_reads_unnamed_points_by_their_bones(tmp_path, capsys):
    """Without --skeleton, 17 unnamed 2D points in Human3.6M order are taken as h36m17 from their bones, as a file
    alone is (before, the count alone made them COCO-17: its pairs exchanged wrong joints and the cameras saw the
    person elsewhere)."""
    from synsp.cli import main

    cams, px, wrong, inputs = _camera_files(tmp_path)
    assert main(["refine", *inputs, "-o", str(tmp_path / "out"), "--cameras", str(tmp_path / "cams.npz")]) == 0
    assert "cam2.npy: 339 frames, labels of 678 group-frame(s) exchanged" in capsys.readouterr().out
