# Shared by the .ci setup scripts (sourced, not run): messages and apt installs.
# The sourcing script sets `who` to its own name first.

# The one folder everything the setup scripts install for the tests lives in (Azurite's
# node_modules, checkov's venv); tests/services.py reads the same default.
cache="${BOTLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/botless}"

say() { echo "${who:-ci}: $*" >&2; }

# apt-get install, as root only; on failure refresh the package lists once and try again.
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    return 1
  fi
  say "installing $* with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2; }
}
