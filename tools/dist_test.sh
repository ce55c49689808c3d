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

exec bash "$(dirname "$0")/dist_run.sh" test.py "$3" "$1" "$2" --launcher pytorch "${@:4}"
