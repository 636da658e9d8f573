#!/usr/bin/env bash
# Make sure the stores and servers the tests start are here (tests/services.py starts each one on
# 127.0.0.1 and stops it at the end of the session):
#   redis-server  Debian package redis-server, with apt when missing (the service apt may
#                 register is not started here: the tests start their own on a free port);
#   ngircd        Debian's IRC server, for the IRC chat source (same: started by the tests);
#   Azurite       Microsoft's Azure Storage emulator (its Table service), from npm into
#                 ${BOTLESS_TOOLS:-$BOTLESS_CACHE/tools}/node_modules when missing; the tests
#                 look there (or at BOTLESS_AZURITE, or on PATH). node and npm come from apt
#                 when missing.
# Exits non-zero, saying what is missing, when something cannot be had: the tests skip
# without it, and CI must not pass by skipping.
set -euo pipefail

who=services.sh
# shellcheck source=.ci/lib.sh
source "$(dirname "$0")/lib.sh"

# -- Redis ------------------------------------------------------------------------------
if ! command -v redis-server >/dev/null 2>&1; then
  apt_install redis-server || true
fi
if ! command -v redis-server >/dev/null 2>&1; then
  say "redis-server is not installed and apt could not install it; run"
  say "  apt-get install redis-server    (or put any redis-server 6+ on PATH)"
  exit 1
fi

# -- ngircd (the IRC source's tests start their own on a free port) -------------------------
if ! command -v ngircd >/dev/null 2>&1 && [ ! -x /usr/sbin/ngircd ]; then
  apt_install ngircd || true
fi
if ! command -v ngircd >/dev/null 2>&1 && [ ! -x /usr/sbin/ngircd ]; then
  say "ngircd is not installed and apt could not install it; run"
  say "  apt-get install ngircd    (Debian's IRC server; the 'ergo' package is something else)"
  exit 1
fi

# -- Azurite (Table service) --------------------------------------------------------------
tools="${BOTLESS_TOOLS:-$cache/tools}"
azurite="$tools/node_modules/.bin/azurite-table"
if [ ! -x "$azurite" ]; then
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    apt_install nodejs npm || true
  fi
  if ! command -v npm >/dev/null 2>&1; then
    say "npm is needed to install Azurite and could not be installed; install Node.js 18+ with npm"
    exit 1
  fi
  say "installing Azurite into $tools with npm"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "azurite@3" >&2
fi
if [ ! -x "$azurite" ]; then
  say "Azurite did not install into $tools; run: npm install --prefix $tools azurite"
  exit 1
fi

say "$(redis-server --version | cut -d' ' -f1-3) and Azurite $("$azurite" --version 2>/dev/null || echo '?') ($azurite) are ready"
