"""The inversions experiment (synsp.experiments.inversions) measures what it says, on short test-split clips."""

import numpy as np
import pytest

from synsp.experiments import inversions as ib
from synsp.experiments import EXPERIMENTS, run_experiment
from synsp.validation import SynspInputError


@pytest.fixture(scope="module", params=["3d", "2d"])
def case_and_clips(request):
    case = ib.CASES[request.param]
    return case, [g[:300] for g in ib.clips(case, 1000)[:2]]


def test_restored_counts_the_truth_of_the_simulator(case_and_clips):
    case, gts = case_and_clips
    drawn = ib.draw(case, gts, follow=True, rate=0.1, seed=0)
    r = ib.restoration(case, drawn)
    truth = sum(int(d.truth.sum()) for d in drawn)
    assert sum(n for _, n in r["groups"].values()) == truth > 0  # every inverted group-frame counted once
    assert r["others"] + truth == sum(d.truth.size for d in drawn)
    assert all(hit >= 0.95 * n for hit, n in r["groups"].values()) and r["wrong"] <= 0.005 * r["others"]


def test_the_repair_rows_match_the_input_without_inversions_and_the_plain_rows_do_not(case_and_clips):
    case, gts = case_and_clips
    drawn = ib.draw(case, gts[:1], follow=True, rate=0.1, seed=0)
    rows = {r["method"]: r for r in ib.mpjpe_rows(case, drawn, [("input", None, False),
                                                                ("butterworth", "butterworth", False),
                                                                ("butterworth + repair", "butterworth", True)])}
    for name, r in rows.items():
        assert r["with / without"] == f"{100 * (r['MPJPE'] / r['MPJPE without the inversions'] - 1):+.1f} %"
    assert rows["input"]["MPJPE inverted frames"] > 2 * rows["input"]["its inverted frames"]
    repaired = rows["butterworth + repair"]
    assert abs(repaired["MPJPE"] / repaired["MPJPE without the inversions"] - 1) < 0.1
    assert rows["butterworth"]["MPJPE"] > 1.1 * rows["butterworth"]["MPJPE without the inversions"]


def test_nothing_is_relabelled_on_error_free_motion(case_and_clips):
    case, gts = case_and_clips
    counts = ib.false_relabelling(case, gts, seed=0)
    assert counts["error-free motion"] == (0, sum(len(g) for g in gts))
    n, frames = counts[f"{case.preset} without inversions"]
    assert n <= 0.005 * frames


def test_crossing_swaps_are_given_back_and_people_who_never_swap_are_not_moved():
    case = ib.CASES["2d"]
    swapped = ib.crossings(case, 300, seed=0)
    assert swapped["restored"] >= 0.95 * swapped["swapped"] > 0 and swapped["moved"] <= 0.005 * swapped["others"]
    assert swapped["repaired"] < 0.2 * swapped["plain"]
    kept = ib.crossings(case, 300, seed=0, switch=0.0)
    assert kept["swapped"] == 0 and kept["moved"] == 0 and kept["repaired"] == pytest.approx(kept["plain"])


def test_the_experiment_is_registered_for_3d_and_2d_and_the_methods_name_the_default_model():
    assert "inversions" in EXPERIMENTS
    labels = [label for label, _, _ in ib.methods_of(ib.CASES["2d"])]
    assert labels[0] == "input" and "kalman-rts + repair" in labels and "butterworth" in labels
    assert labels[-2:] == ["synsp-universal-w16, repair=False", "synsp-universal-w16 (repair on, the default)"]
    assert ib.case_of("mediapipe33", "2d").preset == "mediapipe-like"
    with pytest.raises(SynspInputError, match="inversions"):
        run_experiment("ablation", skeleton="coco17", representation="2d")
    assert np.isnan(ib._mean([np.array([])]))
