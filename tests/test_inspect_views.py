"""``synsp inspect --views`` / ``--cameras`` say what ``synsp refine --views`` / ``--cameras`` would do (the method
for the views, the labels the views' agreement would exchange), and refine's --views summaries say what it did."""

import functools
import re

import numpy as np

from synsp.cli import main
from synsp.data.cameras import project as to_pixels
from synsp.data.cameras import random_camera
from synsp.data.positions import split_positions
from synsp.repair import limb_groups, relabel


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@functools.lru_cache(maxsize=None)
def _truth() -> np.ndarray:
    """120 frames of a test clip's h36m17 joints in metres."""
    return [gt for gt, _ in split_positions("h36m17", "test", "3d")][2][:120]


def _inverted(x: np.ndarray, view: int) -> np.ndarray:
    """``x`` ``(T, P, 17, D)`` with view ``view``'s arms and legs labelled the wrong way round throughout."""
    flip = np.zeros(x.shape[:2] + (2,), dtype=bool)
    flip[:, view] = True
    return relabel(x, flip, "h36m17", tuple(limb_groups("h36m17")))


def _cameras(count: int = 4):
    """``count`` cameras around the clip and the clip seen by each with 2 px of noise ``(T, C, 17, 2)``."""
    gt = _truth()
    rng = np.random.default_rng(0)
    centre = gt.reshape(-1, 3).mean(0)
    radius = float(np.linalg.norm(gt.reshape(-1, 3) - centre, axis=-1).max())
    cams = [random_camera(rng, centre, radius=radius, yaw_deg=(360 * c / count, 360 * c / count + 40),
                          image_sizes=[(1920, 1080)]) for c in range(count)]
    pixels = np.stack([to_pixels(gt, c)[0] for c in cams], 1) + rng.normal(0.0, 2.0, (len(gt), count, 17, 2))
    K = np.array([[[c.focal[0], 0, c.principal[0]], [0, c.focal[1], c.principal[1]], [0, 0, 1]] for c in cams])
    return dict(K=K, R=np.stack([c.R for c in cams]), t=np.stack([c.t for c in cams])), pixels


def test_inspect_views_names_the_views_method_and_the_view_relabelled_as_refine_does(capsys, tmp_path):
    """Four 3D views, the third labelled the wrong way round throughout: inspect --views names the views' model and
    the group-frames of view 2 the agreement would exchange; refine --views then names the same."""
    rng = np.random.default_rng(1)
    views = _inverted(_truth()[:, None] + rng.normal(scale=0.02, size=(120, 4, 17, 3)), 2)
    np.save(tmp_path / "v.npy", views)
    code, out, err = run(capsys, "inspect", str(tmp_path / "v.npy"), "--views")
    assert code == 0, err
    assert "4 synchronised views" in out and "method: synsp-universal-w16-views+view-mean" in out
    found = re.search(r"labels of (\d+) group-frame\(s\) would be exchanged to agree with the other views "
                      r"\(view 2 in (\d+)\)", out)
    assert found and found.group(1) == found.group(2) and int(found.group(1)) >= 200  # both groups, most frames
    code, out, err = run(capsys, "refine", str(tmp_path / "v.npy"), "-o", str(tmp_path / "o.npy"), "--views")
    assert code == 0, err
    assert "4 views refined together by synsp-universal-w16-views+view-mean" in out
    assert (f"labels of {found.group(1)} group-frame(s) were exchanged to agree with the other views "
            f"(view 2 in {found.group(1)})") in out


def test_inspect_and_refine_views_of_calibrated_cameras_say_which_camera_is_relabelled(capsys, tmp_path):
    """A (T, C, J, 2) array of four calibrated cameras, camera 1 labelled the wrong way round: inspect --views
    --cameras and refine's summary name camera 1's group-frames; without --cameras they are not compared."""
    cams, pixels = _cameras()
    np.save(tmp_path / "v.npy", _inverted(pixels, 1))
    np.savez(tmp_path / "cams.npz", **cams)
    code, out, err = run(capsys, "inspect", str(tmp_path / "v.npy"), "--views", "--cameras", str(tmp_path / "cams.npz"))
    assert code == 0, err
    found = re.search(r"labels of (\d+) group-frame\(s\) would be exchanged to agree with the other cameras "
                      r"\(view 1 in (\d+)\)", out)
    assert found and int(found.group(1)) >= 200 and "method: synsp-universal-w16 " in out
    code, out, err = run(capsys, "refine", str(tmp_path / "v.npy"), "-o", str(tmp_path / "o.npy"), "--views",
                         "--cameras", str(tmp_path / "cams.npz"))
    assert code == 0, err
    assert "each refined alone by synsp-universal-w16" in out
    assert f"labels of {found.group(1)} group-frame(s) were exchanged to agree with the other cameras" in out
    code, out, err = run(capsys, "inspect", str(tmp_path / "v.npy"), "--views")
    assert code == 0 and "not be compared (no --cameras)" in out


def test_inspect_cameras_one_file_per_camera_says_what_refine_cameras_exchanges(capsys, tmp_path):
    """One (T, J, 2) file per camera: inspect --cameras gives each camera's exchanged group-frames, the counts
    refine --cameras then reports."""
    cams, pixels = _cameras()
    pixels = _inverted(pixels, 1)
    paths = []
    for c in range(4):
        paths.append(str(tmp_path / f"cam{c + 1}.npy"))
        np.save(paths[-1], pixels[:, c])
    np.savez(tmp_path / "cams.npz", **cams)
    code, out, err = run(capsys, "inspect", *paths, "--cameras", str(tmp_path / "cams.npz"), "--skeleton", "h36m17")
    assert code == 0, err
    said = [int(n) for n in re.findall(r"labels of (\d+) group-frame\(s\) would be exchanged to agree", out)]
    assert len(said) == 1 and said[0] >= 200 and "camera 1 of 4" in out
    code, out, err = run(capsys, "refine", *paths, "--cameras", str(tmp_path / "cams.npz"), "--skeleton", "h36m17",
                         "-o", str(tmp_path / "o"))
    assert code == 0, err
    assert f"labels of {said[0]} group-frame(s) exchanged" in out


def test_inspect_views_refuses_as_refine_does(capsys, tmp_path):
    """The same checks as refine's: cameras calibrate 2D views, a camera per view, two views at least."""
    cams, pixels = _cameras()
    np.savez(tmp_path / "cams.npz", **cams)
    np.save(tmp_path / "v3.npy", np.zeros((20, 4, 17, 3)))
    np.save(tmp_path / "v2.npy", pixels[:, :3])
    np.save(tmp_path / "one.npy", pixels[:, :1])
    for name, words in (("v3.npy", "--cameras calibrates 2D keypoints"), ("v2.npy", "4"),
                        ("one.npy", "P >= 2 synchronised views")):
        extra = () if name == "one.npy" else ("--cameras", str(tmp_path / "cams.npz"))
        code, _, err = run(capsys, "inspect", str(tmp_path / name), "--views", *extra)
        assert code == 2 and words in err and "Traceback" not in err, err
