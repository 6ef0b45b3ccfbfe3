#!/usr/bin/env bash
# Create .venv (if missing) and install the fork with its test extras into it.
# Idempotent: a second run only re-installs the fork itself.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
.venv/bin/python -c "import tvm; from tvm import relay; print('tvm', tvm.__version__, '+ fork at', relay.__path__[0])"
