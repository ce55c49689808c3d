#!/usr/bin/env bash
# Build the project's isolated environment from nothing (Python 3.11, no GPU needed).
#
# Creates $STDPOSE_VENV (default: <repo>/.venv) with the pinned OpenMMLab stack and
# installs stdpose_mm in editable mode. The mmcv wheel (built from its sdist, with ops)
# is cached in $STDPOSE_CACHE/wheels (default: ~/.cache/stdpose_mm/wheels), so only the
# first setup on a machine pays the mmcv build (663 s measured from nothing on 2 cores,
# 2026-12-02); later ones take about a minute.
#
# CUDA ops: on a machine with nvcc and a visible GPU mmcv's setup.py builds the CUDA ops
# by itself; set FORCE_CUDA=1 to force them (e.g. in a GPU container without a driver).
# CUDA and CPU builds are cached under different names.
#
# Re-running is cheap: a stamp records the hash of this script and setup.py.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${STDPOSE_VENV:-$ROOT/.venv}
CACHE=${STDPOSE_CACHE:-$HOME/.cache/stdpose_mm}
PYTHON=${PYTHON:-python3.11}
MMCV_VERSION=2.1.0

log() { printf '[setup_env %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

stamp_value=$(cat "$ROOT/tools/setup_env.sh" "$ROOT/setup.py" "$ROOT/requirements.txt" 2>/dev/null | sha256sum | cut -d' ' -f1)
stamp_file=$VENV/.stdpose_setup_stamp
if [[ -f $stamp_file && $(cat "$stamp_file") == "$stamp_value" ]]; then
  log "environment up to date: $VENV"
  exit 0
fi

start=$(date +%s)
if [[ ! -x $VENV/bin/python ]]; then
  log "creating venv at $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

log "torch + build tools"
"${PIP[@]}" install -q "torch==2.14.1" "torchvision==0.29.1"
# mmengine 0.10.7 imports pkg_resources, removed in setuptools 80.
"${PIP[@]}" install -q "setuptools<80" wheel cython ninja numpy

# mmcv: a CUDA or a CPU-ops build, each cached under its own folder.
cuda_build=0
if [[ ${FORCE_CUDA:-0} == 1 ]] || "$VENV/bin/python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  cuda_build=1
fi
wheel_dir=$CACHE/wheels/mmcv-$MMCV_VERSION-$([[ $cuda_build == 1 ]] && echo cuda || echo cpu)
mkdir -p "$wheel_dir"
mmcv_wheel=$(ls "$wheel_dir"/mmcv-$MMCV_VERSION-*.whl 2>/dev/null | head -n1 || true)
if [[ -z $mmcv_wheel ]]; then
  log "building mmcv $MMCV_VERSION with ops (cuda=$cuda_build); ~10 min on 2 cores, cached after"
  build_dir=$(mktemp -d)
  trap 'rm -rf "$build_dir"' EXIT
  "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
    "mmcv==$MMCV_VERSION" -d "$build_dir"
  tar -xzf "$build_dir"/mmcv-$MMCV_VERSION.tar.gz -C "$build_dir"
  # torch >= 2.10 headers need C++20.
  sed -i 's/-std=c++17/-std=c++20/g' "$build_dir/mmcv-$MMCV_VERSION/setup.py"
  (cd "$build_dir/mmcv-$MMCV_VERSION" && \
    MMCV_WITH_OPS=1 FORCE_CUDA=$cuda_build MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    "${PIP[@]}" wheel -q --no-deps --no-build-isolation . -w "$build_dir/dist")
  cp "$build_dir"/dist/mmcv-*.whl "$wheel_dir/"
  mmcv_wheel=$(ls "$wheel_dir"/mmcv-$MMCV_VERSION-*.whl | head -n1)
fi
log "installing $mmcv_wheel"
"${PIP[@]}" install -q --no-deps "$mmcv_wheel"

log "OpenMMLab stack"
# chumpy (declared by mmpose, never imported) needs the venv's setuptools to build.
"${PIP[@]}" install -q --no-build-isolation chumpy
# xtcocotools' wheel is built against numpy 1 and crashes on numpy 2: build from source.
"${PIP[@]}" install -q --no-build-isolation --no-binary xtcocotools xtcocotools
# mmpretrain 1.2.0 (requirements.txt) gives ViTPose's backbone (mmpretrain.VisionTransformer,
# what MMPose's ViTPose configs build). Checked on this stack (numpy 2.4, torch 2.14.1, mmcv
# 2.1.0, mmengine 0.10.7): `pip install --dry-run mmpretrain==1.2.0` changes no installed
# version (it adds only pure-Python packages: einops, mat4py, modelindex, importlib_metadata,
# ...); its mmcv/mmengine version checks pass; VisionTransformer builds, trains and loads
# checkpoints (pos_embed resize hook included) with no numpy-2 or torch-2.14 error. Its
# other parts (datasets, multimodal models) are not used and were not checked.
"${PIP[@]}" install -q -r "$ROOT/requirements.txt"
"${PIP[@]}" install -q --no-build-isolation --no-deps -e "$ROOT"

"$VENV/bin/python" -c 'import mmcv, mmcv.ops, mmengine, mmpose, mmdet, mmpretrain, xtcocotools, stdpose_mm; print("mmcv", mmcv.__version__, "mmpose", mmpose.__version__, "mmdet", mmdet.__version__, "mmpretrain", mmpretrain.__version__)'
echo "$stamp_value" > "$stamp_file"
log "done in $(( $(date +%s) - start )) s"
