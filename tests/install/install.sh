#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds and runs
# consumer.c twice against it: once through pkg-config, once through
# find_package(cosma).  Usage: install.sh BUILD_DIR SOURCE_DIR C_COMPILER
set -euo pipefail
build=$1 src=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/cosma"
"$prefix/bin/cosma" --version

pc_dir=$(dirname "$(find "$prefix" -name cosma.pc)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs cosma)
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror "$src/tests/install/consumer.c" $flags -o "$tmp/consumer-pc"
"$tmp/consumer-pc" "$src/graphs/example.yaml"

cmake -S "$src/tests/install" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
"$tmp/consumer/consumer" "$src/graphs/example.yaml"
