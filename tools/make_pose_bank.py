"""Make ``src/synsp/weights/pose-bank-h36m17-w8.npz``: the pose bank of similar-pose grouping.

A maintainer's tool, run by hand (never at install time).  It draws ``--size`` windows of ``--window``
frames uniformly without replacement over every (clip, start) pair of the corpus **train** split
(:func:`synsp.data.pose_bank.draw_windows`, seeded by ``--seed``), on skeleton h36m17, in metres, and writes
them in the format of :meth:`synsp.data.pose_bank.PoseBank.save` (pickle-free ``.npz``: ``windows``,
``labels``, ``sources``, ``meta`` as a JSON string), so that :meth:`PoseBank.load` and
:func:`synsp.grouping.load_bank` read it with ``np.load(..., allow_pickle=False)``.

To fit in about 1 MB each window is moved so that its mean joint is at the origin (the bank's search
and alignment ignore position: descriptors are root-relative and companions are moved rigidly onto
the query), then stored as float16: within +-2 m float16 keeps positions to 1 mm or better.
``labels`` are the windows' takes (the corpus' take names, numbered in order of appearance) and
``sources`` (clip index in the train split as loaded, start frame), both int32.

    OMP_NUM_THREADS=1 .venv/bin/python tools/make_pose_bank.py            # the shipped file
    .venv/bin/python tools/make_pose_bank.py --size 3000 --out /tmp/bank.npz

The corpus is ``synsp data build``'s (``~/.cache/synsp/corpus-v1.npz``), or ``--corpus PATH``.
The same corpus, size and seed rebuild the same windows bit for bit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from synsp.data.corpus import built_corpus_path, load_corpus
from synsp.data.pose_bank import PoseBank, draw_windows

OUT = ROOT / "src" / "synsp" / "weights" / "pose-bank-h36m17-w8.npz"


def make_bank(corpus: str | Path, size: int, window: int, seed: int, skeleton: str = "h36m17") -> dict:
    """The arrays of the bank file (windows float16, centred per window)."""
    clips = load_corpus(corpus, skeleton=skeleton, split="train")
    windows, labels, sources = draw_windows(clips, window, size, seed)
    centred = windows - windows.mean(axis=(1, 2), keepdims=True)
    meta = {"version": 1, "skeleton": skeleton, "seed": int(seed), "window": int(window), "units": "m",
            "split": "train", "corpus": Path(corpus).name, "centred": True,
            "made_by": "tools/make_pose_bank.py"}
    return {"windows": centred.astype(np.float16), "labels": labels.astype(np.int32),
            "sources": sources.astype(np.int32), "meta": np.array(json.dumps(meta))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(built_corpus_path()), help="corpus .npz (default: synsp data build's)")
    ap.add_argument("--size", type=int, default=1500, help="windows in the bank (default 1500)")
    ap.add_argument("--window", type=int, default=8, help="frames per window (the model's, default 8)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the draw (default 0)")
    ap.add_argument("--out", default=str(OUT), help=f"output .npz (default {OUT.relative_to(ROOT)})")
    args = ap.parse_args(argv)
    arrays = make_bank(args.corpus, args.size, args.window, args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        np.savez_compressed(f, **arrays)
    bank = PoseBank.load(out)  # it loads (pickle-free) and searches
    _, index = bank.nearest(bank.windows[:3], 1)
    assert (index[:, 0] == np.arange(3)).all()
    print(f"{out}: {len(bank)} windows of {bank.window} frames ({bank.skeleton}), {len(set(bank.labels))} takes, "
          f"{out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
