#!/usr/bin/env bash
# Make sure what the Cloud Functions tests start is here: Java 17+, the Pub/Sub emulator
# (tests/targets/drivers/gcf.py starts it on 127.0.0.1 and stops it at the end of the session)
# and the Firestore emulator (the dedupe store's tests; tests/services.py starts it).
# Installs what is missing with apt (Debian packages openjdk-17-jre-headless,
# google-cloud-cli-pubsub-emulator and google-cloud-cli-firestore-emulator; `gcloud
# components install` is no use offline or on an apt-managed SDK). Exits non-zero, saying what is missing, when it cannot be had: the
# tests skip without the emulator, and CI must not pass by skipping.
set -euo pipefail

say() { echo "emulators.sh: $*" >&2; }

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    return 1
  fi
  say "installing $* with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2; }
}

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

if ! emulator_binary >/dev/null; then
  apt_install google-cloud-cli-pubsub-emulator || true
fi
if ! binary="$(emulator_binary)"; then
  say "the Pub/Sub emulator is not installed and apt could not install it;"
  say "add Google's apt repository (https://cloud.google.com/sdk/docs/install#deb) and run"
  say "  apt-get install google-cloud-cli-pubsub-emulator"
  say "(or, on a gcloud installed from its archive: gcloud components install pubsub-emulator)."
  exit 1
fi

if ! firestore_binary >/dev/null; then
  apt_install google-cloud-cli-firestore-emulator || true
fi
if ! firestore="$(firestore_binary)"; then
  say "the Firestore emulator is not installed and apt could not install it;"
  say "add Google's apt repository (https://cloud.google.com/sdk/docs/install#deb) and run"
  say "  apt-get install google-cloud-cli-firestore-emulator"
  say "(or, on a gcloud installed from its archive: gcloud components install cloud-firestore-emulator)."
  exit 1
fi

say "Java $(java_major), the Pub/Sub emulator ($binary) and the Firestore emulator ($firestore) are ready"
