"""Folders written whole (an OpenPose or YOLO output folder) get the permissions any new folder gets."""

import os
import stat

from synsp.io._common import atomic_folder


def test_a_folder_written_whole_gets_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_folder(tmp_path / "out") as tmp:
            (tmp / "a.json").write_text("{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755  # was 0700: others could not read it
    assert (tmp_path / "out" / "a.json").read_text() == "{}"
