"""ASF/AMC reader on a hand-written skeleton with hand-computed bone ends."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from synsp.io import read_amc, read_asf, read_asf_amc, read_motion, write_bvh, read_bvh
from synsp.validation import SynspInputError

ASF = """# tiny test skeleton
:version 1.10
:name tiny
:units
  mass 1.0
  length 0.45
  angle deg
:documentation
   hand-written for the tests
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name upper
     direction 0 1 0
     length 2
     axis 0 0 0 XYZ
    dof rx ry rz
    limits (-180.0 180.0)
           (-180.0 180.0)
           (-180.0 180.0)
  end
  begin
     id 2
     name lower
     direction 1 0 0
     length 3
     axis 0 0 90 XYZ
    dof rx rz
    limits (-180.0 180.0)
           (-180.0 180.0)
  end
  begin
     id 3
     name side
     direction 0 0 1
     length 1
     axis 0 0 0 XYZ
  end
:hierarchy
  begin
    root upper side
    upper lower
  end
"""

AMC = """#!OML:ASF tiny.asf
:FULLY-SPECIFIED
:DEGREES
1
root 1 2 3 0 0 0
upper 0 0 0
lower 0 0
2
root 0 0 0 0 0 90
upper 0 0 0
lower 0 0
3
root 0 0 0 0 0 0
upper 90 0 0
lower 0 90
4
root 0 0 0 0 0 0
upper 0 0 0
lower 90 0
"""

# bone ends (root, upper, lower, side), ASF units
EXPECTED = np.array(
    [
        [[1, 2, 3], [1, 4, 3], [4, 4, 3], [1, 2, 4]],
        # root Rz(90): (0,2,0)->(-2,0,0), (3,0,0)->(0,3,0), (0,0,1) unchanged
        [[0, 0, 0], [-2, 0, 0], [-2, 3, 0], [0, 0, 1]],
        # upper Rx(90): (0,2,0)->(0,0,2); lower C Rz(90) C^-1 = Rz(90): (3,0,0)->(0,3,0)->Rx(90)->(0,0,3)
        [[0, 0, 0], [0, 0, 2], [0, 0, 5], [0, 0, 1]],
        # lower rx=90 about the bone axis C=Rz(90): L = Rz(90) Rx(90) Rz(-90) = Ry(90): (3,0,0)->(0,0,-3)
        [[0, 0, 0], [0, 2, 0], [0, 2, -3], [0, 0, 1]],
    ],
    dtype=float,
)
M_PER_UNIT = 0.0254 / 0.45


@pytest.fixture
def files(tmp_path):
    asf = tmp_path / "07.asf"
    asf.write_text(ASF)
    amc = tmp_path / "07_01.amc"
    amc.write_text(AMC)
    return asf, amc


def test_asf_parsing(files):
    skel = read_asf(files[0])
    assert skel.bone_names == ["root", "upper", "lower", "side"]
    assert list(skel.parents) == [-1, 0, 1, 0]
    assert skel.dofs[2] == ("rx", "rz") and skel.dofs[3] == ()
    assert skel.metres_per_unit == pytest.approx(0.056444, abs=1e-6)
    np.testing.assert_allclose(skel.offsets[2], [3, 0, 0])


def test_fk_bone_ends_match_hand_computed(files):
    m = read_amc(files[1], files[0], metres=False)
    assert m.joint_names == ["root", "upper", "lower", "side"]
    assert m.num_frames == 4 and m.fps == 120.0
    assert m.units == "asf" and m.metres_per_unit == pytest.approx(M_PER_UNIT)
    np.testing.assert_allclose(m.positions, EXPECTED, atol=1e-9)
    metres = read_asf_amc(files[0], files[1])
    assert metres.units == "m"
    np.testing.assert_allclose(metres.positions, EXPECTED * M_PER_UNIT, atol=1e-9)
    np.testing.assert_allclose(m.to_metres().positions, metres.positions, atol=1e-12)


def test_gz_fps_and_dispatch(files, tmp_path):
    asf, amc = files
    gz = tmp_path / "07_01.amc.gz"
    gz.write_bytes(gzip.compress(AMC.encode()))
    m = read_motion(gz, fps=60)  # finds 07.asf beside the file
    assert m.fps == 60.0
    np.testing.assert_allclose(m.positions, EXPECTED * M_PER_UNIT, atol=1e-9)


def test_unknown_bone_names_file_line_and_bone(files, tmp_path):
    bad = tmp_path / "bad.amc"
    bad.write_text(AMC.replace("4\nroot", "4\ntail 1 2 3\nroot"))
    line = AMC.replace("4\nroot", "4\ntail 1 2 3\nroot").splitlines().index("tail 1 2 3") + 1
    with pytest.raises(SynspInputError, match=rf"bad\.amc: line {line}: unknown bone 'tail'"):
        read_amc(bad, files[0])


def test_wrong_value_count(files, tmp_path):
    bad = tmp_path / "bad.amc"
    bad.write_text(AMC.replace("lower 90 0", "lower 90"))
    line = AMC.splitlines().index("lower 90 0") + 1
    with pytest.raises(SynspInputError, match=rf"line {line}: bone 'lower' has 1 values; its ASF dof list needs 2"):
        read_amc(bad, files[0])


def test_bad_hierarchy(tmp_path):
    p = tmp_path / "bad.asf"
    p.write_text(ASF.replace("upper lower", "upper elbow"))
    with pytest.raises(SynspInputError, match=r"line \d+: hierarchy names unknown bone 'elbow'"):
        read_asf(p)


def test_asf_motion_writes_to_bvh(files, tmp_path):
    m = read_amc(files[1], files[0])
    out = tmp_path / "tiny.bvh"
    write_bvh(m, out)
    r = read_bvh(out, units="m")
    # every ASF bone end is a BVH joint (bone start of a child) or an end site
    ends = {"root": "root", "upper": "lower", "lower": "lower_end", "side": "side_end"}
    for i, name in enumerate(m.joint_names):
        j = r.joint_names.index(ends[name])
        np.testing.assert_allclose(r.positions[:, j], m.positions[:, i], atol=1e-7)
