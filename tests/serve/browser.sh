#!/usr/bin/env bash
# The page of `hindsight serve` in a real browser: headless Chromium driven
# through the W3C WebDriver HTTP API (chromedriver), with curl and jq.
#
#   browser.sh HINDSIGHT DEMO_LOG_DIR TYPES_PLUGIN ARTIFACT_DIR [MAKE_LOG]
#
# Serves DEMO_LOG_DIR (a demo's log, e.g. hs-ships --db DIR) with the
# demo's types plugin, then: searches an agent by id prefix, opens its
# timeline, checks its entries, a state and the highlighted changes, moves
# the time slider and checks the state shown, opens a cause chain, the live
# tail and the machine diagrams, and the error bar. What it checks comes
# from the `hindsight` CLI (history, state, log, export), not from numbers
# written here. Saves ARTIFACT_DIR/serve-timeline.png (and serve-causes.png,
# serve-machines.png).
#
# Exit 0: all checks passed; 1: a check failed (each failure says what);
# 77: Chromium or chromedriver (or curl, jq) is not installed (ctest SKIP).
# CHROMIUM and CHROMEDRIVER override /usr/bin/chromium, /usr/bin/chromedriver.
set -u

if [ $# -ne 4 ] && [ $# -ne 5 ]; then
	echo "usage: $0 HINDSIGHT DEMO_LOG_DIR TYPES_PLUGIN ARTIFACT_DIR [MAKE_LOG]" >&2
	exit 2
fi
HS=$1 DB=$2 TYPES=$3 ART=$4 MK=${5:-}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
WAIT=${BROWSER_WAIT:-15} # seconds each wait polls before it fails

for tool in "$CHROMIUM" "$CHROMEDRIVER"; do
	if [ ! -x "$tool" ]; then
		echo "SKIP: $tool is not installed (apt-get install chromium chromium-driver)"
		exit 77
	fi
done
for tool in curl jq; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed"
		exit 77
	fi
done
[ -x "$HS" ] || { echo "FAIL: $HS is not an executable"; exit 1; }
[ -d "$DB" ] || { echo "FAIL: $DB is not a directory"; exit 1; }
[ -f "$TYPES" ] || { echo "FAIL: $TYPES does not exist"; exit 1; }
mkdir -p "$ART" || exit 1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hs-browser.XXXXXX") || exit 1
SERVER_PID= DRIVER_PID= SID= DRIVER=
cleanup() {
	if [ -n "$SID" ] && [ -n "$DRIVER" ]; then
		curl -s -m 5 -X DELETE "$DRIVER/session/$SID" >/dev/null 2>&1
	fi
	for pid in $DRIVER_PID $SERVER_PID; do
		kill "$pid" 2>/dev/null
	done
	for pid in $DRIVER_PID $SERVER_PID; do
		# give each 5 s to stop, then make it stop
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

FAILS=0
fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}
ok() {
	echo "ok: $*"
}
# A failure after which nothing more can be checked.
die() {
	echo "FAIL: $*"
	[ -f "$TMP/serve.err" ] && sed 's/^/  server stderr: /' "$TMP/serve.err" | tail -20
	shot serve-failure.png
	exit 1
}

# ------------------------------------------------------------------
# What the page must show, from the CLI
# ------------------------------------------------------------------

"$HS" export "$DB" >"$TMP/all.jsonl" 2>"$TMP/export.err" ||
	die "hindsight export $DB: $(cat "$TMP/export.err")"
# The agent with the most transitions (then the first by name).
AGENT=$(jq -rs 'group_by(.type + "/" + .id)
	| map({a: (.[0].type + "/" + .[0].id), n: length})
	| sort_by(-.n, .a) | .[0].a // empty' "$TMP/all.jsonl")
[ -n "$AGENT" ] || die "$DB holds no record"
ATYPE=${AGENT%%/*} AID=${AGENT#*/}
"$HS" history "$DB" "$AGENT" --types "$TYPES" --json >"$TMP/hist.jsonl" \
	2>"$TMP/hist.err" || die "hindsight history $AGENT: $(cat "$TMP/hist.err")"
N=$(wc -l <"$TMP/hist.jsonl")
echo "agent $AGENT: $N transitions (of $(wc -l <"$TMP/all.jsonl") records)"
[ "$N" -ge 3 ] || die "$AGENT has $N transitions; the test needs 3 or more (a bigger demo run)"
rec() { # rec SEQ: the history line of that seq
	jq -c --argjson s "$1" 'select(.seq == $s)' "$TMP/hist.jsonl"
}
# A state's leaves as the page lists them: maps walked key by key (paths
# joined with '.'), anything else a leaf; {path: JSON text} of the strings,
# which survive JavaScript unchanged (jq 1.6 reprints big integers).
JQ_LEAVES='def lv($p): if type == "object" and length > 0
	then to_entries[] as $e | ($e.value | lv(if $p == "" then $e.key else $p + "." + $e.key end))
	else [$p, .] end;'
string_leaves() { # JSON state on stdin
	jq -c "$JQ_LEAVES"' [lv("") | select(.[1] | type == "string") | {(.[0]): (.[1] | tojson)}] | add // {}'
}
all_paths() {
	jq -c "$JQ_LEAVES"' [lv("") | .[0]] | sort'
}

# ------------------------------------------------------------------
# The server and the browser
# ------------------------------------------------------------------

# wait_for FILE REGEX: the first line of FILE matching REGEX, waiting.
wait_for() {
	local line i
	for i in $(seq $((WAIT * 10))); do
		line=$(grep -m1 -E "$2" "$1" 2>/dev/null) && { echo "$line"; return 0; }
		sleep 0.1
	done
	return 1
}

"$HS" serve "$DB" --types "$TYPES" --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
line=$(wait_for "$TMP/serve.out" '^hindsight serve: http://') ||
	die "the server printed no address within ${WAIT} s: $(head -c 500 "$TMP/serve.out" "$TMP/serve.err")"
first=$(head -n1 "$TMP/serve.out")
[ "$first" = "$line" ] || fail "the server's first stdout line is not its address: $first"
PORT=$(sed -nE 's|^hindsight serve: http://127\.0\.0\.1:([0-9]+)/.*|\1|p' <<<"$line")
[ -n "$PORT" ] && [ "$PORT" -gt 0 ] || die "no 127.0.0.1 port in: $line"
BASE="http://127.0.0.1:$PORT"
ok "server at $BASE"

# start_driver: chromedriver on a port of our choosing, ready, in
# DRIVER_PID and DPORT. With --port=0 it binds IPv6 and then IPv4 on the
# port it got and exits when the second is taken; a port taken here too
# makes it exit, and another port is tried.
start_driver() {
	local try
	for try in 1 2 3 4 5 6; do
		DPORT=$((20000 + RANDOM % 40000))
		"$CHROMEDRIVER" --port=$DPORT >"$TMP/driver.out" 2>&1 &
		DRIVER_PID=$!
		for _ in $(seq 150); do
			kill -0 "$DRIVER_PID" 2>/dev/null || break
			curl -s -m 1 "http://127.0.0.1:$DPORT/status" 2>/dev/null |
				jq -e '.value.ready == true' >/dev/null 2>&1 && return 0
			sleep 0.1
		done
		kill "$DRIVER_PID" 2>/dev/null
		wait "$DRIVER_PID" 2>/dev/null
	done
	return 1
}
start_driver || die "chromedriver did not start: $(cat "$TMP/driver.out")"
DRIVER="http://127.0.0.1:$DPORT"

# wd METHOD PATH [JSON]: one WebDriver command; prints .value. A WebDriver
# error is printed to stderr and returned as 1.
wd() {
	local out
	out=$(curl -s -m 60 -X "$1" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"} "$DRIVER$2") || {
		echo "webdriver $1 $2: no answer" >&2
		return 1
	}
	if jq -e '.value | type == "object" and has("error")' <<<"$out" >/dev/null 2>&1; then
		echo "webdriver $1 $2: $(jq -r '.value.error + ": " + (.value.message | .[0:300])' <<<"$out")" >&2
		return 1
	fi
	jq -c '.value' <<<"$out"
}

caps=$(jq -nc --arg bin "$CHROMIUM" --arg prof "$TMP/profile" '{capabilities: {alwaysMatch: {
	browserName: "chrome",
	"goog:chromeOptions": {binary: $bin, args: ["--headless=new", "--no-sandbox",
		"--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--user-data-dir=" + $prof, "--window-size=1280,1000"]}}}}')
session=$(wd POST /session "$caps") || die "no browser session"
SID=$(jq -r '.sessionId' <<<"$session")
[ -n "$SID" ] && [ "$SID" != null ] || die "no session id in: $session"
wd POST "/session/$SID/timeouts" '{"script": 30000, "pageLoad": 30000}' >/dev/null

# js SCRIPT [ARGS_JSON]: runs SCRIPT (a function body) in the page; prints
# its return value as JSON.
js() {
	wd POST "/session/$SID/execute/sync" \
		"$(jq -nc --arg s "$1" --argjson a "${2:-[]}" '{script: $s, args: $a}')"
}
# wait_js WHAT SCRIPT [ARGS_JSON]: polls SCRIPT until it returns something
# other than null/false; prints that. Fails after $WAIT s saying WHAT.
wait_js() {
	local v i
	for i in $(seq $((WAIT * 5))); do
		v=$(js "$2" "${3:-[]}" 2>"$TMP/js.err")
		if [ -n "$v" ] && [ "$v" != null ] && [ "$v" != false ]; then
			echo "$v"
			return 0
		fi
		sleep 0.2
	done
	echo "FAIL: waited ${WAIT} s for $1 (last: ${v:-$(cat "$TMP/js.err")})" >&2
	return 1
}
# find CSS: the element reference of the first match.
elem() {
	wd POST "/session/$SID/element" \
		"$(jq -nc --arg c "$1" '{using: "css selector", value: $c}')" |
		jq -r 'to_entries[0].value'
}
click() {
	local e
	e=$(elem "$1") && [ -n "$e" ] && wd POST "/session/$SID/element/$e/click" '{}' >/dev/null
}
shot() {
	[ -n "$SID" ] || return 0
	wd GET "/session/$SID/screenshot" | jq -r . | base64 -d >"$ART/$1" 2>/dev/null &&
		echo "screenshot: $ART/$1"
}
go() { # go HASH: navigate the page's hash
	js 'location.hash = arguments[0]; return true;' "$(jq -nc --arg h "$1" '[$h]')" >/dev/null
}
error_bar() { # the error bar's text when it shows, else ""
	js 'const e = document.getElementById("error");
	    return e.hidden ? "" : document.getElementById("error-text").textContent;' | jq -r .
}

wd POST "/session/$SID/url" "$(jq -nc --arg u "$BASE/" '{url: $u}')" >/dev/null ||
	die "the browser cannot load $BASE/"
wait_js "the page to start (body[data-ready])" \
	'return document.body && document.body.hasAttribute("data-ready");' >/dev/null ||
	die "the page did not start"
title=$(js 'return document.title;' | jq -r .)
[ "$title" = hindsight ] && ok "page loaded: $title" || fail "page title: '$title', not 'hindsight'"
err=$(error_bar)
[ -z "$err" ] || fail "the error bar shows after loading: $err"
stats=$(js 'return document.getElementById("stats-line").textContent;' | jq -r .)
grep -q "$(wc -l <"$TMP/all.jsonl") records" <<<"$stats" &&
	ok "header: $stats" || fail "the header does not say $(wc -l <"$TMP/all.jsonl") records: $stats"

# ------------------------------------------------------------------
# Search: an id prefix lists the agents whose id starts with it
# ------------------------------------------------------------------

PREFIX=${AID%?}
[ -n "$PREFIX" ] || PREFIX=$AID
want=$(jq -rs --arg p "$PREFIX" '[.[] | select(.id | startswith($p)) | .type + "/" + .id]
	| unique | sort_by(split("/") | [.[0], (.[1:] | join("/"))]) | .[0:50] | join(" ")' "$TMP/all.jsonl")
el=$(elem '#search') || die "no #search"
wd POST "/session/$SID/element/$el/value" "$(jq -nc --arg t "$PREFIX" '{text: $t}')" >/dev/null ||
	die "cannot type into #search"
got=$(wait_js "#agent-list to list agents with id prefix '$PREFIX'" '
	const l = document.getElementById("agent-list");
	if (l.getAttribute("data-state") !== "ok") return null;
	const a = [...l.querySelectorAll("a[data-agent]")].map((x) => x.getAttribute("data-agent"));
	return a.length && a.every((x) => x.slice(x.indexOf("/") + 1).startsWith(arguments[0])) ? a.join(" ") : null;' \
	"$(jq -nc --arg p "$PREFIX" '[$p]')" | jq -r .) || die "search did not list the agents"
[ "$got" = "$want" ] && ok "search '$PREFIX': $(wc -w <<<"$got") agents" ||
	fail "search '$PREFIX' lists [$got], the log has [$want]"

# ------------------------------------------------------------------
# The timeline
# ------------------------------------------------------------------

click "#agent-list a[data-agent=\"$AGENT\"]" || die "cannot click $AGENT in #agent-list"
PAGE=200
wantn=$((N < PAGE ? N : PAGE))
count=$(wait_js "#timeline to list $AGENT's transitions" '
	if (!location.hash.startsWith("#agent=")) return null;
	const t = document.getElementById("timeline");
	return t.getAttribute("data-state") === "ok" ? t.querySelectorAll("li.entry").length : null;') ||
	die "no timeline"
hash=$(js 'return decodeURIComponent(location.hash);' | jq -r .)
[ "$hash" = "#agent=$AGENT" ] && ok "the hash names the agent: $hash" || fail "hash after clicking $AGENT: $hash"
[ "$count" = "$wantn" ] && ok "timeline: $count entries ($N transitions)" ||
	fail "timeline shows $count entries, want $wantn ($N transitions, pages of $PAGE)"
seqs=$(js 'return [...document.querySelectorAll("#timeline li.entry")].map((e) => +e.dataset.seq).join(" ");' | jq -r .)
wantseqs=$(jq -r '.seq' "$TMP/hist.jsonl" | head -n "$wantn" | tr '\n' ' ' | sed 's/ $//')
[ "$seqs" = "$wantseqs" ] || fail "timeline seqs [${seqs:0:200}], want [${wantseqs:0:200}]"
more=$(js 'return !document.getElementById("timeline-more").hidden;')
if [ "$N" -gt "$PAGE" ]; then
	[ "$more" = true ] || fail "no 'more' button with $N > $PAGE transitions"
	want2=$((N < 2 * PAGE ? N : 2 * PAGE))
	click '#timeline-more' || fail "cannot click 'more'"
	got=$(wait_js "'more' to add the next page" '
		const t = document.getElementById("timeline");
		return t.getAttribute("data-state") === "ok" && t.querySelectorAll("li.entry").length === arguments[0] ?
			[...t.querySelectorAll("li.entry")].map((e) => +e.dataset.seq).join(" ") : null;' "[$want2]" | jq -r .)
	[ "$got" = "$(jq -r .seq "$TMP/hist.jsonl" | head -n "$want2" | tr '\n' ' ' | sed 's/ $//')" ] &&
		ok "'more' adds the next page: $want2 entries in seq order" ||
		fail "after 'more' the timeline shows seqs [${got:0:200}...], want 1..$want2"
else
	[ "$more" = false ] || fail "a 'more' button with all $N transitions shown"
fi

# Each entry: time and event as the log has them, the state after it with
# the fields of the diff highlighted. Checked for the first three.
for s in 1 2 3; do
	r=$(rec "$s")
	page=$(js '
		const e = document.querySelector("#timeline li.entry[data-seq=\"" + arguments[0] + "\"]");
		if (!e) return null;
		const f = {};
		for (const x of e.querySelectorAll(".state .f:not(.removed)"))
			f[x.dataset.path] = x.querySelector(".v").textContent;
		const hl = [...e.querySelectorAll(".state .f.changed, .state .f.added, .state .f.removed")]
			.map((x) => x.dataset.path);
		return {time: e.querySelector(".time").textContent, event: e.querySelector(".event").textContent,
			fields: f, paths: Object.keys(f).sort(), hl: hl};' "[$s]")
	[ "$page" != null ] || { fail "no timeline entry for seq $s"; continue; }
	t=$(jq -r .time <<<"$page") wt=$(jq -r .time <<<"$r")
	[ "$t" = "$wt" ] || fail "seq $s: time '$t', want '$wt'"
	e=$(jq -r .event <<<"$page") we=$(jq -r .event <<<"$r")
	[ "$e" = "$we" ] || fail "seq $s: event '$e', want '$we'"
	wpaths=$(jq -c .state <<<"$r" | all_paths)
	[ "$(jq -c .paths <<<"$page")" = "$wpaths" ] ||
		fail "seq $s: state fields $(jq -c .paths <<<"$page"), want $wpaths"
	wstr=$(jq -c .state <<<"$r" | string_leaves)
	bad=$(jq -nc --argjson w "$wstr" --argjson p "$(jq -c .fields <<<"$page")" \
		'[$w | to_entries[] | select($p[.key] != .value) | {path: .key, want: .value, shown: $p[.key]}]')
	[ "$bad" = '[]' ] || fail "seq $s: state fields shown differ from hindsight history: $bad"
	# every diff path highlighted, and nothing else
	bad=$(jq -nc --argjson d "$(jq -c '[.diff[].path]' <<<"$r")" --argjson h "$(jq -c .hl <<<"$page")" '
		def under($a; $b): $a == $b or ($a | startswith($b + "."));
		[($d[] | select(. as $x | [$h[] | select(under(.; $x))] | length == 0) | "not highlighted: " + .),
		 ($h[] | select(. as $x | [$d[] | select(under($x; .))] | length == 0) | "highlighted, not in the diff: " + .)]')
	[ "$bad" = '[]' ] || fail "seq $s: highlights against the diff: $bad"
done
[ "$FAILS" -eq 0 ] && ok "entries 1-3: times, events, states and highlighted changes match hindsight history"
known=$(rec 1 | jq -c .state | string_leaves | jq -r 'to_entries[0] | .key + " = " + .value')
echo "  (e.g. seq 1: $known)"

# ------------------------------------------------------------------
# The time slider
# ------------------------------------------------------------------

FIRST_NS=$(rec 1 | jq -r .time_ns)
LAST_NS=$(rec "$N" | jq -r .time_ns)
# The page shows the latest state first.
st=$(wait_js "#state-at to show the latest state" '
	const b = document.getElementById("state-at");
	return b.getAttribute("data-state") === "ok" ? b.getAttribute("data-seq") : null;' | jq -r .) ||
	die "#state-at never showed a state"
[ "$st" = "$N" ] && ok "#state-at starts at the latest state (#$st)" || fail "#state-at starts at #$st, want #$N"
# A time between two transitions in the middle of its life, whose state is
# not the latest: halfway between seq m and the next one of a later time.
TARGET=
for m in $(seq $(((N + 1) / 2)) $((N - 1))) $(seq 1 $((N / 2))); do
	a=$(rec "$m" | jq -r .time_ns)
	b=$(jq -rs --argjson m "$m" --arg a "$a" '[.[] | select(.seq > $m and .time_ns > ($a | tonumber))][0].time_ns // empty' "$TMP/hist.jsonl")
	[ -n "$b" ] || continue
	# halfway, in whole milliseconds from the first transition
	v=$(( ( (a - FIRST_NS) + (b - a) / 2 ) / 1000000 ))
	at=$((FIRST_NS + v * 1000000))
	if [ "$at" -gt "$a" ] && [ "$at" -lt "$b" ]; then
		TARGET=$at VALUE=$v
		break
	fi
done
[ -n "$TARGET" ] || die "$AGENT has no two transitions a millisecond apart to put the slider between"
"$HS" state "$DB" "$AGENT" --types "$TYPES" --at "$TARGET" --json >"$TMP/state.json" 2>"$TMP/state.err" ||
	die "hindsight state $AGENT --at $TARGET: $(cat "$TMP/state.err")"
WSEQ=$(jq -r .seq "$TMP/state.json")
[ "$WSEQ" != "$N" ] || die "the state at $TARGET is the latest one: the slider test would not see a change"
js 'const s = document.getElementById("slider");
    s.value = arguments[0];
    s.dispatchEvent(new Event("input", {bubbles: true}));
    s.dispatchEvent(new Event("change", {bubbles: true}));
    return s.value;' "[\"$VALUE\"]" >/dev/null
shown=$(wait_js "#state-at to show the state at $TARGET" '
	const b = document.getElementById("state-at");
	if (b.getAttribute("data-state") !== "ok" || b.getAttribute("data-at-ns") !== arguments[0]) return null;
	const f = {};
	for (const x of b.querySelectorAll(".state .f"))
		f[x.dataset.path] = x.querySelector(".v").textContent;
	return {seq: b.getAttribute("data-seq"), fields: f,
		time: document.getElementById("slider-time").textContent};' "[\"$TARGET\"]") ||
	die "the slider did not change #state-at"
[ "$(jq -r .seq <<<"$shown")" = "$WSEQ" ] && ok "slider at $(jq -r .time <<<"$shown"): state after #$WSEQ" ||
	fail "slider at $TARGET: #state-at shows seq $(jq -r .seq <<<"$shown"), hindsight state says $WSEQ"
wtime=$(jq -r .time "$TMP/state.json")
[ "$(jq -r .time <<<"$shown")" \> "$wtime" ] || fail "slider time $(jq -r .time <<<"$shown") is not after the transition's $wtime"
wstr=$(jq -c .state "$TMP/state.json" | string_leaves)
bad=$(jq -nc --argjson w "$wstr" --argjson p "$(jq -c .fields <<<"$shown")" \
	'[$w | to_entries[] | select($p[.key] != .value) | {path: .key, want: .value, shown: $p[.key]}]')
[ "$bad" = '[]' ] && ok "state at the slider's time matches hindsight state --at: $wstr" ||
	fail "state at $TARGET differs from hindsight state: $bad"
err=$(error_bar)
[ -z "$err" ] || fail "the error bar shows on the timeline: $err"
shot serve-timeline.png

# ------------------------------------------------------------------
# A cause chain: of a record of the agent with a cause if it has one
# ------------------------------------------------------------------

# the agent's record with the longest chain of causes, then with most
# effects (any record when nothing has a cause, as in the ships demo)
CSEQ=$(jq -rs --arg t "$ATYPE" --arg i "$AID" '
	(map({key: (.gseq | tostring), value: (.cause.gseq // null)}) | from_entries) as $up
	| (map(select(.cause != null) | .cause.gseq | tostring) | group_by(.)
	   | map({key: .[0], value: length}) | from_entries) as $eff
	| def depth: if . == null then 0 else 1 + ($up[. | tostring] | depth) end;
	[.[] | select(.type == $t and .id == $i)
	 | {seq, d: ($up[.gseq | tostring] | depth), e: ($eff[.gseq | tostring] // 0)}]
	| sort_by(-.d, -.e, .seq) | .[0].seq' "$TMP/all.jsonl")
G=$(rec "$CSEQ" | jq -r .gseq)
# up the causes to the root, from the log
chain="" c=$G
while :; do
	cause=$(jq -c --argjson g "$c" 'select(.gseq == $g) | .cause' "$TMP/all.jsonl")
	[ -n "$cause" ] && [ "$cause" != null ] || break
	c=$(jq -r .gseq <<<"$cause")
	chain="$c $chain"
done
wchain="$chain$G"
weff=$(jq -r --argjson g "$G" 'select(.cause != null and .cause.gseq == $g) | .gseq' "$TMP/all.jsonl" | tr '\n' ' ' | sed 's/ $//')
click "#timeline li.entry[data-seq=\"$CSEQ\"] a.chain" || die "no cause link on timeline entry #$CSEQ"
got=$(wait_js "#causes to show the chain of gseq $G" '
	const b = document.getElementById("causes");
	if (b.getAttribute("data-state") !== "ok" || b.getAttribute("data-gseq") !== arguments[0]) return null;
	const g = (sel) => [...b.querySelectorAll(sel)].map((x) => x.dataset.gseq).join(" ");
	return {hash: location.hash, chain: g("#cause-chain li.rec"), effects: g("ol#effects li.rec"),
		current: g("#cause-chain li.rec.current")};' "[\"$G\"]") || die "no cause chain"
[ "$(jq -r .hash <<<"$got")" = "#causes=$G" ] || fail "hash of the cause view: $(jq -r .hash <<<"$got")"
[ "$(jq -r .chain <<<"$got")" = "$wchain" ] && ok "cause chain of gseq $G: [$wchain]" ||
	fail "cause chain of gseq $G: [$(jq -r .chain <<<"$got")], the log says [$wchain]"
[ "$(jq -r .current <<<"$got")" = "$G" ] || fail "the record itself is not marked current: [$(jq -r .current <<<"$got")]"
[ "$(jq -r .effects <<<"$got")" = "$weff" ] && ok "effects of gseq $G: [$weff]" ||
	fail "effects of gseq $G: [$(jq -r .effects <<<"$got")], the log says [$weff]"
shot serve-causes.png
# each record is clickable: the root's card opens its own chain
ROOT=${wchain%% *}
if [ "$ROOT" != "$G" ]; then
	click "#cause-chain li.rec[data-gseq=\"$ROOT\"] .event" || fail "cannot click the root record $ROOT"
	wait_js "#causes to re-centre on the root $ROOT" '
		const b = document.getElementById("causes");
		return b.getAttribute("data-state") === "ok" && b.getAttribute("data-gseq") === arguments[0] &&
			b.getAttribute("data-chain") === "0";' "[\"$ROOT\"]" >/dev/null &&
		ok "clicking the root opens its chain" || fail "clicking the root record did not open its chain"
fi
# its agent link opens the agent's timeline at that record
cur=$(js 'const c = document.querySelector("#cause-chain li.rec.current");
	return c ? c.dataset.gseq : null;' | jq -r .)
crec=$(jq -c --argjson g "${cur:-0}" 'select(.gseq == $g)' "$TMP/all.jsonl")
cagent=$(jq -r '.type + "/" + .id' <<<"$crec") cseq=$(jq -r .seq <<<"$crec")
click "#cause-chain li.rec.current a.agent" || fail "no agent link on the record"
got=$(wait_js "the timeline of $cagent at #$cseq" '
	const e = document.querySelector("#timeline li.entry.focus");
	return location.hash.startsWith("#agent=") && e ? decodeURIComponent(location.hash) + " " + e.dataset.seq : null;' | jq -r .)
[ "$got" = "#agent=$cagent&seq=$cseq $cseq" ] && ok "the record's agent link opens $cagent's timeline at #$cseq" ||
	fail "the record's agent link: got '$got', want the timeline of $cagent focused on #$cseq"

# ------------------------------------------------------------------
# Live tail, machines, the error bar
# ------------------------------------------------------------------

go '#live'
st=$(wait_js "the live tail to connect" '
	const t = document.getElementById("live"), s = document.getElementById("live-status");
	return t && !document.getElementById("view-live").hidden && s.textContent === "open" ? s.textContent : null;') &&
	ok "live tail shown, stream $(jq -r . <<<"$st")" || fail "the live tail (#live) is not shown with an open stream"
if [ -n "$MK" ]; then
	# A writer appends 3 records (counter/tail, tests/cli/make_log.c)
	# while the page is open: they show, newest first.
	"$MK" append "$DB" 3 0 >/dev/null || fail "make_log append to $DB"
	last=$("$HS" stats "$DB" --json | jq -r .last_gseq)
	got=$(wait_js "3 live rows" '
		const r = [...document.querySelectorAll("#live-rows tr")];
		return r.length >= 3 ? r.slice(0, 3).map((t) => t.dataset.gseq + " " +
			t.children[2].textContent).join(", ") : null;' | jq -r .)
	want="$last counter/tail #3, $((last - 1)) counter/tail #2, $((last - 2)) counter/tail #1"
	[ "$got" = "$want" ] && ok "the live tail shows the appended records" ||
		fail "live rows: got '$got', want '$want'"
	shot serve-live.png
fi

machines=$(curl -s -m 10 "$BASE/api/machines")
nm=$(jq '.machines | length' <<<"$machines" 2>/dev/null)
go '#machines'
got=$(wait_js "#machines to draw" '
	const b = document.getElementById("machines");
	if (b.getAttribute("data-state") !== "ok") return null;
	return [...b.querySelectorAll("figure.machine")].map((f) => ({id: f.dataset.machine,
		states: f.querySelectorAll("g.node").length, edges: f.querySelectorAll("path.edge").length,
		start: [...f.querySelectorAll("g.node.start")].map((n) => n.dataset.state)}));')
if [ -z "$got" ]; then
	fail "the machines view did not load"
elif [ "$nm" = 0 ]; then
	[ "$got" = '[]' ] && ok "no machines in this plugin, none drawn" || fail "machines drawn: $got, the API has none"
else
	want=$(jq -c '[.machines[] | {id, states: (.states | length),
		edges: ((.states | map(.name)) as $n | [.states[].edges[]
			| (.to // empty), (.invoke // {} | .success // empty, .error // empty)
			| select(. as $t | $n | any(.[]; . == $t))] | length),
		start: [.start]}]' <<<"$machines")
	[ "$(jq -cS . <<<"$got")" = "$(jq -cS . <<<"$want")" ] && ok "machines drawn: $want" ||
		fail "machines drawn $got, the API has $want"
	shot serve-machines.png
fi

go "#agent=nosuchtype/x"
err=$(wait_js "the error bar to show the API's error" '
	const e = document.getElementById("error");
	return e.hidden ? null : document.getElementById("error-text").textContent;' | jq -r .) &&
	ok "an unknown agent shows in the error bar: $err" || fail "an unknown agent shows no error"

if [ "$FAILS" -gt 0 ]; then
	echo "$FAILS check(s) failed"
	[ -s "$TMP/serve.err" ] && { echo "--- the server said:"; cat "$TMP/serve.err"; }
	shot serve-failure.png
	exit 1
fi
echo "all checks passed"
