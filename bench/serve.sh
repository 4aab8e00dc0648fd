#!/usr/bin/env bash
# bench/serve.sh: SERVE (bench/README.md; issue 14's figures, not in
# BENCH.md): `hindsight serve` on a log of 10^7 records.
#
#   serve.sh [--quick] [--hindsight PATH] [--bin DIR] [--log DIR]
#            [--reps N] [--loads N]
#
# 1. Writes the log with bench_serve_log (10,000 ship agents x 890
#    transitions, ship-long-a with 10^5 and ship-long-b with 10^6, through
#    hs_send; RESULT SERVE gen_s), unless --log names one written before
#    (it is then kept). --quick: 100 x 10 + 500 + 1,000 (a smoke run).
# 2. Starts `hindsight serve LOG --types bench_serve_types.so --port 0` and
#    times each request with curl (%{time_total}), --reps times (default
#    50; --quick 3) over one keep-alive connection, after one untimed
#    request (reported as `_first_ms`): RESULT SERVE <request>_p50_ms and
#    _p99_ms (nearest rank). Every answer must be 200.
# 3. With /usr/bin/chromium and /usr/bin/chromedriver (CHROMIUM,
#    CHROMEDRIVER override; skipped when missing): headless Chromium over
#    WebDriver (as tests/serve/browser.sh), the HTTP cache disabled, loads
#    `/` and `/#agent=ship/ship-long-b` --loads times each (default 10;
#    --quick 1), each from about:blank, after one untimed load. A script injected before the
#    page's own (CDP Page.addScriptToEvaluateOnNewDocument) notes
#    performance.now() when the agent list gets its first agent and the
#    timeline its first entry (a MutationObserver); first-contentful-paint
#    comes from performance.getEntriesByType('paint'). RESULT SERVE
#    page_fcp_ms, page_agents_ms, agent_fcp_ms, agent_timeline_ms: one
#    line per load (bench/run gives their median, min and max).
# Ends with the log's size on disk (RESULT SERVE log_bytes) and removes the
# log it wrote. The server and the browser are stopped on any exit.
#
# Paths default to a bench/run build: <repo>/build-bench/tools/hindsight
# and <repo>/build-bench/bench (bench_serve_log, bench_serve_types.so).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
HS="$root/build-bench/tools/hindsight"
BIN="$root/build-bench/bench"
quick=0 LOG="" reps="" loads=""
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--hindsight) HS="$2"; shift ;;
	--bin) BIN="$2"; shift ;;
	--log) LOG="$2"; shift ;;
	--reps) reps="$2"; shift ;;
	--loads) loads="$2"; shift ;;
	-h|--help) sed -n '2,33p' "$0"; exit 0 ;;
	*) echo "serve.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
if [ $quick = 1 ]; then
	SIZES="100 10 500 1000"
	: "${reps:=3}" "${loads:=1}"
else
	SIZES="10000 890 100000 1000000"
	: "${reps:=50}" "${loads:=10}"
fi
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
TYPES="$BIN/bench_serve_types.so"
for f in "$HS" "$BIN/bench_serve_log"; do
	[ -x "$f" ] || { echo "serve.sh: $f is not built" >&2; exit 1; }
done
[ -f "$TYPES" ] || { echo "serve.sh: $TYPES is not built" >&2; exit 1; }
command -v curl >/dev/null || { echo "serve.sh: needs curl" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hs-serve-bench.XXXXXX") || exit 1
SERVER_PID= DRIVER_PID= SID= DRIVER= OWNLOG=0
cleanup() {
	if [ -n "$SID" ] && [ -n "$DRIVER" ]; then
		curl -s -m 5 -X DELETE "$DRIVER/session/$SID" >/dev/null 2>&1
	fi
	for pid in $DRIVER_PID $SERVER_PID; do
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ $OWNLOG = 1 ] && rm -rf "$LOG"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() {
	echo "serve.sh: $*" >&2
	[ -f "$TMP/serve.err" ] && tail -5 "$TMP/serve.err" >&2
	exit 1
}
result() { echo "RESULT SERVE $1 $2 $3"; }
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------
# 1. The log
# ------------------------------------------------------------------
if [ -z "$LOG" ]; then
	LOG="$TMP/log" OWNLOG=1
	# shellcheck disable=SC2086
	"$BIN/bench_serve_log" "$LOG" $SIZES || die "bench_serve_log failed"
fi
[ -d "$LOG" ] || die "$LOG is not a directory"
LOGBYTES=$(du -sb "$LOG" | cut -f1)
echo "# log $LOG: $(du -sh "$LOG" | cut -f1) on disk, $(ls "$LOG" | grep -c '\.sst$') SST files"

# ------------------------------------------------------------------
# 2. The API with curl
# ------------------------------------------------------------------
"$HS" serve "$LOG" --types "$TYPES" --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
t0=$(date +%s.%N)
for _ in $(seq 600); do
	grep -q '^hindsight serve: http://' "$TMP/serve.out" 2>/dev/null && break
	kill -0 $SERVER_PID 2>/dev/null || die "the server exited"
	sleep 0.05
done
PORT=$(sed -nE 's|^hindsight serve: http://127\.0\.0\.1:([0-9]+)/.*|\1|p' "$TMP/serve.out")
[ -n "$PORT" ] || die "the server printed no address: $(cat "$TMP/serve.out")"
BASE="http://127.0.0.1:$PORT"
echo "# $(head -n1 "$TMP/serve.out") (address printed after $(echo "$(date +%s.%N) - $t0" | bc) s)"

# get PATH: the answer's body (untimed; for the parameters below).
get() { curl -sf "$BASE$1" || die "GET $1 failed: $(curl -s "$BASE$1")"; }
# num JSON KEY: the first integer value of "KEY" in JSON (no jq needed).
num() { grep -oE "\"$2\":\"?[0-9]+" <<<"$1" | head -n1 | grep -oE '[0-9]+$'; }
str() { grep -oE "\"$2\":\"[^\"]*\"" <<<"$1" | head -n1 | cut -d'"' -f4; }

# bench NAME PATH: one untimed-for-percentiles first request, then `reps`
# requests over one connection; prints p50/p99 and checks the status.
bench() {
	local name=$1 path=$2 args=() i
	for ((i = 0; i <= reps; i++)); do
		args+=(-o /dev/null "$BASE$path")
	done
	curl -s -w '%{http_code} %{time_total} %{size_download}\n' "${args[@]}" \
		>"$TMP/times" || die "curl $path failed"
	awk -v name="$name" -v path="$path" '
	$1 != 200 { bad = $1 }
	NR == 1 { first = $2 * 1000; size = $3; next }
	{ v[++n] = $2 * 1000 }
	END {
		if (bad) { printf "serve.sh: %s answered %s\n", path, bad > "/dev/stderr"; exit 1 }
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		p50 = v[int((n * 50 + 99) / 100)]; p99 = v[int((n * 99 + 99) / 100)]
		printf "# %-20s %7.2f ms p50 %7.2f ms p99 %7.2f ms first, %d B: GET %s\n", name, p50, p99, first, size, path
		printf "RESULT SERVE %s_p50_ms %.3f ms\nRESULT SERVE %s_p99_ms %.3f ms\nRESULT SERVE %s_first_ms %.3f ms\n", name, p50, name, p99, name, first
	}' "$TMP/times" || exit 1
}

stats=$(get /api/stats)
RECORDS=$(num "$stats" records)
MID=$((RECORDS / 2))
echo "# $RECORDS records, $(num "$stats" agents) agents; $reps timed requests each after a first one"

for a in long-b long-a typical; do
	case $a in
	typical) AG="ship/ship-$(printf %06d $(($(awk '{print $1}' <<<"${SIZES}") / 2)))" ;;
	*) AG="ship/ship-$a" ;;
	esac
	last=$(get "/api/history?agent=$AG&limit=1&order=desc")
	n=$(num "$last" seq)
	half=$(((n + 1) / 2))
	mid=$(get "/api/history?agent=$AG&limit=1&from=$half")
	midtime=$(str "$mid" time)
	echo "# $a: $AG, $n transitions"
	H="/api/history?agent=$AG&limit=200"
	bench "history_${a}_first" "$H"
	bench "history_${a}_mid" "$H&from=$half"
	bench "history_${a}_last" "$H&order=desc"
	bench "state_${a}_mid" "/api/state?agent=$AG&at=$midtime"
done
bench agents_first "/api/agents?limit=50"
bench agents_prefix "/api/agents?limit=50&prefix=ship-0050"
bench agents_type_prefix "/api/agents?limit=50&type=ship&prefix=ship-0050"
bench log_mid "/api/log?from=$MID&limit=100"
bench log_latest "/api/log?order=desc&limit=50"
bench record_mid "/api/record?gseq=$MID"
bench causes_mid "/api/causes?gseq=$MID"
bench causes_mid_scan1000 "/api/causes?gseq=$MID&scan=1000"
bench stats "/api/stats"
bench page_html "/"

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
# ------------------------------------------------------------------
# 3. First paint in headless Chromium
# ------------------------------------------------------------------
if [ ! -x "$CHROMIUM" ] || [ ! -x "$CHROMEDRIVER" ] || ! command -v jq >/dev/null; then
	echo "# no $CHROMIUM, $CHROMEDRIVER or jq: no page figures"
else
	start_driver || die "chromedriver did not start: $(cat "$TMP/driver.out")"
	DRIVER="http://127.0.0.1:$DPORT"
	wd() { # wd METHOD PATH [JSON]: one WebDriver command; prints .value
		local out
		out=$(curl -s -m 60 -X "$1" -H 'Content-Type: application/json' \
			${3:+--data-binary "$3"} "$DRIVER$2") || die "webdriver $1 $2: no answer"
		if jq -e '.value | type == "object" and has("error")' <<<"$out" >/dev/null 2>&1; then
			die "webdriver $1 $2: $(jq -r '.value.message | .[0:300]' <<<"$out")"
		fi
		jq -c '.value' <<<"$out"
	}
	caps=$(jq -nc --arg bin "$CHROMIUM" --arg prof "$TMP/profile" '{capabilities: {alwaysMatch: {
		browserName: "chrome",
		"goog:chromeOptions": {binary: $bin, args: ["--headless=new", "--no-sandbox",
			"--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
			"--user-data-dir=" + $prof, "--window-size=1280,1000"]}}}}')
	SID=$(wd POST /session "$caps" | jq -r '.sessionId')
	[ -n "$SID" ] && [ "$SID" != null ] || die "no browser session"
	wd POST "/session/$SID/timeouts" '{"script": 30000, "pageLoad": 60000}' >/dev/null
	cdp() { wd POST "/session/$SID/goog/cdp/execute" "$(jq -nc --arg c "$1" --argjson p "$2" '{cmd: $c, params: $p}')" >/dev/null; }
	js() {
		wd POST "/session/$SID/execute/sync" \
			"$(jq -nc --arg s "$1" '{script: $s, args: []}')"
	}
	cdp Network.enable '{}'
	cdp Network.setCacheDisabled '{"cacheDisabled": true}'
	probe='(function () {
		const B = window.__hsBench = {long: []};
		/* main-thread tasks over 50 ms: work of the page itself */
		try {
			new PerformanceObserver((l) => {
				for (const e of l.getEntries())
					B.long.push(e.startTime.toFixed(0) + "+" + e.duration.toFixed(0));
			}).observe({type: "longtask", buffered: true});
		} catch (e) { /* no longtask entries: nothing noted */ }
		const look = () => {
			const now = performance.now();
			if (B.agents === undefined && document.querySelector("#agent-list a[data-agent]"))
				B.agents = now;
			if (B.timeline === undefined && document.querySelector("#timeline > li.entry"))
				B.timeline = now;
			if (B.ready === undefined && document.body && document.body.hasAttribute("data-ready"))
				B.ready = now;
		};
		new MutationObserver(look).observe(document, {childList: true, subtree: true,
			attributes: true, attributeFilter: ["data-ready"]});
	})();'
	cdp Page.addScriptToEvaluateOnNewDocument "$(jq -nc --arg s "$probe" '{source: $s}')"
	# load URL KEY: loads URL from about:blank, waits until KEY is noted
	# (and the page is ready), prints "fcp key ready" in ms.
	load() {
		local v i
		wd POST "/session/$SID/url" '{"url": "about:blank"}' >/dev/null
		wd POST "/session/$SID/url" "$(jq -nc --arg u "$1" '{url: $u}')" >/dev/null
		for i in $(seq 600); do
			v=$(js 'const B = window.__hsBench || {};
				const p = performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint");
				if (B["'"$2"'"] === undefined || B.ready === undefined || !p) return null;
				const api = performance.getEntriesByType("resource")
					.filter((e) => e.name.includes("/api/"))
					.map((e) => e.name.replace(/^https?:\/\/[^\/]+/, "") + " " +
						e.startTime.toFixed(1) + "-" + e.responseEnd.toFixed(1));
				return [p.startTime, B["'"$2"'"], B.ready, api.join("; ") +
					"; tasks over 50 ms (start+ms): " + (B.long.join(" ") || "none")];')
			[ "$v" != null ] && break
			sleep 0.1
		done
		[ "$v" != null ] || die "$1: the page did not show its $2 within 60 s"
		jq -r '"\(.[0]) \(.[1]) \(.[2])\t\(.[3])"' <<<"$v"
	}
	# page NAME URL KEY: `loads` loads; median and max of each figure.
	page() {
		local i
		: >"$TMP/loads"
		for ((i = 0; i < loads; i++)); do
			load "$2" "$3" >>"$TMP/loads" || exit 1
		done
		echo "# $1 ($2), the last load, in ms from navigation start: API requests: $(tail -n1 "$TMP/loads" | cut -f2)"
		cut -f1 "$TMP/loads" | awk -v name="$1" -v key="$3" -v n="$loads" '
		{ for (k = 1; k <= 3; k++) v[k, NR] = $k }
		END {
			split("fcp " key " ready", f, " ")
			for (k = 1; k <= 3; k++) {
				for (i = 1; i <= n; i++) a[i] = v[k, i]
				for (i = 2; i <= n; i++)
					for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
				med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
				printf "# %s %-8s median %7.1f ms, min %7.1f, max %7.1f (%d loads)\n", name, f[k], med, a[1], a[n], n
				for (i = 1; i <= n; i++)
					printf "RESULT SERVE %s_%s_ms %.1f ms\n", name, f[k], v[k, i]
			}
		}'
	}
	# one load first, untimed: the browser's own start is not the page's
	load "$BASE/" agents >/dev/null || exit 1
	page page "$BASE/" agents
	page agent "$BASE/#agent=ship/ship-long-b" timeline
fi

result log_bytes "$LOGBYTES" bytes
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
