#!/usr/bin/env bash
# Run checkov from its own virtualenv: it pins old boto3/botocore, which would break
# the project's resolver if it sat in the test extra. Creates the venv on first use.
#   CHECKOV_VENV     where the venv lives (default $BOTLESS_CACHE/checkov-venv, .ci/lib.sh)
#   CHECKOV_VERSION  the pinned release (default 3.3.30, the one the infra checks were tuned on)
# Usage: .ci/checkov.sh               create the venv if missing and print the version
#        .ci/checkov.sh ARGS...       run checkov ARGS... (creating the venv first if missing)
set -euo pipefail
who=checkov.sh
# shellcheck source=.ci/lib.sh
source "$(dirname "$0")/lib.sh"
venv="${CHECKOV_VENV:-$cache/checkov-venv}"
version="${CHECKOV_VERSION:-3.3.30}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/checkov" ]; then
  echo "checkov.sh: creating $venv (checkov==$version)" >&2
  "$python" -m venv "$venv"
  # Quiet: this machine's pip config names local indexes that may not exist.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$version" 2>/dev/null \
    || "$venv/bin/python" -m pip install --disable-pip-version-check "checkov==$version" >&2
fi
if [ "$#" -eq 0 ]; then
  exec "$venv/bin/checkov" --version
fi
exec "$venv/bin/checkov" "$@"
