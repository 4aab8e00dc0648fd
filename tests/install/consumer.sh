#!/usr/bin/env bash
# Installs a hindsight build into a temporary prefix, then builds and runs
# tests/install/consumer/main.c against it three ways: find_package with the
# shared and with the static library, and pkg-config with the shared one.
#
# usage: consumer.sh BUILD_DIR CONSUMER_SRC_DIR CMAKE CC
# env:   HS_SANITIZE  sanitizers the library was built with ("" for none);
#                     the consumer is built with the same ones.
set -euo pipefail

build=$1 src=$2 cmake=$3 cc=$4
san_flags=""
if [ -n "${HS_SANITIZE:-}" ]; then
	san_flags="-fsanitize=$HS_SANITIZE -fno-sanitize-recover=all"
	san_flags+=" -fno-omit-frame-pointer"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

step() { printf '== %s\n' "$*"; }
expect() { # expect NAME PROGRAM: runs it and checks what it prints
	local out
	if ! out=$("$2"); then
		printf '%s\n' "$out"
		echo "FAIL: $1 exited with an error" >&2
		exit 1
	fi
	printf '%s\n' "$out"
	if [ "$out" != "consumer: total=10" ]; then
		echo "FAIL: $1 printed '$out', expected 'consumer: total=10'" >&2
		exit 1
	fi
}

step "install into $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
	{ cat "$tmp/install.log"; exit 1; }

step "find_package(hindsight)"
"$cmake" -S "$src" -B "$tmp/cb" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_C_FLAGS="$san_flags" -DCMAKE_EXE_LINKER_FLAGS="$san_flags" \
	>"$tmp/cb.log" || { cat "$tmp/cb.log"; exit 1; }
"$cmake" --build "$tmp/cb" >>"$tmp/cb.log" || { cat "$tmp/cb.log"; exit 1; }
expect "find_package shared" "$tmp/cb/consumer_shared"
expect "find_package static" "$tmp/cb/consumer_static"

step "pkg-config hindsight"
pc=$(find "$prefix" -name hindsight.pc -print -quit)
[ -n "$pc" ] || { echo "FAIL: no hindsight.pc installed" >&2; exit 1; }
export PKG_CONFIG_PATH=${pc%/*}
libdir=$(cd "$(pkg-config --variable=libdir hindsight)" && pwd -P)
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 $san_flags "$src/main.c" -o "$tmp/consumer_pc" \
	$(pkg-config --cflags --libs hindsight)
export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
deps=$(ldd "$tmp/consumer_pc")
if ! grep -qF "libhindsight.so.0 => $libdir/" <<<"$deps"; then
	echo "FAIL: consumer_pc does not load $libdir/libhindsight.so.0" >&2
	printf '%s\n' "$deps" >&2
	exit 1
fi
expect "pkg-config shared" "$tmp/consumer_pc"
echo "install_consumer: ok"
