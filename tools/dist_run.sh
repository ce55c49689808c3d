#!/usr/bin/env bash
# torchrun (torch.distributed.run, in place of the deprecated torch.distributed.launch) of
# one of our tools, NGPUS processes per node: the body of tools/dist_train.sh and
# tools/dist_test.sh.
#
# Usage: tools/dist_run.sh TOOL.py NGPUS [TOOL_ARGS...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT (defaults 1, 0, 127.0.0.1, 29500)
# on every node. PYTHON picks the interpreter (default: the repo's .venv, else python).

TOOL=$1
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
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$TOOLS_DIR/$TOOL" \
    "${@:3}"
