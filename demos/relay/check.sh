#!/usr/bin/env bash
# ctest demo_relay: runs hs-relay on a small ring and checks the facts it
# prints. usage: check.sh PATH/TO/hs-relay
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$1" 5 3 100) ||
	{ printf '%s\n' "$out"; fail "hs-relay exited with an error"; }
printf '%s\n' "$out"
for want in \
	'tokens finished: 3 (expected 3)' \
	'total hops: 300 (expected 300)' \
	'total visits: 303 (expected 303)' \
	'transitions watched: 306 (expected 306)' \
	'visits per node: n0=61 n1=61 n2=60 n3=61 n4=60' \
	'hs-relay: ok'; do
	grep -qxF -- "$want" <<<"$out" || fail "missing line: $want"
done
finished=$(grep -c '^  token .* finished at ' <<<"$out" || true)
[ "$finished" = 3 ] ||
	fail "the watcher printed $finished lines 'token ... finished', not 3"
echo "demo_relay: ok"
