#!/usr/bin/env bash
# Installs what cosma needs to build and test (Debian packages), if missing.
set -euo pipefail
packages="build-essential clang cmake pkg-config python3 libglpk-dev libyaml-dev check libprotobuf-c-dev protobuf-c-compiler libonnx-dev libcjson-dev"
missing=""
for p in $packages; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing$missing"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
