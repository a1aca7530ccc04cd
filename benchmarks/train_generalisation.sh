#!/usr/bin/env bash
# Trains one SynSP per simulated estimator (the shipped default's recipe, one preset each) for the
# generalisation matrix: `synsp benchmark --experiment generalisation`.  About 12 min per model on one core.
# Usage: bash benchmarks/train_generalisation.sh [runs-folder]   (default: runs/generalisation)
set -euo pipefail
out=${1:-runs/generalisation}
for preset in h36m-fcn-like 3dpw-spin-like vibe-like; do
  if [ -f "$out/$preset/done" ]; then continue; fi
  resume=(); [ -f "$out/$preset/last.pt" ] && resume=(--resume)
  synsp train --architecture synsp --size small --preset "$preset" --epochs 12 --windows-per-epoch 50000 \
    --lr-decay 0.9 --w-accel 50 --name "synsp-h36m17-3d-w8-$preset" --out "$out/$preset" "${resume[@]}"
  touch "$out/$preset/done"
done
