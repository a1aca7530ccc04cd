#!/usr/bin/env bash
# Does SynSP's Pose Quality Encoding matter where input quality varies from window to window?
# The same short recipe on the error family 'mixed-gentle' (clean segments included), from scratch,
# one change per run; compare them with:
#   synsp benchmark --experiment robustness --methods kalman-rts,runs/robust-ablations/<run>/best,...
# and the selection score in each run's log.csv (validation split).
set -euo pipefail
common=(--preset mixed-gentle --fast-motion 0.3 --epochs 6 --windows-per-epoch 20000 --lr 1e-3 --lr-decay 0.85
        --w-accel 20 --option zero_heads=true)
out=${RUNS:-runs}/robust-ablations
synsp train "${common[@]}" --option refine_branches=true --name refine-branches --out "$out/refine-branches"
synsp train "${common[@]}" --name paper --out "$out/paper"
synsp train "${common[@]}" --option pose_quality_encoding=false --name no-pqe --out "$out/no-pqe"
synsp train "${common[@]}" --option plain=true --name plain --out "$out/plain"
