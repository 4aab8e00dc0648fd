#!/usr/bin/env bash
# ctest serve_api: `hindsight serve` as a process, its JSON API over HTTP
# with curl, each answer checked against what the other commands of the
# tool (tested on their own) say about the same log.
#
#   api.sh HINDSIGHT MAKE_LOG PLUGIN_DIR HS_ORDERS ORDERS_PLUGIN ORDERS_DIR
set -uo pipefail

if [ $# -ne 6 ]; then
	echo "usage: api.sh HINDSIGHT MAKE_LOG PLUGIN_DIR HS_ORDERS ORDERS_PLUGIN ORDERS_DIR" >&2
	exit 2
fi
H=$1
MK=$2
PLUGIN=$3/plugin_counter.so
ORDERS=$4
ORDERS_PLUGIN=$5
ORDERS_DIR=$6
for c in curl jq; do
	command -v $c >/dev/null || { echo "api.sh: needs $c" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/hs-serve-api.XXXXXX") || exit 1
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fails=0
checks=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
equal() { # equal GOT WANT WHAT
	checks=$((checks + 1))
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

# serve NAME DB ARGS...: starts a server; its URL in $url.
serve() {
	local name=$1 db=$2
	shift 2
	"$H" serve "$db" --port 0 "$@" >"$work/$name.out" 2>"$work/$name.err" &
	pids+=($!)
	for _ in $(seq 600); do
		url=$(sed -n 's|^hindsight serve: \(http://[^ ]*\)/ .*|\1|p' \
			"$work/$name.out")
		[ -n "$url" ] && return 0
		sleep 0.05
	done
	echo "server $name did not start:" >&2
	cat "$work/$name.out" "$work/$name.err" >&2
	exit 1
}

# get PATH: the body in $body, the status in $code.
get() {
	code=$(curl -s -o "$work/body" -w '%{http_code}' "$url$1")
	body=$(cat "$work/body")
	last=$1
}
status_is() {
	checks=$((checks + 1))
	[ "$code" = "$1" ] || fail "GET $last: status $code, want $1: $body"
}
# An error answer: the status, and a JSON error that says $2.
error_is() {
	status_is "$1"
	checks=$((checks + 1))
	jq -e --arg s "$2" '.error | contains($s)' <<<"$body" >/dev/null ||
		fail "GET $last: error lacks '$2': $body"
}

# Files, sizes and times in a directory: equal before and after, nothing
# in it was written.
listing() { (cd "$1" && find . -type f -printf '%p %s %T@\n' | sort); }

# The standard log (tests/cli/make_log.c: 15 records, 5 agents), and a
# longer history for paging: counter/tail with 250 transitions.
db=$work/db
"$MK" create "$db" >/dev/null || { echo "make_log failed" >&2; exit 1; }
"$MK" append "$db" 250 0 >/dev/null || { echo "make_log append failed" >&2; exit 1; }
before=$(listing "$db")

serve typed "$db" --types "$PLUGIN"
equal "$(head -1 "$work/typed.out" | sed 's|http://[^ ]*|URL|')" \
	"hindsight serve: URL (log $db, 265 records)" "first line"

# --- stats ------------------------------------------------------------
get /api/stats
status_is 200
"$H" stats "$db" --json >"$work/stats.json"
equal "$(jq -c '[.records, .agents, [.types[] | [.type, .agents, .records]]]' <<<"$body")" \
	"$(jq -c '[.events, .agents, [.by_type[] | [.type, .agents, .transitions]]]' "$work/stats.json")" \
	"stats agree with hindsight stats"
equal "$(jq -c '[.first_time, .last_time, .types_loaded, .machines]' <<<"$body")" \
	"$(jq -c '[.first_time, .last_time, true, []]' "$work/stats.json")" "stats times"

get /api/info
equal "$(jq -c '[.records, .first_time, .types_loaded, .machines]' <<<"$body")" \
	"$(jq -c '[.events, .first_time, true, []]' "$work/stats.json")" "info"
get /api/stats
equal "$(jq -c '.agents' <<<"$body")" 6 "stats again (kept with the view)"

# --- agents: every page, then filters -----------------------------------
all=""
after=""
pages=0
while :; do
	get "/api/agents?limit=2${after:+&after=$after}"
	status_is 200
	all+=$(jq -r '.agents[] | "\(.type)/\(.id) \(.seq)"' <<<"$body")$'\n'
	pages=$((pages + 1))
	after=$(jq -r '.next // empty' <<<"$body")
	[ -z "$after" ] && break
	[ $pages -gt 10 ] && { fail "agents: paging does not end"; break; }
done
want=$("$H" export "$db" | jq -r '"\(.type)/\(.id) \(.seq)"' |
	sort -k1,1 -k2,2n | awk '{last[$1]=$2} END {for (a in last) print a, last[a]}' | sort)
equal "$(sed '/^$/d' <<<"$all")" "$want" "agents, paged by 2"
equal "$pages" 3 "agents pages"
get "/api/agents?type=counter&prefix=t"
equal "$(jq -c '[.agents[] | [.id, .seq]], .next' <<<"$body" | tr '\n' ' ')" \
	'[["tail",250]] null ' "agents by type and prefix"
get "/api/agents?type=counter"
equal "$(jq -c '[.agents[].id]' <<<"$body")" '["a","b","c","tail"]' "agents of a type"
get "/api/agents?prefix=G"
equal "$(jq -c '[.agents[] | "\(.type)/\(.id)"]' <<<"$body")" '["ship/Gloria"]' "agents by prefix alone"
# A prefix without a type goes through each type's run of ids with it.
for p in l a t c Gl x; do
	get "/api/agents?prefix=$p&limit=1"
	got=$(jq -r '.agents[] | "\(.type)/\(.id)"' <<<"$body")
	after=$(jq -r '.next // empty' <<<"$body")
	while [ -n "$after" ]; do
		get "/api/agents?prefix=$p&limit=1&after=$after"
		got+=$'\n'$(jq -r '.agents[] | "\(.type)/\(.id)"' <<<"$body")
		after=$(jq -r '.next // empty' <<<"$body")
	done
	equal "$(sed '/^$/d' <<<"$got")" \
		"$(awk '{print $1}' <<<"$want" | awk -F/ -v p="$p" 'index($2, p) == 1')" \
		"agents with id prefix $p, a page of 1 at a time"
done
get "/api/agents?after=counter/b"
equal "$(jq -c '[.agents[] | "\(.type)/\(.id)"]' <<<"$body")" \
	'["counter/c","counter/tail","ship/Gloria"]' "agents after one"
get "/api/agents?type=counter&limit=1"
equal "$(jq -c '[.agents[].time, .agents[].gseq]' <<<"$body")" \
	"$("$H" history "$db" counter/a --json | jq -sc '[.[-1].time, .[-1].gseq]')" \
	"an agent's last time and gseq"

# --- history: pages in both orders against hindsight history ------------
"$H" history "$db" counter/tail --types "$PLUGIN" --json 2>/dev/null |
	jq -c '[.gseq, .seq, .time, .event, .body, .state, .diff]' >"$work/hist.want"
: >"$work/hist.asc"
from=1
while [ -n "$from" ]; do
	get "/api/history?agent=counter/tail&from=$from&limit=64"
	status_is 200
	jq -c '.records[] | [.gseq, .seq, .time, .event, .body, .state, .diff]' \
		<<<"$body" >>"$work/hist.asc"
	from=$(jq -r '.next // empty' <<<"$body")
done
checks=$((checks + 1))
cmp -s "$work/hist.asc" "$work/hist.want" ||
	fail "history pages (asc) differ from hindsight history: $(diff "$work/hist.asc" "$work/hist.want" | head -5)"
: >"$work/hist.desc"
get "/api/history?agent=counter/tail&order=desc&limit=100"
while :; do
	jq -c '.records[] | [.gseq, .seq, .time, .event, .body, .state, .diff]' \
		<<<"$body" >>"$work/hist.desc"
	from=$(jq -r '.next // empty' <<<"$body")
	[ -z "$from" ] && break
	get "/api/history?agent=counter/tail&order=desc&limit=100&from=$from"
done
checks=$((checks + 1))
tac "$work/hist.desc" | cmp -s - "$work/hist.want" ||
	fail "history pages (desc) are not the history reversed"
get "/api/history?agent=counter/a&limit=2"
equal "$(jq -c '[.agent, .states, .next, (.records | length)]' <<<"$body")" \
	'[{"type":"counter","id":"a","seq":6,"first":1},true,3,2]' "history page head"

# --- state at a time, a seq, a gseq against hindsight state -------------
for q in "seq=3:--seq 3" "gseq=9:--gseq 9" "at=2026-11-22T10:00:09.999Z:--at 2026-11-22T10:00:09.999Z" \
	"at=1795341610000000000:--at 1795341610000000000"; do
	api=${q%%:*}
	cli=${q#*:}
	for ag in counter/a ship/Gloria; do
		get "/api/state?agent=$ag&$api"
		# shellcheck disable=SC2086
		want=$("$H" state "$db" $ag --types "$PLUGIN" --json $cli 2>/dev/null |
			jq -c '[.seq, .gseq, .time, .state]')
		if [ -n "$want" ]; then
			status_is 200
			equal "$(jq -c '[.seq, .gseq, .time, .state]' <<<"$body")" "$want" \
				"state of $ag at $api"
		fi
	done
done
get "/api/state?agent=counter/a&at=2026-11-22T09:00:00Z"
equal "$(jq -c '[.seq, .gseq, .state]' <<<"$body")" '[0,null,{"n":0,"adds":0,"label":""}]' \
	"state before the first transition: the initial state"

# --- the log by pages, one record, causes --------------------------------
"$H" export "$db" | jq -c '[.gseq, .type, .id, .event, .body, .cause]' >"$work/log.want"
: >"$work/log.got"
from=1
while [ -n "$from" ]; do
	get "/api/log?from=$from&limit=100"
	status_is 200
	jq -c '.records[] | [.gseq, .type, .id, .event, .body, .cause]' <<<"$body" >>"$work/log.got"
	from=$(jq -r '.next // empty' <<<"$body")
done
checks=$((checks + 1))
cmp -s "$work/log.got" "$work/log.want" || fail "log pages differ from hindsight export"
get "/api/log?type=ship&order=desc&limit=2"
equal "$(jq -c '[[.records[].gseq], .next]' <<<"$body")" \
	"$("$H" export "$db" --type ship | jq -sc '[[.[-1].gseq, .[-2].gseq], .[-2].gseq - 1]')" \
	"log of a type, newest first"
get "/api/log?event=saw"
equal "$(jq -c '[.records[].gseq]' <<<"$body")" \
	"$("$H" export "$db" --event saw | jq -sc '[.[].gseq]')" "log of an event type"
get "/api/record?gseq=7"
equal "$(jq -c '[.gseq, .type, .id, .event, .body, .cause]' <<<"$body")" \
	"$(sed -n 7p "$work/log.want")" "one record"
equal "$(jq -r '.time_ns | type' <<<"$body")" string "time_ns is a string"

# Causes: up to the root, and the effects, computed from the export.
"$H" export "$db" >"$work/export.jsonl"
for g in $(jq -r 'select(.cause != null) | .gseq' "$work/export.jsonl") 2; do
	get "/api/causes?gseq=$g"
	status_is 200
	chain=""
	c=$(jq -r --argjson g "$g" 'select(.gseq == $g) | .cause.gseq // empty' "$work/export.jsonl")
	while [ -n "$c" ]; do
		chain="$c${chain:+,$chain}"
		c=$(jq -r --argjson g "$c" 'select(.gseq == $g) | .cause.gseq // empty' "$work/export.jsonl")
	done
	equal "$(jq -c '[.chain[].gseq]' <<<"$body")" "[$chain]" "cause chain of $g"
	equal "$(jq -c '[.effects[].gseq], .effects_complete' <<<"$body" | tr '\n' ' ')" \
		"$(jq -sc --argjson g "$g" '[.[] | select(.cause.gseq == $g) | .gseq]' "$work/export.jsonl") true " \
		"effects of $g"
done
get "/api/causes?gseq=2&scan=1"
equal "$(jq -c '[.effects_scanned_to, .effects_complete]' <<<"$body")" '[3,false]' \
	"a bounded effects scan says where it stopped"

# --- bad requests: 4xx with a JSON error, and the server goes on ---------
get "/api/history?agent=counter/nobody";	error_is 404 "unknown agent counter/nobody"
get "/api/history";				error_is 400 "agent: missing"
get "/api/history?agent=nosplit";		error_is 400 "agent: 'nosplit'"
get "/api/history?agent=counter/a&from=7";	error_is 400 "seq 7 is after the last"
get "/api/history?agent=counter/a&limit=5000";	error_is 400 "limit: 5000 is out of range"
get "/api/history?agent=counter/a&order=up";	error_is 400 "order: 'up'"
get "/api/state?agent=counter/a&at=yesterday";	error_is 400 "at: 'yesterday' is not a time"
get "/api/state?agent=counter/a&at=2200-01-01T00:00:00Z"; error_is 400 "in the future"
get "/api/state?agent=counter/a&seq=1&gseq=1";	error_is 400 "one of at, seq and gseq"
get "/api/state?agent=counter/a&seq=99";	error_is 400 "seq 99 is after the last"
get "/api/log?from=x";				error_is 400 "from: 'x' is not a non-negative integer"
get "/api/log?from=9&to=3";			error_is 400 "from (9) is after to (3)"
get "/api/record?gseq=100000";			error_is 404 "no record at gseq 100000"
get "/api/record?gseq=0";			error_is 400 "gseq: 0 is out of range"
get "/api/causes";				error_is 400 "gseq: missing"
get "/api/nothing";				error_is 404 "no such page or endpoint"
code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST --data x "$url/api/stats")
body=$(cat "$work/body")
last="POST /api/stats"
error_is 405 "read-only"
# Odd values in every parameter of every endpoint: a 4xx with a JSON
# error, or an answer; never a 5xx, never a dead server.
long=$(printf 'x%.0s' $(seq 3000))
for ep in agents history state log record causes; do
	for p in agent from to limit at seq gseq since until type prefix after scan order event; do
		for v in %00 %ff%fe -1 99999999999999999999999 1e5 %20 %0a counter%2Fa%2F.. "$long"; do
			get "/api/$ep?agent=counter/a&$p=$v"
			checks=$((checks + 1))
			case $code in
			200 | 400 | 404 | 409) ;;
			*) fail "GET $last: status $code: $body" ;;
			esac
			checks=$((checks + 1))
			[[ $body == "{"*"}" ]] ||
				fail "GET $last: not a JSON object: ${body:0:200}"
		done
	done
done
get "/api/agents?limit=1"
status_is 200

# --- the page and its files --------------------------------------------
get "/"
status_is 200
checks=$((checks + 1))
grep -q '<script src="/main.js"' <<<"$body" || fail "the page does not load main.js"
for f in base.js overview.js agent.js causes.js live.js machines.js main.js style.css; do
	get "/$f"
	status_is 200
done

equal "$(listing "$db")" "$before" "the served log's files are unchanged"

# --- live: records after a gseq, following the log as a writer appends ---
curl -s -N --max-time 60 "$url/api/live" >"$work/live.now" &
pids+=($!)
curl -s -N --max-time 60 "$url/api/live?from=263" >"$work/live.from" &
pids+=($!)
curl -s -N --max-time 60 -H 'Last-Event-ID: 260' "$url/api/live?from=1" >"$work/live.resume" &
pids+=($!)
# until_lines FILE PATTERN N: waits (30 s at most) for N lines matching.
until_lines() {
	for _ in $(seq 300); do
		[ "$(grep -c "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
# "From now" is when the server took the stream: wait for its first line.
until_lines "$work/live.now" '^: live from gseq 266$' 1 ||
	fail "live from now: the stream did not start at gseq 266: $(cat "$work/live.now")"
# A writer opens the log while the server has it open: no lock is held.
"$MK" append "$db" 3 0 >/dev/null || fail "a writer cannot open the log while it is served"
until_lines "$work/live.now" '^id: ' 3
until_lines "$work/live.from" '^id: ' 5
until_lines "$work/live.resume" '^id: ' 8
equal "$(grep '^id: ' "$work/live.now" | tr '\n' ' ')" "id: 266 id: 267 id: 268 " \
	"live from now: the appended records"
equal "$(grep '^data: ' "$work/live.now" | sed 's/^data: //' | jq -sc '[.[] | [.gseq, .type, .id, .seq]]')" \
	'[[266,"counter","tail",251],[267,"counter","tail",252],[268,"counter","tail",253]]' \
	"live records"
equal "$(grep -c '^id: ' "$work/live.from")" 5 "live from a gseq"
equal "$(grep '^id: ' "$work/live.resume" | head -1)" "id: 261" "live resumes after Last-Event-ID"
get /metrics
equal "$(grep '^hindsight_log_records ' <<<"$body")" "hindsight_log_records 268" "metrics: records"
checks=$((checks + 1))
grep -q '^hindsight_serve_live_streams [1-9]' <<<"$body" || fail "metrics: no live stream counted: $body"
get "/api/history?agent=counter/tail&order=desc&limit=1"
equal "$(jq -c "[.records[0].seq, .records[0].state.n]" <<<"$body")" "[253,253]" \
	"queries see the appended records"

# --- without types: no states, and a state needs them -------------------
db2=$work/db2
"$MK" create "$db2" >/dev/null
before2=$(listing "$db2")
serve untyped "$db2"
get "/api/history?agent=counter/a"
equal "$(jq -c '[.states, (.records[0] | has("state"))]' <<<"$body")" '[false,false]' \
	"history without types"
get "/api/state?agent=counter/a&seq=2"
error_is 409 "--types"
get /api/stats
equal "$(jq -c '.types_loaded' <<<"$body")" false "stats: no types"
# Nothing a server did wrote to its log.
kill "${pids[-1]}"
wait "${pids[-1]}" 2>/dev/null
equal "$(listing "$db2")" "$before2" "the served log's files are unchanged"

# --- a log replaced under the server: live streams end, queries see the
# new log.
db3=$work/db3
"$MK" create "$db3" >/dev/null
serve replaced "$db3" --refresh 50
curl -s -N --max-time 60 "$url/api/live" >"$work/live.replaced" &
live_pid=$!
until_lines "$work/live.replaced" '^: live from' 1
rm -rf "$db3"
"$MK" create "$db3" >/dev/null
"$MK" append "$db3" 5 0 >/dev/null
wait $live_pid
checks=$((checks + 1))
grep -q '^data: {"error":"the log was replaced' "$work/live.replaced" ||
	fail "a live stream over a replaced log: $(cat "$work/live.replaced")"
equal "$(grep -c '^id: ' "$work/live.replaced")" 0 "no records of the new log on the old stream"
for _ in $(seq 300); do # the append may land a refresh later
	get /api/stats
	[ "$(jq -c .records <<<"$body")" = 20 ] && break
	sleep 0.1
done
equal "$(jq -c .records <<<"$body")" 20 "stats of the new log"

# --- machines: the orders demo's, against `hindsight machine` ------------
"$ORDERS" --orders 20 --seed 3 --db "$work/orders" >"$work/orders.out" 2>&1 ||
	{ cat "$work/orders.out"; fail "hs-orders failed"; }
serve orders "$work/orders" --types "$ORDERS_PLUGIN"
get /api/machines
status_is 200
for m in order shipment; do
	line=$("$H" machine "$ORDERS_DIR/$m.json" | head -1)
	n=$(sed -nE 's/.*: ([0-9]+) states, start at ([a-z_]+).*/\1 \2/p' <<<"$line")
	equal "$(jq -r --arg m "$m" '.machines[] | select(.id == $m) |
		"\(.states | length) \(.start)"' <<<"$body")" "$n" "machine $m"
done
equal "$(jq -c '[.machines[] | .states[] | .edges[] | .kind] | unique' <<<"$body")" \
	'["always","on"]' "machine edge kinds"
get /api/stats
equal "$(jq -c '.machines | sort' <<<"$body")" '["order","shipment"]' "stats: machines"

# --- a cut log (hindsight archive) -------------------------------------
cut=$work/cut
"$MK" create "$cut" >/dev/null || { echo "make_log failed" >&2; exit 1; }
"$H" archive "$cut" --before 9 --discard --types "$PLUGIN" >/dev/null ||
	fail "archive the standard log"
serve cut "$cut" --types "$PLUGIN"
get /api/info
equal "$(jq -c '[.records, .base_gseq, .first_time]' <<<"$body")" \
	'[7,8,"2026-11-22T10:00:09.000000000Z"]' "cut log: info"
get "/api/record?gseq=5"
error_is 410 "gseq 5 is archived: the log holds the records after gseq 8"
get "/api/causes?gseq=9"
status_is 200
equal "$(jq -c '[.record.gseq, .chain, .archived_cause]' <<<"$body")" \
	'[9,[],8]' "cut log: the cause chain stops at the cut"
get "/api/history?agent=counter/a"
status_is 200
equal "$(jq -c '[.agent.first, [.records[].seq], [.records[].state.n]]' <<<"$body")" \
	'[5,[5,6],[13,23]]' "cut log: history from the base"
get "/api/history?agent=counter/a&order=desc&limit=1"
equal "$(jq -c '[[.records[].seq], .next]' <<<"$body")" '[[6],5]' \
	"cut log: history backwards"
get "/api/history?agent=counter/a&order=desc&from=5"
equal "$(jq -c '[[.records[].seq], .next]' <<<"$body")" '[[5],null]' \
	"cut log: history backwards ends at the first record"
get "/api/history?agent=counter/a&from=2"
error_is 410 "the transitions of counter/a before seq 5 are archived"
get "/api/history?agent=audit/log"
equal "$(jq -c '[.agent.first, [.records[].seq]]' <<<"$body")" '[2,[2]]' \
	"cut log: an agent with a base"
get "/api/state?agent=counter/a&seq=2"
error_is 410 "archived"
get "/api/state?agent=counter/a&gseq=8"
equal "$(jq -c '[.seq, .state.n]' <<<"$body")" '[4,10]' "cut log: state at the cut"

# --- bad arguments -------------------------------------------------------
out=$("$H" serve "$work/none" --port 0 2>&1)
equal "$?" 2 "serve a missing log: exit 2"
checks=$((checks + 1))
grep -q "no such log" <<<"$out" || fail "serve a missing log: $out"
out=$("$H" serve "$db" --bind nowhere 2>&1)
equal "$?" 2 "serve --bind nowhere: exit 2"
out=$("$H" serve "$db" --port 70000 2>&1)
equal "$?" 2 "serve --port 70000: exit 2"

# SIGTERM ends the server with exit 0, live streams open or not.
serve last "$db"
curl -s -N --max-time 60 "$url/api/live" >"$work/live.last" &
until_lines "$work/live.last" '^: live from' 1
kill -TERM "${pids[-1]}"
wait "${pids[-1]}"
equal "$?" 0 "SIGTERM: exit 0"

if [ $fails -ne 0 ]; then
	for f in "$work"/*.err; do # what the servers said (a sanitizer's report)
		[ -s "$f" ] && { echo "--- $f:"; cat "$f"; } >&2
	done
	echo "serve_api: $fails of $checks checks failed" >&2
	exit 1
fi
echo "serve_api: $checks checks passed"
