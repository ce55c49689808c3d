#!/usr/bin/env bash
# The main job, end to end on CPU (run through `make demo`, which sets up .venv first):
#   1. generate the synthetic PoseTrack18-layout videos (data/synthetic_posetrack)
#   2. train the CPU single-frame baseline and the CPU headline model (STDPose + Feng & Chen,
#      docs/architecture.md) with tools/train.py
#   3. test each with tools/test.py (PoseTrack metric, predictions written per video)
#   4. print each PoseTrack AP table with tools/eval_posetrack.py (as for any tracker output),
#      overall and on occluded joints
#   5. the sparse-label workflow (tools/sparse_label_experiment.py): label 26.7% of the frames
#      of 30-frame videos, train the propagation model, propagate (vs copy / interpolation),
#      retrain on labels + pseudo-labels, compare with 26.7% and 100% labels
#   6. render a synthetic val video with tracked skeletons (tools/video_demo.py, streaming)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${1:-work_dirs/demo}
PY=${PYTHON:-.venv/bin/python}
DATA=data/synthetic_posetrack
# DEMO_EPOCHS=N shortens training (a quick check of the whole job); default: the configs'.
TRAIN_OPTIONS=()
SPARSE_OPTIONS=()
if [[ -n ${DEMO_EPOCHS:-} ]]; then
  TRAIN_OPTIONS=(--cfg-options "train_cfg.max_epochs=$DEMO_EPOCHS"
                 "train_cfg.val_interval=$DEMO_EPOCHS" "param_scheduler.1.T_max=$DEMO_EPOCHS")
  SPARSE_OPTIONS=(--propagation-epochs "$DEMO_EPOCHS" --estimator-epochs "$DEMO_EPOCHS")
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

MODEL_CONFIG=configs/cpu/stdpose-combined_tiny-hrnet_synthetic.py
run_model baseline configs/cpu/td-hm_tiny-hrnet_synthetic.py
run_model headline "$MODEL_CONFIG"

log "sparse labels: 26.7% labelled -> propagation -> pseudo-labels -> retraining"
$PY tools/sparse_label_experiment.py --work-dir "$OUT/sparse" "${SPARSE_OPTIONS[@]}"

log "rendering a synthetic val video with tracked skeletons (tools/video_demo.py)"
VIDEO_DIR=$(ls -d "$DATA"/images/val/*/ | head -n 1)
VIDEO_DIR=${VIDEO_DIR%/}
# The released-detections route: this video's boxes from the set's detections json.
$PY - "$DATA" "$(basename "$VIDEO_DIR")" "$OUT/video_detections.json" <<'PYEOF'
import json, sys
data, video, out = sys.argv[1:]
images = json.load(open(f'{data}/annotations/posetrack18_val.json'))['images']
ids = {image['id'] for image in images if f'/{video}/' in image['file_name']}
dets = json.load(open(f'{data}/annotations/posetrack18_val_human_detections.json'))
json.dump([det for det in dets if det['image_id'] in ids], open(out, 'w'))
PYEOF
$PY tools/video_demo.py "$MODEL_CONFIG" "$(cat "$OUT/headline/last_checkpoint")" \
  --input "$VIDEO_DIR" --bboxes "$OUT/video_detections.json" --output-root "$OUT/video" \
  --device cpu --kpt-thr 0.3 --radius 3 --thickness 2 --fps 10
log "done: logs, checkpoints, predictions, pseudo-labels and $OUT/video/*.mp4 are in $OUT"
