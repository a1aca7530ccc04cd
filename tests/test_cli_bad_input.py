"""`synsp refine` on bad input: one clear line on stderr, exit 2, no traceback, no output file."""

import json

import numpy as np
import pytest

from synsp.cli import main


def _write(path, content):
    if path.suffix == ".npz":
        np.savez(path, **content)
    elif isinstance(content, np.ndarray):
        np.save(path, content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


BVH_NAN = ("HIERARCHY\nROOT a\n{\nOFFSET 0 0 0\nCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation\n"
               "JOINT b\n{\nOFFSET nan 1 0\nCHANNELS 3 Zrotation Yrotation Xrotation\nEnd Site\n{\nOFFSET 0 1 0\n}\n}\n}\n"
               "MOTION\nFrames: 1\nFrame Time: 0.033333\n0 0 0 0 0 0 0 0 0\n")

CASES = {
    "wrong joint count for the model": ("in.npy", np.zeros((30, 14, 3)), ["--model", "synsp-h36m17-3d-w8"], "J = 14"),
    "unknown skeleton": ("in.npy", np.zeros((30, 17, 3)), ["--skeleton", "h37m"], "h37m"),
    "empty json file": ("in.json", "", [], "is empty"),
    "empty npy file": ("in.npy", b"", [], "is empty"),
    "track shorter than the window": ("in.npy", np.zeros((3, 17, 3)), [], "shorter than the 4 frames"),
    "all frames NaN": ("in.npy", np.full((30, 17, 3), np.nan), [], "no valid joint"),
    "json that is not pose output": ("in.json", {"images": "none", "a": 1}, [], "not a pose file"),
    "corrupt checkpoint": ("in.npy", np.zeros((30, 17, 3)), ["--model", "CKPT"], "not a readable safetensors"),
    "empty model name": ("in.npy", np.zeros((30, 17, 3)), ["--model", ""], "the model name is empty"),
    "text scores in an npz": ("in.npz", {"keypoints": np.zeros((30, 17, 3)), "scores": np.full((30, 17), "a")}, [],
                              "['scores'] holds <U1 values; expected scores"),
    "a frame rate that is not a number": ("in.npz", {"keypoints": np.zeros((30, 17, 3)), "fps": np.array("abc")}, [],
                                          "['fps'] holds <U3 values; expected one frame rate"),
    "a complex frame rate": ("in.npz", {"keypoints": np.zeros((30, 17, 3)), "fps": np.array(30 + 1j)}, [],
                             "['fps'] holds complex128 values"),
    "a boolean frame rate": ("in.npz", {"keypoints": np.zeros((30, 17, 3)), "fps": np.array(True)}, [],
                             "['fps'] holds bool values"),
    "an SMPL frame rate of 0": ("in.npz", {"poses": np.zeros((30, 72)), "mocap_framerate": np.array(0.0)}, [],
                                "['mocap_framerate'] is 0.0 (float64); expected one positive frame rate"),
    "a skeleton of another joint count": ("in.npy", np.zeros((30, 17, 3)), ["--skeleton", "smpl24"],
                                          "skeleton 'smpl24' has 24 joints; the data has 17"),
    "scores that are all negative": ("in.npz", {"keypoints": np.ones((30, 17, 3)), "scores": -np.ones((30, 17))}, [],
                                     "no joint has a score of at least 0.3"),
    "a BVH offset that is not a number": ("in.bvh", BVH_NAN, [], "found 'nan', expected an OFFSET number"),
    "a BVH motion value of 1e9": ("in.bvh", BVH_NAN.replace("OFFSET nan", "OFFSET 0").replace("\n0 0 0 0", "\n1e9 0 0 0"),
                                  [], "frame 0 has a value beyond 1e+09"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_clear_line_and_no_output(case, tmp_path, capsys):
    name, content, extra, message = CASES[case]
    src = _write(tmp_path / name, content)
    if "CKPT" in extra:
        from synsp.refiners import shipped_models

        (tmp_path / "m.json").write_text(shipped_models()["synsp-h36m17-3d-w8"].with_suffix(".json").read_text())
        (tmp_path / "m.safetensors").write_bytes(b"garbage")
        extra = ["--model", str(tmp_path / "m")]
    out = tmp_path / ("out" + src.suffix)
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["refine", str(src), "-o", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temporary file


def test_a_trc_of_unknown_units_is_refused_before_the_work_and_still_refines_to_npz(tmp_path, capsys):
    from synsp.io import write_trc

    t = np.arange(40)[:, None, None] / 30.0
    write_trc(tmp_path / "cm.trc", np.sin(t + np.arange(17 * 3).reshape(1, 17, 3)) + 2.0, fps=30,
              units="cm", marker_names=[f"M{i}" for i in range(17)])
    lines = (tmp_path / "cm.trc").read_text().split("\n")
    lines[2] = lines[2].replace("\tcm\t", "\tfurlong\t")
    (tmp_path / "in.trc").write_text("\n".join(lines))
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["refine", str(tmp_path / "in.trc"), "-o", str(tmp_path / "out.trc")]) == 2
    err = capsys.readouterr().err
    assert "its Units 'furlong' are not a length unit synsp knows" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert main(["refine", str(tmp_path / "in.trc"), "-o", str(tmp_path / "out.npz")]) == 0


def test_a_trc_whose_frame_numbers_go_back_is_refused(tmp_path, capsys):
    from synsp.io import write_trc

    t = np.arange(40)[:, None, None] / 30.0
    write_trc(tmp_path / "ok.trc", np.sin(t + np.arange(17 * 3).reshape(1, 17, 3)) + 2.0, fps=30, units="cm",
              marker_names=[f"M{i}" for i in range(17)])
    lines = (tmp_path / "ok.trc").read_text().split("\n")
    row = next(i for i, line in enumerate(lines) if line.startswith("11\t"))
    lines[row] = "10" + lines[row][2:]  # frame 10 twice
    (tmp_path / "in.trc").write_text("\n".join(lines))
    assert main(["refine", str(tmp_path / "in.trc"), "-o", str(tmp_path / "out.trc")]) == 2
    err = capsys.readouterr().err
    assert f"line {row + 1}: Frame# 10 after 10; frame numbers must increase" in err and "Traceback" not in err
    assert not (tmp_path / "out.trc").exists()


@pytest.mark.parametrize("args, message", [
    (["refine", "{tmp}/nope.json", "-o", "{tmp}/out.json"], "nope.json' does not exist"),
    (["refine", "{tmp}/in.npy", "-o", "{tmp}/out.npy", "--workers", "0"], "'--workers'"),
    (["refine", "--bogus"], "No such option '--bogus'"),
    (["bogus"], "No such command 'bogus'"),
])
def test_what_the_option_parser_refuses_is_one_line_too(args, message, tmp_path, capsys):
    np.save(tmp_path / "in.npy", np.zeros((30, 17, 3)))
    code = main([a.format(tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "--help)" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.npy"]


def test_an_array_into_a_trc_is_refused_before_the_refinement(tmp_path, capsys, monkeypatch):
    """A .npy/.npz array (in "file units") into -o x.trc failed only after the whole refinement (12-14 s on 3000
    frames); the message for a wrong suffix even suggested .trc."""
    from synsp import api

    monkeypatch.setattr(api, "refine_pose_file", lambda *a, **k: pytest.fail("refined before the output was checked"))
    np.save(tmp_path / "in.npy", np.cumsum(np.random.default_rng(0).normal(size=(40, 17, 3)), 0))
    for extra in ([], ["--fps", "30"]):
        assert main(["refine", str(tmp_path / "in.npy"), "-o", str(tmp_path / "x.trc"), *extra]) == 2
        err = capsys.readouterr().err
        assert "x.trc: the array data is in 'file units', not a length unit a TRC file can state; write it as .npz " \
               "instead" in err, err
    assert main(["refine", str(tmp_path / "in.npy"), "-o", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "give an output ending in .npy, .npz" in err and ".trc" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.npy"]


def test_key_on_an_npy_is_said_in_the_command_lines_words(tmp_path, capsys):
    np.save(tmp_path / "in.npy", np.zeros((30, 17, 3)))
    assert main(["refine", str(tmp_path / "in.npy"), "-o", str(tmp_path / "out.npy"), "--key", "kp"]) == 2
    err = capsys.readouterr().err
    assert "--key kp only applies to .npz files" in err and "key='kp'" not in err, err


def test_cli_words_leave_a_python_call_in_a_message_as_it_is():
    from synsp.cli import _cli_words

    assert _cli_words("x.npz: key='kp' only applies") == "x.npz: --key kp only applies"
    assert _cli_words("pass key=<one of ['a']>") == "pass --key <one of ['a']>"
    assert _cli_words("(synsp.io.read_array(path, key='kp'))") == "(synsp.io.read_array(path, key='kp'))"
