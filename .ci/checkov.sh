#!/usr/bin/env bash
# Run checkov from its own virtualenv: it pins old boto3/botocore, which would break
# the project's resolver if it sat in the test extra. Creates the venv on first use.
#   CHECKOV_VENV   where the venv lives (default /tmp/botless-checkov-venv)
#   CHECKOV_VERSION  pin for pip (default: a tested 3.x)
# Usage: .ci/checkov.sh --install-only | .ci/checkov.sh <checkov args...>
set -euo pipefail
venv="${CHECKOV_VENV:-/tmp/botless-checkov-venv}"
version="${CHECKOV_VERSION:-3.3.30}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/checkov" ]; then
  echo "checkov.sh: creating $venv (checkov==$version)" >&2
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$version" >&2
fi
if [ "${1:-}" = "--install-only" ]; then
  "$venv/bin/checkov" --version
  exit 0
fi
exec "$venv/bin/checkov" "$@"
