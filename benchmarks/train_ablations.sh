#!/usr/bin/env bash
# Trains the models the ablation, Pearson and Table 1 experiments compare (CPU, about 8 min per SynSP
# model on one core).  Every model uses the shipped default's recipe and seed and changes one thing.
# Usage: bash benchmarks/train_ablations.sh [runs-folder]   (default: runs/ablations)
set -euo pipefail
out=${1:-runs/ablations}
common=(--architecture synsp --size small --preset 3dpw-spin-like+h36m-fcn-like+vibe-like --epochs 12
        --windows-per-epoch 50000 --lr-decay 0.9)
train() {  # name, extra options...
  local name=$1; shift
  if [ -f "$out/$name/done" ]; then return; fi
  local resume=(); [ -f "$out/$name/last.pt" ] && resume=(--resume)
  synsp train "${common[@]}" --name "$name" --out "$out/$name" "$@" "${resume[@]}"
  touch "$out/$name/done"
}
train no-pqe --w-accel 50 --option pose_quality_encoding=false
train no-global-encoder --w-accel 50 --option global_encoder=false
train shared-decoder --w-accel 50 --option shared_last_layer=true
train plain --w-accel 50 --option plain=true
train ratio-5 --w-accel 5
train ratio-0.5 --w-accel 0.5
synsp train --architecture smoothnet --window 32 --preset 3dpw-spin-like+h36m-fcn-like+vibe-like --epochs 6 \
  --windows-per-epoch 20000 --lr-decay 0.8 --name smoothnet-h36m17-3d-w32 --out "$out/smoothnet-w32" \
  $([ -f "$out/smoothnet-w32/last.pt" ] && echo --resume)
train refine-branches --w-accel 50 --option refine_branches=true
train full --w-accel 50   # the paper-style refinement stage (the first shipped default)
