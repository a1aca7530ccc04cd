"""BVH reader/writer and forward kinematics on a hand-written file with hand-computed positions."""

from __future__ import annotations

import dataclasses
import gzip
import os

import numpy as np
import pytest

from synsp.io import Motion, read_bvh, read_motion, write_bvh
from synsp.kinematics import forward_kinematics
from synsp.validation import SynspInputError

HEADER = """HIERARCHY
ROOT hips
{
  OFFSET 1 2 3
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT spine
  {
    OFFSET 0 10 0
    CHANNELS 3 Xrotation Yrotation Zrotation
    JOINT head
    {
      OFFSET 0 5 0
      CHANNELS 3 Yrotation Xrotation Zrotation
      End Site
      {
        OFFSET 0 2 0
      }
    }
  }
  JOINT leg
  {
    OFFSET 1 0 0
    CHANNELS 1 Zrotation
    End Site
    {
      OFFSET 0 -4 0
    }
  }
}
MOTION
Frames: 5
Frame Time: 0.04
"""
# channels: hips Xp Yp Zp Zr Xr Yr | spine Xr Yr Zr | head Yr Xr Zr | leg Zr
FRAMES = [
    "0 0 0 0 0 0 0 0 0 0 0 0 0",
    "0 0 0 90 0 0 0 0 0 0 0 0 0",  # root Rz(90)
    "10 0 -5 0 0 0 90 0 0 0 0 0 -90",  # root moved, spine Rx(90), leg Rz(-90)
    "0 0 0 0 0 0 0 0 0 90 90 0 0",  # head: Y then X -> Ry(90) @ Rx(90)
    "0 0 0 90 90 0 0 0 0 0 0 0 0",  # root: Z then X -> Rz(90) @ Rx(90)
]
TEXT = HEADER + "\n".join(FRAMES) + "\n"
NAMES = ["hips", "spine", "head", "head_end", "leg", "leg_end"]
HEADER_LINES = HEADER.count("\n")  # the first frame is on line HEADER_LINES + 1

# hand-computed positions (column vectors, rotations composed in channel order)
EXPECTED = np.array(
    [
        # hips        spine        head          head_end      leg          leg_end
        [[1, 2, 3], [1, 12, 3], [1, 17, 3], [1, 19, 3], [2, 2, 3], [2, -2, 3]],
        # Rz(90) maps (0,10,0)->(-10,0,0), (1,0,0)->(0,1,0), (0,-4,0)->(4,0,0)
        [[1, 2, 3], [-9, 2, 3], [-14, 2, 3], [-16, 2, 3], [1, 3, 3], [5, 3, 3]],
        # root at (11,2,-2); spine Rx(90): (0,5,0)->(0,0,5); leg Rz(-90): (0,-4,0)->(-4,0,0)
        [[11, 2, -2], [11, 12, -2], [11, 12, 3], [11, 12, 5], [12, 2, -2], [8, 2, -2]],
        # head Ry(90) @ Rx(90): (0,2,0) -> (0,0,2) -> (2,0,0)
        [[1, 2, 3], [1, 12, 3], [1, 17, 3], [3, 17, 3], [2, 2, 3], [2, -2, 3]],
        # root Rz(90) @ Rx(90): (0,10,0) -> (0,0,10); (1,0,0) -> (0,1,0); (0,-4,0) -> (0,0,-4) -> (0,0,-4)
        [[1, 2, 3], [1, 2, 13], [1, 2, 18], [1, 2, 20], [1, 3, 3], [1, 3, -1]],
    ],
    dtype=float,
)


@pytest.fixture
def bvh_file(tmp_path):
    p = tmp_path / "tiny.bvh"
    p.write_text(TEXT)
    return p


def test_fk_positions_match_hand_computed(bvh_file):
    m = read_bvh(bvh_file)
    assert m.joint_names == NAMES
    assert list(m.parents) == [-1, 0, 1, 2, 0, 4]
    assert m.end_site.tolist() == [False, False, False, True, False, True]
    assert m.num_frames == 5 and m.fps == 25.0
    assert m.units == "cm" and m.metres_per_unit == 0.01
    np.testing.assert_allclose(m.positions, EXPECTED, atol=1e-9)


def test_rotation_order_follows_channel_order(bvh_file):
    m = read_bvh(bvh_file)
    # head channels are "Yrotation Xrotation Zrotation": L = Ry @ Rx, not Rx @ Ry
    ry = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]], float)
    rx = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], float)
    np.testing.assert_allclose(m.local_rotations[3, 2], ry @ rx, atol=1e-12)
    rz = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], float)
    np.testing.assert_allclose(m.local_rotations[4, 0], rz @ rx, atol=1e-12)


def test_end_sites_can_be_dropped(bvh_file):
    m = read_bvh(bvh_file, end_sites=False)
    assert m.joint_names == ["hips", "spine", "head", "leg"]
    assert list(m.parents) == [-1, 0, 1, 0]
    np.testing.assert_allclose(m.positions, EXPECTED[:, [0, 1, 2, 4]], atol=1e-9)


def test_fps_override_scale_and_metres(bvh_file):
    m = read_bvh(bvh_file, fps=50)
    assert m.fps == 50.0
    s = read_bvh(bvh_file, scale=0.01)
    assert s.units == "m" and s.metres_per_unit == pytest.approx(1.0)
    np.testing.assert_allclose(s.positions, EXPECTED * 0.01, atol=1e-12)
    mm = read_bvh(bvh_file).to_metres()
    assert mm.units == "m"
    np.testing.assert_allclose(mm.positions, EXPECTED * 0.01, atol=1e-12)


def test_round_trip_keeps_layout_and_values(bvh_file, tmp_path):
    m = read_bvh(bvh_file)
    out = tmp_path / "out.bvh"
    write_bvh(m, out)
    r = read_bvh(out)
    assert r.joint_names == m.joint_names
    assert r.channels == m.channels
    assert r.fps == m.fps
    np.testing.assert_allclose(r.offsets, m.offsets, atol=1e-12)
    np.testing.assert_allclose(r.local_rotations, m.local_rotations, atol=1e-9)
    np.testing.assert_allclose(r.positions, m.positions, atol=1e-7)
    # atomic write: nothing but the target is left in the folder
    assert sorted(os.listdir(tmp_path)) == ["out.bvh", "tiny.bvh"]


def test_round_trip_default_channels_and_gz(bvh_file, tmp_path):
    m = dataclasses.replace(read_bvh(bvh_file), channels=None)
    out = tmp_path / "out.bvh.gz"
    write_bvh(m, out)
    r = read_motion(out)
    assert r.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")
    assert r.channels[4] == ("Zrotation", "Yrotation", "Xrotation")
    np.testing.assert_allclose(r.positions, m.positions, atol=1e-7)


def test_reads_gzip(bvh_file, tmp_path):
    gz = tmp_path / "tiny.bvh.gz"
    gz.write_bytes(gzip.compress(TEXT.encode()))
    np.testing.assert_allclose(read_bvh(gz).positions, EXPECTED, atol=1e-9)


def test_truncated_file_names_line(tmp_path):
    p = tmp_path / "cut.bvh"
    p.write_text(HEADER + "\n".join(FRAMES[:3]) + "\n")
    with pytest.raises(SynspInputError, match=rf"cut\.bvh: line {HEADER_LINES + 4}:.*3 of the 5 frames.*truncated"):
        read_bvh(p)


def test_short_frame_line_names_line(tmp_path):
    frames = list(FRAMES)
    frames[2] = frames[2].rsplit(" ", 1)[0]
    p = tmp_path / "short.bvh"
    p.write_text(HEADER + "\n".join(frames) + "\n")
    with pytest.raises(SynspInputError, match=rf"short\.bvh: line {HEADER_LINES + 3}: frame 2 has 12 values; expected 13"):
        read_bvh(p)


def test_unknown_channel_names_line(tmp_path):
    p = tmp_path / "bad.bvh"
    p.write_text(TEXT.replace("CHANNELS 1 Zrotation", "CHANNELS 1 Wrotation"))
    line = TEXT.splitlines().index("    CHANNELS 1 Zrotation") + 1
    with pytest.raises(SynspInputError, match=rf"bad\.bvh: line {line}: unknown channel name 'Wrotation'"):
        read_bvh(p)


def test_malformed_hierarchy(tmp_path):
    p = tmp_path / "bad.bvh"
    p.write_text(TEXT.replace("OFFSET 0 10 0", "OFFSET 0 ten 0"))
    with pytest.raises(SynspInputError, match=r"line 8: malformed BVH hierarchy: found 'ten'"):
        read_bvh(p)
    p.write_text(TEXT.replace("  JOINT leg\n", "  JIONT leg\n"))
    with pytest.raises(SynspInputError, match=r"malformed BVH hierarchy: found 'JIONT'"):
        read_bvh(p)
    p.write_text("HIERARCHY\nROOT a\n{\n OFFSET 0 0 0\n")
    with pytest.raises(SynspInputError, match="no MOTION section"):
        read_bvh(p)
    with pytest.raises(SynspInputError, match="file not found"):
        read_bvh(tmp_path / "missing.bvh")


def test_failed_write_leaves_nothing(bvh_file, tmp_path):
    m = read_bvh(bvh_file)
    out = tmp_path / "fail.bvh"
    bad = list(m.channels)
    bad[4] = ("Xrotation",)  # leg rotates about Z: not representable with an X channel
    with pytest.raises(SynspInputError, match="leg"):
        write_bvh(m, out, channels=bad)
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["tiny.bvh"]


def test_motion_frame_selection(bvh_file):
    m = read_bvh(bvh_file)
    d = m.drop_frames(1, 1)
    assert d.num_frames == 3
    np.testing.assert_allclose(d.positions, EXPECTED[1:4], atol=1e-9)
    np.testing.assert_allclose(m.select_frames([4, 0]).positions, EXPECTED[[4, 0]], atol=1e-9)
    with pytest.raises(SynspInputError):
        m.drop_frames(3, 2)


def test_forward_kinematics_direct():
    rz90 = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], float)
    rots = np.stack([np.stack([np.eye(3), rz90, np.eye(3)])] * 2)
    offsets = np.array([[0, 0, 0], [0, 1, 0], [1, 0, 0]], float)
    root = np.array([[0, 0, 0], [5, 0, 0]], float)
    pos, glob = forward_kinematics(rots, offsets, [-1, 0, 1], root)
    # joint 2's offset (1,0,0) is rotated by its parent's Rz(90) to (0,1,0)
    np.testing.assert_allclose(pos[0], [[0, 0, 0], [0, 1, 0], [0, 2, 0]], atol=1e-12)
    np.testing.assert_allclose(pos[1, 2], [5, 2, 0], atol=1e-12)
    np.testing.assert_allclose(glob[:, 2], np.stack([rz90, rz90]), atol=1e-12)
    # "self" frame: the joint's own rotation moves its own offset
    pos_s, _ = forward_kinematics(rots, offsets, [-1, 0, 1], root, offset_frame="self")
    np.testing.assert_allclose(pos_s[0, 1], [-1, 0, 0], atol=1e-12)
    # per-frame offsets
    off_t = np.stack([offsets, offsets * 2])
    pos_t, _ = forward_kinematics(rots, off_t, [-1, 0, 1], root)
    np.testing.assert_allclose(pos_t[1, 2], [5, 4, 0], atol=1e-12)
    with pytest.raises(SynspInputError, match=r"parents\[1\] is 2"):
        forward_kinematics(rots, offsets, [-1, 2, 0], root)
    with pytest.raises(SynspInputError, match="offsets has shape"):
        forward_kinematics(rots, offsets[:2], [-1, 0, 1], root)


def test_motion_validates_shapes():
    with pytest.raises(SynspInputError, match="Motion.offsets"):
        Motion(["a", "b"], [-1, 0], np.zeros((3, 3)), np.tile(np.eye(3), (1, 2, 1, 1)), np.zeros((1, 3)), 30)


def test_non_root_position_channels(tmp_path):
    text = (
        "HIERARCHY\nROOT r\n{\n  OFFSET 0 0 0\n  CHANNELS 3 Zrotation Yrotation Xrotation\n"
        "  JOINT c {\n    OFFSET 0 1 0\n    CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation\n"
        "  }\n}\nMOTION\nFrames: 2\nFrame Time: 0.1\n"
        "0 0 0 0 0 0 0 0 0\n90 0 0 2 0 0 0 0 0\n"
    )
    p = tmp_path / "t.bvh"
    p.write_text(text)
    m = read_bvh(p)
    assert m.joint_names == ["r", "c"]  # JOINT name followed by '{' on the same line
    np.testing.assert_allclose(m.positions[:, 1], [[0, 1, 0], [-1, 2, 0]], atol=1e-12)  # Rz(90)(2,1,0)
    write_bvh(m, tmp_path / "u.bvh")
    np.testing.assert_allclose(read_bvh(tmp_path / "u.bvh").positions, m.positions, atol=1e-9)


def test_extra_frame_lines_warn_and_keep_the_declared_count(tmp_path):
    # assimp's Boxing_Toes.bvh declares 3069 frames and holds 3070 lines
    path = tmp_path / "extra.bvh"
    path.write_text(TEXT + FRAMES[-1] + "\n")
    with pytest.warns(UserWarning, match="declares 5; reading the declared 5"):
        motion = read_bvh(path)
    assert motion.num_frames == 5


@pytest.mark.parametrize("block", [1, 2, 3, 4096])
def test_frames_parsed_in_blocks_give_the_same_values_and_errors(bvh_file, tmp_path, monkeypatch, block):
    # an hour's cells as Python strings are gigabytes: the frame lines are parsed a block at a time
    from synsp.io import bvh as bvh_module

    whole = read_bvh(bvh_file)
    monkeypatch.setattr(bvh_module, "_BLOCK", block)
    m = read_bvh(bvh_file)
    np.testing.assert_array_equal(m.local_rotations, whole.local_rotations)
    np.testing.assert_array_equal(m.root_translation, whole.root_translation)
    for k, (bad, match) in enumerate([("x", r"'x' is not a number"), ("1 2", r"frame 3 has 2 values; expected 13")]):
        frames = list(FRAMES)
        frames[3] = frames[3].replace(" 90 90 ", " 90 x ") if bad == "x" else bad
        p = tmp_path / f"bad{k}.bvh"
        p.write_text(HEADER + "\n".join(frames) + "\n")
        with pytest.raises(SynspInputError, match=rf"line {HEADER_LINES + 4}: {match}"):
            read_bvh(p)


def test_forward_kinematics_only_when_asked_for(bvh_file):
    # a BVH refined as rotations never needs the joints' positions (an hour of 57 joints: 560 MB of them)
    m = read_bvh(bvh_file)
    assert "_kinematics" not in vars(m)
    np.testing.assert_allclose(m.positions, EXPECTED, atol=1e-9)
    assert "_kinematics" in vars(m) and m.global_rotations.shape == (5, 6, 3, 3)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_ends_read_like_unix_ones(tmp_path, newline):
    """The reader goes through the file line by line (an hour is never held whole): CRLF and CR line ends are
    line ends as for str.splitlines, and the error line numbers count them the same."""
    p = tmp_path / "crlf.bvh"
    p.write_bytes(TEXT.replace("\n", newline).encode())
    np.testing.assert_allclose(read_bvh(p).positions, EXPECTED, atol=1e-9)
    bad = tmp_path / "bad.bvh"
    bad.write_bytes((HEADER + "\n".join(FRAMES[:2] + ["0 0 x"] + FRAMES[3:]) + "\n").replace("\n", newline).encode())
    with pytest.raises(SynspInputError, match=f"line {HEADER_LINES + 3}: frame 2 has 3 values"):
        read_bvh(bad)


def test_a_byte_order_mark_is_read_past(bvh_file, tmp_path):
    bom = tmp_path / "bom.bvh"
    bom.write_bytes(b"\xef\xbb\xbf" + bvh_file.read_bytes())
    np.testing.assert_array_equal(read_bvh(bom).positions, read_bvh(bvh_file).positions)
