#!/usr/bin/env bash
# Distributed training: MMPose's tools/dist_train.sh with torchrun (torch.distributed.run)
# in place of the deprecated torch.distributed.launch, running our tools/train.py.
#
# Usage: tools/dist_train.sh CONFIG NGPUS [PY_ARGS...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT (defaults 1, 0, 127.0.0.1, 29500)
# on every node. PYTHON picks the interpreter (default: the repo's .venv, else python).

if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NGPUS [PY_ARGS...]" >&2
    exit 2
fi

CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
TOOLS_DIR=$(dirname "$0")
if [ -z "$PYTHON" ]; then
    PYTHON=python
    [ -x "$TOOLS_DIR/../.venv/bin/python" ] && PYTHON="$TOOLS_DIR/../.venv/bin/python"
fi

PYTHONPATH="$TOOLS_DIR/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$TOOLS_DIR/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
