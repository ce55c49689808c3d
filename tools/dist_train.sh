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

exec bash "$(dirname "$0")/dist_run.sh" train.py "$2" "$1" --launcher pytorch "${@:3}"
