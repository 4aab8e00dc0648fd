#!/usr/bin/env bash
# ctest demo_relay: runs hs-relay on a small ring and checks the facts it
# prints. usage: check.sh PATH/TO/hs-relay
set -euo pipefail

out=$("$1" 5 3 100) || { printf '%s\n' "$out"; echo "FAIL: hs-relay exited with an error" >&2; exit 1; }
printf '%s\n' "$out"
for want in \
	'tokens finished: 3 (expected 3)' \
	'total hops: 300 (expected 300)' \
	'total visits: 303 (expected 303)' \
	'transitions watched: 306 (expected 306)' \
	'visits per node: n0=61 n1=61 n2=60 n3=61 n4=60' \
	'hs-relay: ok'; do
	grep -qxF -- "$want" <<<"$out" || { echo "FAIL: missing line: $want" >&2; exit 1; }
done
[ "$(grep -c '^  token .* finished at ' <<<"$out")" = 3 ] ||
	{ echo "FAIL: expected 3 'token ... finished' lines from the watcher" >&2; exit 1; }
echo "demo_relay: ok"
