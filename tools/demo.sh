#!/usr/bin/env bash
# The main job, end to end on CPU (run through `make demo`, which sets up .venv first):
#   1. generate the synthetic PoseTrack18-layout videos (data/synthetic_posetrack)
#   2. train the CPU single-frame baseline and the CPU STDPose model with tools/train.py
#   3. test each with tools/test.py (PoseTrack metric, predictions written per video)
#   4. print each PoseTrack AP table with tools/eval_posetrack.py (as for any tracker output),
#      overall and on occluded joints
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${1:-work_dirs/demo}
PY=${PYTHON:-.venv/bin/python}
DATA=data/synthetic_posetrack
# DEMO_EPOCHS=N shortens training (a quick check of the whole job); default: the configs'.
TRAIN_OPTIONS=()
if [[ -n ${DEMO_EPOCHS:-} ]]; then
  TRAIN_OPTIONS=(--cfg-options "train_cfg.max_epochs=$DEMO_EPOCHS"
                 "train_cfg.val_interval=$DEMO_EPOCHS" "param_scheduler.1.T_max=$DEMO_EPOCHS")
fi
mkdir -p "$OUT"
log() { printf '\n[demo %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

if [[ ! -f $DATA/annotations/posetrack18_val.json ]]; then
  log "generating synthetic PoseTrack videos into $DATA"
  # Many short videos: appearance diversity matters more than length for generalising.
  # Train frames are all annotated; sparse labelling is the dataset's job (labeled_ratio).
  $PY tools/make_synthetic_posetrack.py "$DATA" --train-videos 40 --val-videos 4 \
    --frames 24 --label-stride 1 --seed 0
fi

run_model() {  # name config
  local name=$1 config=$2
  log "training $name ($config)"
  $PY tools/train.py "$config" --work-dir "$OUT/$name" "${TRAIN_OPTIONS[@]}" \
    > "$OUT/$name.train.log" 2>&1 \
    || { tail -n 40 "$OUT/$name.train.log"; exit 1; }
  grep -E "Epoch\(val\)" "$OUT/$name.train.log" | tail -n 1 || true
  log "testing $name with tools/test.py"
  $PY tools/test.py "$config" "$(cat "$OUT/$name/last_checkpoint")" \
    --work-dir "$OUT/$name/test" \
    --cfg-options "test_evaluator.outfile_prefix=$OUT/$name/predictions/" \
    > "$OUT/$name.test.log" 2>&1 || { tail -n 40 "$OUT/$name.test.log"; exit 1; }
  log "PoseTrack AP of $name (tools/eval_posetrack.py on its prediction files)"
  $PY tools/eval_posetrack.py "$DATA/annotations/val" "$OUT/$name/predictions" \
    --out "$OUT/$name/metrics.json"
  log "PoseTrack AP of $name on occluded joints"
  $PY tools/eval_posetrack.py "$DATA/annotations/val" "$OUT/$name/predictions" \
    --subset occluded --out "$OUT/$name/metrics_occluded.json"
}

run_model baseline configs/cpu/td-hm_tiny-hrnet_synthetic.py
run_model stdpose configs/cpu/stdpose_tiny-hrnet_synthetic.py
log "done: logs, checkpoints and predictions are in $OUT"
