#!/usr/bin/env bash
# Distributed testing: MMPose's tools/dist_test.sh with torchrun (torch.distributed.run)
# in place of the deprecated torch.distributed.launch, running our tools/test.py.
#
# Usage: tools/dist_test.sh CONFIG CHECKPOINT NGPUS [PY_ARGS...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT (defaults 1, 0, 127.0.0.1, 29500)
# on every node. PYTHON picks the interpreter (default: the repo's .venv, else python).

if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT NGPUS [PY_ARGS...]" >&2
    exit 2
fi

CONFIG=$1
CHECKPOINT=$2
GPUS=$3
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
    "$TOOLS_DIR/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
