#!/usr/bin/env bash
# Make sure what the Cloud Functions tests start is here: Java 17+, the Pub/Sub emulator
# (tests/targets/drivers/gcf.py starts it on 127.0.0.1 and stops it at the end of the session)
# and the Firestore emulator (the dedupe store's tests; tests/services.py starts it).
# Installs what is missing with apt (Debian packages openjdk-17-jre-headless,
# google-cloud-cli-pubsub-emulator and google-cloud-cli-firestore-emulator; `gcloud
# components install` is no use offline or on an apt-managed SDK). Exits non-zero, saying what is missing, when it cannot be had: the
# tests skip without the emulator, and CI must not pass by skipping.
set -euo pipefail

who=emulators.sh
# shellcheck source=.ci/lib.sh
source "$(dirname "$0")/lib.sh"

java_major() {
  java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1") ? v[2] : v[1]; exit}'
}

sdk_roots=(/usr/lib/google-cloud-sdk /usr/share/google-cloud-sdk /opt/google-cloud-sdk)
if command -v gcloud >/dev/null 2>&1; then
  sdk_roots=("$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null || true)" "${sdk_roots[@]}")
fi

# The first SDK root holding `platform/<relative path>` as an executable, printed whole.
sdk_binary() {
  for root in "${sdk_roots[@]}"; do
    if [ -n "$root" ] && [ -x "$root/platform/$1" ]; then
      echo "$root/platform/$1"
      return 0
    fi
  done
  return 1
}

emulator_binary() { sdk_binary pubsub-emulator/bin/cloud-pubsub-emulator; }
firestore_binary() { sdk_binary cloud-firestore-emulator/cloud_firestore_emulator; }

if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  apt_install openjdk-17-jre-headless || true
fi
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  say "Java 17 or newer is needed by the Pub/Sub emulator and could not be installed;"
  say "install a JRE 17+ (Debian: apt-get install openjdk-17-jre-headless) and run this again."
  exit 1
fi

# An SDK emulator: installed with apt when missing, else a message saying how to get it.
ensure_emulator() {  # name, finder function, Debian package, gcloud component
  local name=$1 finder=$2 package=$3 component=$4
  if ! "$finder" >/dev/null; then
    apt_install "$package" || true
  fi
  if ! "$finder" >/dev/null; then
    say "the $name emulator is not installed and apt could not install it;"
    say "add Google's apt repository (https://cloud.google.com/sdk/docs/install#deb) and run"
    say "  apt-get install $package"
    say "(or, on a gcloud installed from its archive: gcloud components install $component)."
    exit 1
  fi
}

ensure_emulator Pub/Sub emulator_binary google-cloud-cli-pubsub-emulator pubsub-emulator
ensure_emulator Firestore firestore_binary google-cloud-cli-firestore-emulator cloud-firestore-emulator
binary="$(emulator_binary)"
firestore="$(firestore_binary)"

say "Java $(java_major), the Pub/Sub emulator ($binary) and the Firestore emulator ($firestore) are ready"
