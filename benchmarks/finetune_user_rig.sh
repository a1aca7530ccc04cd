#!/usr/bin/env bash
# A user's own rig, end to end: import 15 CMU BVH files on their 57-joint DAZ rig (fingers and toes; no shipped
# model saw it), fine-tune the default on them (`synsp train --from`), train the `synsp train` default from
# scratch for comparison, and measure both beside the filters and the shipped default on the rig's test files
# (docs/results.md, "Fine-tuning the default on your own rig").  About 8 + 15 min of training on one core.
# Usage: bash benchmarks/finetune_user_rig.sh [work-folder]   (default: runs/user-rig)
set -euo pipefail
out=${1:-runs/user-rig}
data=$(cd "$(dirname "$0")/.." && pwd)/../shared/data/cmu_mocap/bvh_daz_aclstm
mkdir -p "$out"
# --keep-glitches: the figures of docs/results.md were measured on the rig's files whole (rest pose in front of
# each take included); since 2026-12-06 the import cuts such glitches unless told to keep them
[ -f "$out/user.npz" ] || synsp data import --keep-glitches "$data/martial" "$data/indian" -o "$out/user.npz"
skeleton=$(python -c "import sys; from synsp.data.corpus import corpus_meta; print(corpus_meta(sys.argv[1])['skeletons'][0])" "$out/user.npz")
[ -f "$out/ft/best.json" ] || synsp train --corpus "$out/user.npz" --skeleton "$skeleton" --from synsp-universal-w16 \
  --name user-ft --out "$out/ft"
[ -f "$out/scratch/best.json" ] || synsp train --corpus "$out/user.npz" --skeleton "$skeleton" --name user-scratch \
  --out "$out/scratch"
synsp export "$out/ft/best" --half --name user-ft --stride 2 -o "$out/ft-export/best"  # the default's stride
synsp benchmark --experiment robustness --corpus "$out/user.npz" --skeleton "$skeleton" \
  --methods "butterworth,kalman-rts,synsp-universal-w16,$out/ft-export,$out/scratch/best"
