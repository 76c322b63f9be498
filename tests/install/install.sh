#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds and runs
# consumer.c twice against it: once through pkg-config, once through
# find_package(cosma), and includes every header from C++.  Usage:
# install.sh BUILD_DIR SOURCE_DIR C_COMPILER
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

# Every installed header, from C++ (extern "C", no C-only syntax), when a
# C++ compiler is there.
if command -v c++ >/dev/null 2>&1; then
  for header in "$prefix"/include/cosma/*.h; do
    echo "#include <cosma/$(basename "$header")>"
  done >"$tmp/all.cpp"
  c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" "$tmp/all.cpp"
  echo "C++ includes $(wc -l <"$tmp/all.cpp") headers"
fi
