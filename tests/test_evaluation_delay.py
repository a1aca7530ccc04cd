"""synsp.evaluation asks each refiner for its window and delay (the refiner contract), never its class or name."""

import numpy as np

from synsp.evaluation import compare, markdown_table
from synsp.filters import WHOLE_SEQUENCE
from synsp.refiners import get_refiner


def test_compare_reports_each_refiners_own_window_and_delay():
    rng = np.random.default_rng(0)
    gt = np.cumsum(rng.normal(scale=0.01, size=(40, 17, 3)), axis=0)
    clips = [(gt, gt + rng.normal(scale=0.01, size=gt.shape), np.ones((40, 17)))]
    methods = ["one-euro", "savgol", "gaussian-mmpose", "butterworth", "synsp-h36m17-3d-w8",
               "synsp-h36m17-3d-w8-causal"]
    rows = compare(methods, ["clip"], [0], sets={"clip": [clips]})
    assert [r.method for r in rows] == ["input", *methods]
    assert rows[0].input and not any(r.input for r in rows[1:])
    for r in rows[1:]:
        refiner = get_refiner(r.method)
        assert (r.window, r.delay_frames) == (refiner.window, refiner.delay)
    assert [r.delay_frames for r in rows] == [0, 0, 15, 21, WHOLE_SEQUENCE, 7, 0]
    table = markdown_table(rows)
    assert "| clip | input | 1 |" in table and "| clip | savgol | 1+31 (15 f, 500 ms) |" in table
    assert "| clip | butterworth | offline (whole sequence) |" in table
