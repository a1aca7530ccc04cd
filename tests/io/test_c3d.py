"""C3D files: read (Intel / DEC / MIPS, integer and float data), refined and written back in place.

The files are built here from the C3D specification (header block, parameter section, frames of point words
and analog samples), independently of ``synsp.io.c3d``; where ezc3d (the biomechanics community's C3D
library, a test dependency) is installed, it writes and reads files too, as a second implementation.
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from synsp.api import refine_pose_file
from synsp.cli import main
from synsp.io.c3d import read_c3d
from synsp.io.tracks import pose_file_format, read_pose_file, write_pose_file
from synsp.skeletons import BUILTIN_SKELETONS, SKELETONS
from synsp.validation import SynspInputError

PROC = {"intel": 84, "dec": 85, "mips": 86}


def _vax(v: float) -> bytes:
    """A VAX F float (DEC): value = (-1)^s * 0.1m * 2^(e - 128), two little-endian 16-bit words, sign, exponent
    and the high mantissa bits in the first."""
    if v == 0:
        return b"\0\0\0\0"
    f, e = math.frexp(abs(v))  # abs(v) = f * 2^e, 0.5 <= f < 1
    m = int(round((f - 0.5) * 2 ** 24))
    if m == 2 ** 23:  # rounded up to the next power of two
        m, e = 0, e + 1
    w1 = (1 << 15 if v < 0 else 0) | ((e + 128) << 7) | (m >> 16)
    return struct.pack("<HH", w1, m & 0xFFFF)


def _float(v: float, proc: str) -> bytes:
    return _vax(v) if proc == "dec" else struct.pack(">f" if proc == "mips" else "<f", v)


def _int(v: int, proc: str) -> bytes:
    return struct.pack(">h" if proc == "mips" else "<h", int(v))


def build_c3d(path, labels, xyz, *, seen=None, rate=100.0, scale=-0.1, proc="intel", analog=None, units="mm",
              first=1, extra=(), last_offset_zero=False, frames_param=None, header_frames=None):
    """A C3D file: ``xyz`` ``(T, M, 3)`` (mm), ``seen`` ``(T, M)`` (else all), ``analog`` ``(T, A)`` samples,
    ``scale`` < 0: float data, > 0: 16-bit integers times it; ``extra``: (group, name, type, dims, values)."""
    T, M, _ = xyz.shape
    seen = np.ones((T, M), bool) if seen is None else seen
    A = 0 if analog is None else analog.shape[1]
    params = [("POINT", "USED", 2, [], [M]), ("POINT", "SCALE", 4, [], [scale]), ("POINT", "RATE", 4, [], [rate]),
              ("POINT", "FRAMES", 2, [], [min(T, 32767)] if frames_param is None else frames_param),
              ("POINT", "LABELS", -1, [max(len(n) for n in labels), M], labels),
              ("POINT", "UNITS", -1, [len(units)], [units]), ("ANALOG", "USED", 2, [], [A]), *extra]
    groups = []
    for g, *_ in params:
        if g not in groups:
            groups.append(g)

    def entry(name: str, gid: int, body: bytes) -> bytes:
        return struct.pack("<bb", len(name), gid) + name.encode() + b"\xff\xff" + body  # offset patched below

    entries = [entry(g, -(i + 1), b"\0") for i, g in enumerate(groups)]
    for g, name, kind, dims, values in params:
        if kind == -1:
            width = dims[0]
            data = b"".join(v.ljust(width).encode() for v in values)
        elif kind == 4:
            data = b"".join(_float(v, proc) for v in values)
        else:
            data = b"".join(_int(v, proc) for v in values)
        body = struct.pack("<bB", kind, len(dims)) + bytes(dims) + data + b"\0"
        entries.append(entry(name, groups.index(g) + 1, body))
    section = bytearray(b"\x01\x50\x00" + bytes([PROC[proc]]))
    for k, e in enumerate(entries):
        e = bytearray(e)
        at = 2 + e[0]
        offset = 0 if (last_offset_zero and k == len(entries) - 1) else len(e) - at
        e[at:at + 2] = struct.pack(">h" if proc == "mips" else "<h", offset)
        section += e
    section += b"\0\0"  # a name of length 0 ends the chain
    blocks = -(-len(section) // 512)
    section[2] = blocks
    section += b"\0" * (blocks * 512 - len(section))
    data_start = 2 + blocks
    header = bytearray(512)
    header[0], header[1] = 2, 0x50
    last = first + T - 1 if header_frames is None else first + header_frames - 1
    words = ((1, M), (2, A), (3, first), (4, min(last, 65535)), (5, 10), (8, data_start), (9, 1 if A else 0))
    for word, value in words:
        header[2 * word:2 * word + 2] = struct.pack(">H" if proc == "mips" else "<H", value)
    header[12:16], header[20:24] = _float(scale, proc), _float(rate, proc)
    frames = bytearray()
    for t in range(T):
        for m in range(M):
            if scale < 0:
                words = [_float(v, proc) for v in xyz[t, m]] + [_float(0.0 if seen[t, m] else -1.0, proc)]
            else:
                words = [_int(round(v / scale), proc) for v in xyz[t, m]] + [_int(0 if seen[t, m] else -1, proc)]
            frames += b"".join(words)
        for a in range(A):
            frames += _float(analog[t, a], proc) if scale < 0 else _int(analog[t, a], proc)
    path.write_bytes(bytes(header) + bytes(section) + bytes(frames))
    return data_start


def _walk(T=90, M=6, seed=0, noise=2.0):
    """Markers (mm) of a body-sized point cloud walking, with a little jitter."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(M, 3)) * 250 + np.array([0, 0, 1000])
    t = np.arange(T)[:, None, None] / 100.0
    path = np.concatenate([1000 * t, 50 * np.sin(2 * np.pi * t), 0 * t], axis=-1)
    return base[None] + path + rng.normal(size=(T, M, 3)) * noise


@pytest.mark.parametrize("proc", ["intel", "dec", "mips"])
@pytest.mark.parametrize("scale", [-0.1, 0.05])
def test_points_are_read_in_every_processor_format(tmp_path, proc, scale):
    xyz = np.round(_walk() / 0.05) * 0.05  # exact in 16-bit integers at either scale
    seen = np.ones(xyz.shape[:2], bool)
    seen[10:14, 2] = False
    analog = np.arange(90 * 2).reshape(90, 2) % 50
    build_c3d(tmp_path / "a.c3d", ["LASI", "RASI", "LKNE", "RKNE", "LANK", "RANK"], xyz, seen=seen, scale=scale,
              proc=proc, analog=analog, rate=100.0, first=7)
    c = read_c3d(tmp_path / "a.c3d")
    assert c.labels == ["LASI", "RASI", "LKNE", "RKNE", "LANK", "RANK"] and c.units == "mm"
    assert c.fps == 100.0 and c.first_frame == 7 and c.positions.shape == (90, 6, 3)
    assert np.isnan(c.positions[10:14, 2]).all() and np.isfinite(c.positions[~np.isnan(c.positions[..., 0])]).all()
    np.testing.assert_allclose(c.positions[seen], xyz[seen], atol=1e-3 if scale < 0 else 1e-9, rtol=1e-6)
    assert pose_file_format(tmp_path / "a.c3d") == "c3d"


@pytest.mark.parametrize("proc,scale", [("intel", -0.1), ("dec", -0.1), ("mips", 0.05), ("intel", 0.05)])
def test_refined_points_are_written_in_place_and_every_other_byte_is_kept(tmp_path, proc, scale):
    xyz = _walk(T=120, seed=1, noise=3.0)
    seen = np.ones(xyz.shape[:2], bool)
    seen[40:45, 4] = False  # a gap synsp fills
    seen[:, 5] = False  # a marker never seen: left as written
    analog = (np.arange(120 * 3).reshape(120, 3) * 7) % 1000
    start = build_c3d(tmp_path / "in.c3d", ["LASI", "RASI", "LKNE", "RKNE", "LANK", "RANK"], xyz, seen=seen,
                      scale=scale, proc=proc, analog=analog)
    assert main(["refine", str(tmp_path / "in.c3d"), "-o", str(tmp_path / "out.c3d")]) == 0
    raw_in, raw_out = (tmp_path / "in.c3d").read_bytes(), (tmp_path / "out.c3d").read_bytes()
    offset = (start - 1) * 512
    assert len(raw_in) == len(raw_out) and raw_in[:offset] == raw_out[:offset]  # header and parameters
    word = 4 if scale < 0 else 2
    frame = (6 * 4 + 3) * word
    a_in = np.frombuffer(raw_in[offset:], np.uint8).reshape(120, frame)
    a_out = np.frombuffer(raw_out[offset:], np.uint8).reshape(120, frame)
    assert np.array_equal(a_in[:, 24 * word:], a_out[:, 24 * word:])  # analog samples
    assert np.array_equal(a_in[:, 20 * word:24 * word], a_out[:, 20 * word:24 * word])  # the unseen marker
    before, after = read_c3d(tmp_path / "in.c3d"), read_c3d(tmp_path / "out.c3d")
    assert np.isnan(after.positions[:, 5]).all()
    assert np.isfinite(after.positions[40:45, 4]).all()  # filled, now seen
    moved = np.linalg.norm(after.positions[:, :5] - before.positions[:, :5], axis=-1)
    assert 0.2 < np.nanmean(moved) < 6  # jitter of 3 mm smoothed, the markers not moved elsewhere
    pf, _ = refine_pose_file(read_pose_file(tmp_path / "in.c3d"))
    np.testing.assert_allclose(after.positions[:, :5], pf.tracks[0].keypoints[:, :5],
                               atol=1e-3 if scale < 0 else scale / 2 + 1e-9)


def test_vicon_subjects_are_tracks_and_modelled_outputs_stay(tmp_path):
    walk = np.concatenate([_walk(T=100, seed=2), _walk(T=100, seed=3) + 2000, _walk(T=100, M=1, seed=4)], axis=1)
    markers = ["LASI", "RASI", "LKNE", "RKNE", "LANK", "RANK"]
    labels = [f"Anna:{m}" for m in markers] + [f"Ben:{m}" for m in markers] + ["Anna:LKneeAngles"]
    build_c3d(tmp_path / "two.c3d", labels, walk, extra=[("POINT", "ANGLES", -1, [16, 1], ["Anna:LKneeAngles"])])
    pf = read_pose_file(tmp_path / "two.c3d")
    assert [t.track_id for t in pf.tracks] == ["Anna", "Ben"] and pf.num_joints == 6
    assert pf.meta["joint_names"] == markers
    assert main(["refine", str(tmp_path / "two.c3d"), "-o", str(tmp_path / "out.c3d")]) == 0
    before, after = read_c3d(tmp_path / "two.c3d"), read_c3d(tmp_path / "out.c3d")
    assert np.array_equal(before.positions[:, 12], after.positions[:, 12])  # the knee angle, as it was
    assert not np.array_equal(before.positions[:, :12], after.positions[:, :12])
    assert np.abs(after.positions[:, 6:12] - before.positions[:, 6:12]).max() < 20  # Ben stays Ben


def test_markers_get_the_skeleton_their_names_give_not_one_of_their_count(tmp_path, capsys):
    names = ["C7", "T10", "CLAV", "STRN", "RBAK", "LSHO", "RSHO", "LELB", "RELB", "LWRA", "RWRA", "LASI", "RASI",
             "LKNE", "RKNE", "LANK", "RANK"]  # 17 markers: not Human3.6M's 17 joints
    build_c3d(tmp_path / "m.c3d", names, _walk(T=60, M=17, seed=5))
    pf = read_pose_file(tmp_path / "m.c3d")
    assert pf.skeleton not in BUILTIN_SKELETONS
    sk = SKELETONS[pf.skeleton]
    pairs = {(sk.joints[a], sk.joints[b]) for a, b in sk.left_right}
    assert ("LSHO", "RSHO") in pairs and ("LANK", "RANK") in pairs and len(pairs) == 6
    assert main(["inspect", str(tmp_path / "m.c3d")]) == 0
    out = capsys.readouterr().out
    assert "h36m17" not in out and "6 left/right pair(s) guessed from the names" in out
    assert "left/right repair: none (left/right pairs only guessed" in out  # they judge cuts, relabel nothing
    assert main(["inspect", str(tmp_path / "m.c3d"), "--skeleton", pf.skeleton]) == 0  # named: they repair
    assert f"left/right repair: on ({pf.skeleton} pairs)" in capsys.readouterr().out


def test_more_than_65535_frames_and_an_entry_chain_ended_by_a_zero_offset(tmp_path):
    T = 70_000
    xyz = np.zeros((T, 1, 3))
    xyz[:, 0, 0] = np.arange(T) % 1000
    build_c3d(tmp_path / "long.c3d", ["HEAD"], xyz, frames_param=None, last_offset_zero=True, header_frames=65535,
              extra=[("TRIAL", "ACTUAL_START_FIELD", 2, [2], [1, 0]),
                     ("TRIAL", "ACTUAL_END_FIELD", 2, [2], [T % 65536, T // 65536])])
    c = read_c3d(tmp_path / "long.c3d")
    assert c.positions.shape == (T, 1, 3)
    np.testing.assert_allclose(c.positions[:, 0, 0], xyz[:, 0, 0])


def test_damaged_files_are_clear_errors(tmp_path, capsys):
    build_c3d(tmp_path / "ok.c3d", ["A", "B"], _walk(T=50, M=2))
    raw = (tmp_path / "ok.c3d").read_bytes()
    (tmp_path / "short.c3d").write_bytes(raw[:-100])  # cut short
    (tmp_path / "junk.c3d").write_bytes(b"not a c3d file at all" * 40)
    loop = bytearray(raw)
    loop[512 + 4 + 2 + 5:512 + 4 + 2 + 5 + 2] = struct.pack("<h", -7)  # the first entry's offset points back
    (tmp_path / "loop.c3d").write_bytes(bytes(loop))
    with pytest.raises(SynspInputError, match="cut short"):
        read_c3d(tmp_path / "short.c3d")
    with pytest.raises(SynspInputError, match="not a C3D file"):
        read_c3d(tmp_path / "junk.c3d")
    read_c3d(tmp_path / "loop.c3d")  # ends (the parameters after the loop are lost, the header still gives data)
    for bad, why in (("short.c3d", "cut short"), ("junk.c3d", "not a C3D file")):
        assert main(["refine", str(tmp_path / bad), "-o", str(tmp_path / f"out_{bad}")]) == 2
        err = capsys.readouterr().err
        assert why in err and "Traceback" not in err and not (tmp_path / f"out_{bad}").exists()


def test_a_c3d_is_written_as_trc_and_npz_too(tmp_path):
    build_c3d(tmp_path / "in.c3d", ["LASI", "RASI", "LKNE"], _walk(T=60, M=3, seed=6))
    assert main(["refine", str(tmp_path / "in.c3d"), "-o", str(tmp_path / "out.trc")]) == 0
    trc = read_pose_file(tmp_path / "out.trc")
    assert trc.meta["markers"].marker_names == ["LASI", "RASI", "LKNE"] and trc.units == "mm" and trc.fps == 100
    assert main(["refine", str(tmp_path / "in.c3d"), "-o", str(tmp_path / "out.npz")]) == 0
    with pytest.raises(SynspInputError, match="cannot write trc pose data as a '.c3d' file"):
        write_pose_file(tmp_path / "x.c3d", trc)


def test_ezc3d_reads_what_synsp_writes_and_synsp_reads_what_ezc3d_writes(tmp_path):
    ezc3d = pytest.importorskip("ezc3d")
    xyz = _walk(T=150, M=4, seed=7, noise=4.0)
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = [120]
    c["parameters"]["POINT"]["LABELS"]["value"] = ("LSHO", "RSHO", "LELB", "RELB")
    c["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    pts = np.ones((4, 4, 150))
    pts[:3] = xyz.transpose(2, 1, 0)
    c["data"]["points"] = pts
    c["parameters"]["ANALOG"]["RATE"]["value"] = [240]
    c["parameters"]["ANALOG"]["LABELS"]["value"] = ("EMG1",)
    c["data"]["analogs"] = np.arange(300, dtype=float).reshape(1, 1, 300)
    c.write(str(tmp_path / "ez.c3d"))
    mine = read_c3d(tmp_path / "ez.c3d")
    assert mine.labels == ["LSHO", "RSHO", "LELB", "RELB"] and mine.fps == 120 and mine.units == "mm"
    np.testing.assert_allclose(mine.positions, xyz, atol=1e-3)
    refined, _ = refine_pose_file(read_pose_file(tmp_path / "ez.c3d"))
    write_pose_file(tmp_path / "out.c3d", refined)
    back = ezc3d.c3d(str(tmp_path / "out.c3d"))
    np.testing.assert_allclose(back["data"]["points"][:3].transpose(2, 1, 0), refined.tracks[0].keypoints, atol=1e-3)
    np.testing.assert_array_equal(back["data"]["analogs"], ezc3d.c3d(str(tmp_path / "ez.c3d"))["data"]["analogs"])
    assert list(back["parameters"]["POINT"]["LABELS"]["value"]) == ["LSHO", "RSHO", "LELB", "RELB"]


def test_c3d_takes_are_imported_as_a_training_corpus(tmp_path):
    """``synsp data import`` of C3D files (z-up, a subject prefix): the markers as a custom skeleton of their
    names, the one ``synsp refine`` gives the same files, in metres, y up."""
    from synsp.data.corpus import load_corpus

    labels = [f"S1:{m}" for m in ("LASI", "RASI", "LKNE", "RKNE", "LANK", "RANK")]
    for i in range(4):
        x = _walk(T=400, seed=10 + i, noise=0.0)  # height on z (about 1 m), walking along x
        build_c3d(tmp_path / f"take{i}.c3d", labels, x)
    files = [str(tmp_path / f"take{i}.c3d") for i in range(4)]
    assert main(["data", "import", *files, "-o", str(tmp_path / "mine.npz"), "--up", "z"]) == 0
    name = read_pose_file(tmp_path / "take0.c3d").skeleton
    corpus = load_corpus(tmp_path / "mine.npz", skeleton=name)
    clip = corpus[0].positions
    assert corpus[0].skeleton == name
    assert np.nanmedian(clip[..., 1]) > 0.5 and np.abs(np.nanmedian(clip[..., 2])) < 0.5  # metres, y up


def test_damaged_bytes_anywhere_are_read_or_refused_in_one_line(tmp_path):
    """Random bytes written over a valid file's header, parameters or data, and cuts at random lengths: every
    file is read (the damage hit nothing it needs) or refused with a SynspInputError; nothing else is raised and
    nothing loops."""
    build_c3d(tmp_path / "ok.c3d", ["LASI", "RASI", "LKNE"], _walk(T=40, M=3), analog=np.ones((40, 2)),
              extra=[("POINT", "ANGLES", -1, [4, 1], ["LKNE"])])
    raw = (tmp_path / "ok.c3d").read_bytes()
    rng = np.random.default_rng(0)
    outcomes = {"read": 0, "refused": 0}
    for k in range(300):
        bad = bytearray(raw)
        if k % 5 == 4:
            bad = bad[:int(rng.integers(1, len(raw)))]
        else:
            region = (0, 512) if k % 2 else (512, 1024)  # the header or the parameter section
            for at in rng.integers(*region, size=int(rng.integers(1, 6))):
                bad[at] = int(rng.integers(256))
        path = tmp_path / f"bad{k}.c3d"
        path.write_bytes(bytes(bad))
        try:
            c = read_c3d(path)
            assert c.positions.ndim == 3 and c.positions.shape[2] == 3
            outcomes["read"] += 1
        except SynspInputError as exc:
            assert str(path) in str(exc) and "\n" not in str(exc)
            outcomes["refused"] += 1
    assert outcomes["read"] > 50 and outcomes["refused"] > 50


def test_a_prop_beside_a_subject_is_left_as_it_is_and_named(tmp_path, capsys):
    walk = np.concatenate([_walk(T=80, seed=20), _walk(T=80, M=3, seed=21) + 1500], axis=1)
    markers = ["LASI", "RASI", "LKNE", "RKNE", "LANK", "RANK"]
    build_c3d(tmp_path / "prop.c3d", [f"Anna:{m}" for m in markers] + ["Box:A", "Box:B", "Box:C"], walk)
    pf = read_pose_file(tmp_path / "prop.c3d")
    assert [t.track_id for t in pf.tracks] == ["Anna"] and pf.meta["joint_names"] == markers
    assert main(["inspect", str(tmp_path / "prop.c3d")]) == 0
    assert "Box (3); left as they are" in capsys.readouterr().out
    assert main(["refine", str(tmp_path / "prop.c3d"), "-o", str(tmp_path / "out.c3d")]) == 0
    before, after = read_c3d(tmp_path / "prop.c3d"), read_c3d(tmp_path / "out.c3d")
    assert np.array_equal(before.positions[:, 6:], after.positions[:, 6:])
    assert not np.array_equal(before.positions[:, :6], after.positions[:, :6])


def test_a_coordinate_beyond_16_bit_integers_is_refused_and_nothing_is_written(tmp_path):
    from synsp.io.c3d import write_c3d

    build_c3d(tmp_path / "int.c3d", ["LASI", "RASI"], _walk(T=30, M=2), scale=0.1)  # integers: up to 3,276.7 mm
    c = read_c3d(tmp_path / "int.c3d")
    far = c.positions.copy()
    far[20, 1, 0] = 5000.0
    with pytest.raises(SynspInputError, match="16-bit integers"):
        write_c3d(tmp_path / "out.c3d", c, far)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["int.c3d"]
    write_c3d(tmp_path / "out.c3d", c, c.positions)  # the file's own values: written as they were
    assert (tmp_path / "out.c3d").read_bytes() == (tmp_path / "int.c3d").read_bytes()
