#!/usr/bin/env bash
# ctest demo_orders: runs hs-orders and checks the facts it prints, not
# just its exit code.
# usage: test.sh PATH/TO/hs-orders [PATH/TO/libhs_orders_types.so [PATH/TO/hindsight]]
set -euo pipefail

bin=$1
plugin=${2:-}
cli=${3:-}
fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-orders-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

run() {
	local name=$1
	shift
	"$bin" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" ||
		{ cat "$tmp/$name.out" "$tmp/$name.err"; fail "hs-orders $* exited with an error"; }
}

# --- 1. a run, every answer checked ----------------------------------------
run a --orders 300 --seed 7 --db "$tmp/a"
out=$(cat "$tmp/a.out")
printf '%s\n' "$out"

grep -qxF 'hs-orders: ok' <<<"$out" || fail "no 'hs-orders: ok'"
! grep -q '^MISMATCH' <<<"$out" || fail "a check failed"
n=$(grep -c '^CHECK .*: ok$' <<<"$out" || true)
[ "$n" = 7 ] || fail "expected 7 CHECK lines, got $n"

# Every order ended, shipped or canceled; the outcome adds up.
read -r shipped canceled fraud noship open < <(sed -nE \
	's/^outcome: ([0-9]+) shipped, ([0-9]+) canceled \(([0-9]+) by the fraud check, ([0-9]+) for want of a shipment\), ([0-9]+) still open$/\1 \2 \3 \4 \5/p' \
	<<<"$out")
[ -n "${shipped:-}" ] || fail "no outcome line"
[ $((shipped + canceled)) = 300 ] || fail "outcome does not add up to 300"
[ "$open" = 0 ] || fail "$open orders still open"
[ "$fraud" -gt 0 ] && [ "$shipped" -gt 0 ] || fail "no fraud rejects or no shipments"

# The path of one order: from $start through cart and the fraud check to
# its shipment and an end, each automatic step caused by the one before.
path=$(sed -n '/^path of order /,/^CHECK path/p' <<<"$out")
grep -qE '^  #1 +[0-9:]+  \$start +-> create +via \$start +from outside$' \
	<<<"$path" || fail "path does not begin with \$start"
grep -qE '^  #2 +[0-9:]+  \$always +-> cart +via created +caused by order order-[0-9]+ #1$' \
	<<<"$path" || fail "the automatic step to cart is not caused by #1"
grep -qE '\$always +-> released +via ship ' <<<"$path" ||
	fail "no invoke of the shipment in the path"
grep -qE '\$child +-> ship-finished +via ship-finished +caused by shipment order-[0-9]+/ship-1 #[0-9]+$' \
	<<<"$path" || fail "the child's result is not caused by the shipment"
# its shipment retried with a wait of 5 minutes
ship=$(sed -n '/^path of shipment /,/^orders by state/p' <<<"$out")
grep -qE '\$wait +-> outstanding +via retry' <<<"$ship" ||
	fail "the longest waiter's shipment never retried"

# The census adds up to the orders started by then, as the watcher saw.
sum=$(sed -n '/^orders by state at /,/^CHECK census/p' <<<"$out" |
	awk '/^  [a-z-]+ +[0-9]+$/ { s += $2 } END { print s }')
grep -qE "^CHECK census at 00:30:00: $sum orders started, same per state as the watcher saw then: ok$" \
	<<<"$out" || fail "census of $sum orders not confirmed"

# The longest waits, five of them, the first at least one retry long.
w=$(grep -cE '^  order-[0-9]{4} waited [0-9]{2}:[0-9]{2}:[0-9]{2} \(released at [0-9:]+, [0-9]+ shipment attempts\)$' <<<"$out" || true)
[ "$w" = 5 ] || fail "expected 5 longest waits, got $w"
first=$(grep -m1 -oE 'waited [0-9:]+' <<<"$out" | cut -d' ' -f2)
[[ "$first" > "00:05:00" ]] || fail "longest wait $first is shorter than a retry"

grep -qE '^verified: [0-9]+ records, [0-9]+ agents, 0 divergences$' <<<"$out" ||
	fail "hs_verify found divergences"

# --- 2. the same seed: the same history --------------------------------------
facts() { grep -E '^(CHECK|verified:|outcome:|  #|  order-)' "$1"; }
run b --orders 300 --seed 7 --db "$tmp/b"
diff <(facts "$tmp/a.out") <(facts "$tmp/b.out") ||
	fail "the same seed gave another history"

# --- 3. a rerun replaces its own log; a bad definition is refused -----------
run c --orders 20 --seed 1 --db "$tmp/a"
grep -qxF 'hs-orders: ok' "$tmp/c.out" || fail "rerun over an old log failed"
mkdir "$tmp/defs"
sed 's/"state": "shipped"}/"state": "shiped"}/' \
	"$(dirname "$0")/order.json" >"$tmp/defs/order.json"
cp "$(dirname "$0")/shipment.json" "$tmp/defs/"
if "$bin" --orders 5 --defs "$tmp/defs" --db "$tmp/d" >"$tmp/d.out" 2>"$tmp/d.err"; then
	fail "a definition with a transition to nowhere was accepted"
fi
grep -qF "state 'ship-finished': always[0].state: unknown state 'shiped'" \
	"$tmp/d.err" || { cat "$tmp/d.err"; fail "the error does not name the state and field"; }

# --- 4. the `hindsight` command on the log, through the types plugin --------
if [ -n "$cli" ] && [ -n "$plugin" ]; then
	longest=$(sed -nE 's/^path of order (order-[0-9]+):$/\1/p' "$tmp/a.out")
	"$cli" machine "$tmp/b" "order/$longest" --types "$plugin" >"$tmp/p.out" ||
		fail "hindsight machine DB order/$longest failed"
	cat "$tmp/p.out"
	steps=$(sed -nE "s/^CHECK path of $longest ends in [a-z-]+ after ([0-9]+) steps .*/\1/p" "$tmp/a.out")
	head -1 "$tmp/p.out" | grep -qE "^order/$longest: machine order version 1, $steps steps$" ||
		fail "path header: $(head -1 "$tmp/p.out"), want $steps steps"
	# the same steps as the demo printed: event, state, via, one a line
	diff <(sed -nE 's/^  #[0-9]+ +[0-9:]+  ([^ ]+) +-> ([^ ]+) +via ([^ ]+) .*/\1 \2 \3/p' \
			<(sed -n "/^path of order /,/^CHECK path/p" "$tmp/a.out")) \
		<(sed -nE 's/^  #[0-9]+ +[^ ]+  ([^ ]+) +-> ([^ ]+) +via ([^ ]+) .*/\1 \2 \3/p' "$tmp/p.out") ||
		fail "hindsight's path differs from the demo's"
	tail -1 "$tmp/p.out" | grep -qF "(end: success)" ||
		fail "the path's last step is not an end"
	"$cli" verify "$tmp/b" --types "$plugin" >"$tmp/v.out" ||
		{ cat "$tmp/v.out"; fail "hindsight verify found a divergence"; }
	grep -qE '^ok: [0-9]+ records of [0-9]+ agents replayed' "$tmp/v.out" ||
		fail "hindsight verify: $(cat "$tmp/v.out")"
fi

echo "demo_orders: ok"
