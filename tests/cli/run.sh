#!/usr/bin/env bash
# Tests of the `hindsight` tool, run as a process against logs that
# make_log makes. One section per ctest test (label cli):
#
#   run.sh SECTION HINDSIGHT MAKE_LOG PLUGIN_DIR
#
# SECTION: basic errors check log state history verify export tail replay
# progress machine beside_writer backup system whatif schema archive.
# Every check prints what failed; the script exits 1 if any did.
set -uo pipefail

if [ $# -ne 4 ]; then
	echo "usage: run.sh SECTION HINDSIGHT MAKE_LOG PLUGIN_DIR" >&2
	exit 2
fi
section=$1
H=$2
MK=$3
PLUGIN=$4/plugin_counter.so
CHANGED=$4/plugin_counter_changed.so
EMPTY=$4/plugin_empty.so
METER=$4/plugin_meter.so
METER_NOUP=$4/plugin_meter_noup.so

command -v jq >/dev/null && command -v cmp >/dev/null ||
	{ echo "run.sh: needs jq and cmp (apt-get install jq diffutils)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/hs-cli-$section.XXXXXX") || exit 1
cleanup() {
	[ -n "${tmux_sock:-}" ] && tmux -L "$tmux_sock" kill-server 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fails=0
checks=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# run CMD...: stdout in $out, stderr in $err, exit code in $rc.
run() {
	out=$("$@" 2>"$work/.stderr")
	rc=$?
	err=$(cat "$work/.stderr")
	last="$*"
}
# Checks on the last run.
rc_is() {
	checks=$((checks + 1))
	[ "$rc" = "$1" ] ||
		fail "$last: exit $rc, want $1${err:+ (stderr: $err)}"
}
out_has() {
	checks=$((checks + 1))
	grep -qF -- "$1" <<<"$out" ||
		fail "$last: stdout lacks '$1'; it is:"$'\n'"$out"
}
out_lacks() {
	checks=$((checks + 1))
	! grep -qF -- "$1" <<<"$out" || fail "$last: stdout has '$1'"
}
err_has() {
	checks=$((checks + 1))
	grep -qF -- "$1" <<<"$err" ||
		fail "$last: stderr lacks '$1'; it is:"$'\n'"$err"
}
err_empty() {
	checks=$((checks + 1))
	[ -z "$err" ] || fail "$last: stderr is not empty: $err"
}
equal() { # equal GOT WANT WHAT
	checks=$((checks + 1))
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}
lines() { # the number of lines of $out
	if [ -z "$out" ]; then echo 0; else wc -l <<<"$out" | tr -d ' '; fi
}
# start_writer DB N MS: make_log appends N transitions to DB, one every MS
# ms, in the background; returns once it holds the log, its pid in $mk.
start_writer() {
	"$MK" append "$1" "$2" "$3" >"$work/append.out" &
	mk=$!
	for _ in $(seq 600); do
		grep -q ready "$work/append.out" 2>/dev/null && break
		sleep 0.05
	done
	grep -q ready "$work/append.out" || fail "make_log append did not start"
}
# stop_with SIGNUM PID: sends the signal once the process catches it and
# puts its exit code in $rc. A background job of a script starts with
# SIGINT ignored, so a signal sent before the program installs its
# handler would be lost; a slow start (a sanitizer, a loaded machine)
# makes that likely. A process that outlives 60 s is killed, rc 137.
stop_with() {
	local sig=$1 pid=$2 cgt
	for _ in $(seq 600); do
		cgt=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -z "$cgt" ] && break # gone already
		(((16#$cgt >> (sig - 1)) & 1)) && break
		sleep 0.05
	done
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	wait "$pid"
	rc=$?
}

# The standard log (see make_log.c for its 15 records).
db=$work/db
"$MK" create "$db" || { echo "make_log failed" >&2; exit 1; }

commands="stats check log state history verify replay tail export import backup system whatif archive"

section_basic() {
	run "$H"
	rc_is 2
	err_has "usage: hindsight COMMAND"
	run "$H" --help
	rc_is 0
	for c in $commands; do
		out_has "  $c "
	done
	run "$H" --version
	rc_is 0
	out_has "log format 4"
	run "$H" nosuch
	rc_is 2
	err_has "no command 'nosuch'"
	for c in $commands; do
		run "$H" "$c" --help
		rc_is 0
		out_has "usage: hindsight $c "
		run "$H" help "$c"
		rc_is 0
		out_has "usage: hindsight $c "
		run "$H" "$c" -h
		rc_is 0
	done

	run "$H" stats "$db"
	rc_is 0
	err_empty # no progress when stderr is not a terminal
	out_has "events     15 (gseq 1 to 15)"
	out_has "time       2026-11-22T10:00:00.000000000Z to 2026-11-22T10:00:15.000000000Z"
	out_has "agents     5"
	out_has "types      3: audit (1 agent, 2 transitions), counter (3 agents, 9 transitions), ship (1 agent, 4 transitions)"
	out_has "snapshots  4"
	out_has "size       "

	run "$H" stats "$db" --json
	rc_is 0
	err_empty
	equal "$(jq -c '[.events, .agents, .types, .snapshots, .first_gseq, .last_gseq, .format]' <<<"$out")" \
		"[15,5,3,4,1,15,3]" "stats --json counts"
	equal "$(jq -r '.first_time + " " + .last_time' <<<"$out")" \
		"2026-11-22T10:00:00.000000000Z 2026-11-22T10:00:15.000000000Z" \
		"stats --json times"
	equal "$(jq -c '[.by_type[] | [.type, .agents, .transitions]]' <<<"$out")" \
		'[["audit",1,2],["counter",3,9],["ship",1,4]]' "stats --json by_type"

	[ "$(jq '.size_bytes > 0' <<<"$out")" = true ] || fail "stats size_bytes"

	# tests/fixtures/log-format2 is this standard log as a format-2
	# library wrote it: it reads the same, and a writer migrates it.
	fx="$work/format2"
	cp -r "$(dirname "$0")/../fixtures/log-format2" "$fx" ||
		fail "cannot copy the format-2 fixture"
	run "$H" stats "$fx" --json
	rc_is 0
	equal "$(jq -c '[.events, .agents, .snapshots, .last_gseq, .format]' <<<"$out")" \
		"[15,5,4,15,2]" "format-2 fixture: stats"
	run "$H" log "$db" --json
	local std_log=$out
	run "$H" log "$fx" --json
	rc_is 0
	equal "$out" "$std_log" "format-2 fixture: records"
	run "$H" check "$fx"
	rc_is 0
	"$MK" append "$fx" 40 0 >/dev/null || fail "make_log append to format 2"
	run "$H" stats "$fx" --json
	equal "$(jq -c '[.events, .format]' <<<"$out")" "[55,3]" \
		"format-2 fixture after a writer: stats"
	run "$H" check "$fx"
	rc_is 0
	run "$H" log "$fx" --json --to 15
	equal "$out" "$std_log" "format-2 fixture after a writer: old records"
	# A time query over history written in format 3 (sampled).
	run "$H" log "$fx" --agent counter/tail --json
	local t35 # as text: jq reads numbers as doubles
	t35=$(sed -n 35p <<<"$out" | jq -r .time)
	run "$H" state "$fx" counter/tail --at "$t35" --types "$PLUGIN" --json
	rc_is 0
	equal "$(jq -c '[.seq, .time]' <<<"$out")" "[35,\"$t35\"]" \
		"format-2 fixture after a writer: state at a time"

	# An empty log.
	"$MK" append "$work/empty" 0 0 >/dev/null || fail "make_log append 0"
	run "$H" stats "$work/empty" --json
	rc_is 0
	equal "$(jq -c '[.events, .agents, .first_gseq, .last_gseq, .first_time]' <<<"$out")" \
		"[0,0,0,0,null]" "stats of an empty log"
	run "$H" check "$work/empty"
	rc_is 0
	run "$H" log "$work/empty"
	rc_is 0
	equal "$out" "" "log of an empty log"
}

section_errors() {
	# A missing DB argument, for every command that takes one.
	for c in $commands; do
		run "$H" "$c"
		rc_is 2
		err_has "hindsight $c: missing DB"
		err_has "usage: hindsight $c"
	done
	# A path that does not exist.
	for c in stats check log tail export; do
		run "$H" "$c" "$work/nothing"
		rc_is 2
		err_has "$work/nothing: no such log (the path does not exist)"
	done
	run "$H" state "$work/nothing" counter/a
	rc_is 2
	err_has "no such log"
	run "$H" verify "$work/nothing" --types "$PLUGIN"
	rc_is 2
	err_has "no such log"
	# A directory that is not a log; an empty one; a file.
	mkdir -p "$work/notlog" "$work/emptydir"
	echo hello >"$work/notlog/file.txt"
	echo hello >"$work/afile"
	for p in notlog emptydir afile; do
		run "$H" stats "$work/$p"
		rc_is 2
		err_has "not a hindsight log"
		out_lacks "events"
	done
	[ -f "$work/notlog/file.txt" ] && [ ! -e "$work/notlog/CURRENT" ] ||
		fail "stats changed a directory that is not a log"
	[ -z "$(ls -A "$work/emptydir")" ] ||
		fail "stats wrote into an empty directory"
	# A newer format.
	"$MK" future "$work/future" || fail "make_log future"
	for c in stats check log; do
		run "$H" "$c" "$work/future"
		rc_is 2
		err_has "log format 5 is newer than this library's (4)"
		err_has "use a newer hindsight"
	done
	# An unknown agent.
	run "$H" state "$db" counter/nobody
	rc_is 2
	err_has "unknown agent counter/nobody"
	run "$H" history "$db" ship/Nobody --types "$PLUGIN"
	rc_is 2
	err_has "unknown agent ship/Nobody"
	run "$H" log "$db" --agent nosuchtype/x
	rc_is 2
	err_has "unknown agent nosuchtype/x"
	run "$H" verify "$db" --agent counter/zz --types "$PLUGIN"
	rc_is 2
	err_has "unknown agent counter/zz"
	run "$H" replay "$db" counter/zz --types "$PLUGIN"
	rc_is 2
	err_has "unknown agent counter/zz"
	# Malformed agents and times.
	run "$H" state "$db" counter
	rc_is 2
	err_has "expected TYPE/ID"
	run "$H" state "$db" /a
	rc_is 2
	err_has "the agent type is empty"
	for t in yesterday 2026-11-22 2026-13-01T00:00:00Z \
		2026-11-22T10:00:00 2026-11-22T25:00:00Z \
		2026-02-30T10:00:00Z 2026-11-22T10:00:00.Z \
		2026-11-22T10:00:00.1234567891Z 2026-11-22T10:00:00+2:00 \
		12x 99999999999999999999; do
		run "$H" log "$db" --since "$t"
		rc_is 2
		err_has "malformed time for --since: '$t'"
	done
	run "$H" log "$db" --until nope
	rc_is 2
	err_has "malformed time for --until: 'nope'"
	run "$H" state "$db" counter/a --at nope --types "$PLUGIN"
	rc_is 2
	err_has "malformed time for --at: 'nope'"
	# Types plugins that do not load, or lack the function.
	echo "not a shared object" >"$work/bad.so"
	run "$H" verify "$db" --types "$work/bad.so"
	rc_is 2
	err_has "cannot load types plugin $work/bad.so"
	run "$H" verify "$db" --types "$work/missing.so"
	rc_is 2
	err_has "cannot load types plugin $work/missing.so: No such file"
	run "$H" state "$db" counter/a --seq 5 --types "$EMPTY"
	rc_is 2
	err_has "does not export hindsight_register_types()"
	run "$H" history "$db" counter/a --types "$work/bad.so"
	rc_is 2
	err_has "cannot load types plugin"
	# A plugin file that others can write is refused (loading it runs
	# its code) unless --trust-types.
	cp "$PLUGIN" "$work/shared.so"
	chmod 0775 "$work/shared.so"
	run "$H" verify "$db" --types "$work/shared.so"
	rc_is 2
	err_has "refusing to load types plugin $work/shared.so: it is writable by its group (mode 0775)"
	err_has "chmod go-w $work/shared.so"
	err_has "--trust-types"
	chmod 0757 "$work/shared.so"
	run "$H" state "$db" counter/a --types "$work/shared.so"
	rc_is 2
	err_has "writable by others (mode 0757)"
	chmod 0777 "$work/shared.so"
	for c in "history $db counter/a" "replay $db counter/a" \
		"system $db --gseq 3" "whatif $db --edits /dev/null" \
		"machine $db counter/a"; do
		run "$H" $c --types "$work/shared.so"
		rc_is 2
		err_has "writable by its group and others (mode 0777)"
	done
	run "$H" verify "$db" --types "$work/shared.so" --trust-types
	rc_is 0
	chmod 0755 "$work/shared.so"
	run "$H" verify "$db" --types "$work/shared.so"
	rc_is 0
	# Usage errors.
	run "$H" log "$db" --bogus
	rc_is 2
	err_has "unknown option --bogus"
	run "$H" log "$db" --limit
	rc_is 2
	err_has "option --limit needs a value"
	run "$H" log "$db" --limit 0
	rc_is 2
	run "$H" log "$db" --from 9 --to 3
	rc_is 2
	err_has "--from 9 is after --to 3"
	run "$H" log "$db" extra
	rc_is 2
	err_has "unexpected argument 'extra'"
	run "$H" state "$db" counter/a --seq 1 --gseq 2
	rc_is 2
	err_has "give one point"
	run "$H" verify "$db"
	rc_is 2
	err_has "verify needs --types LIB.so"
	run "$H" verify "$db" --agent counter/a --type counter --types "$PLUGIN"
	rc_is 2
	run "$H" stats --json
	rc_is 2
	err_has "missing DB"

	# A log that a running program holds: every reader works.
	local mk
	start_writer "$db" 3 300
	run "$H" stats "$db"
	rc_is 0
	out_has "events     "
	run "$H" check "$db"
	rc_is 0
	run "$H" log "$db" --agent counter/a
	rc_is 0
	equal "$(lines)" 6 "log of a held log"
	run "$H" verify "$db" --types "$PLUGIN" --agent counter/a
	rc_is 0
	wait $mk || fail "make_log append failed while readers read"
	run "$H" log "$db" --agent counter/tail
	equal "$(lines)" 3 "the writer's records after it closed"
}

section_check() {
	run "$H" check "$db"
	rc_is 0
	err_empty
	out_has "ok: $db: 15 records of 5 agents, 4 snapshots"

	"$MK" corrupt "$work/c1" record || fail "make_log corrupt record"
	run "$H" check "$work/c1"
	rc_is 1
	out_has "problem: $work/c1: events key 0000000000000005: record does not decode"
	out_has "agents key ship/Gloria/1 points to gseq 5, whose record does not decode"
	out_has "events key 0000000000000006: the first record of ship/Gloria has seq 2, not 1"
	out_has "problems in $work/c1"

	"$MK" corrupt "$work/c2" gap || fail "make_log corrupt gap"
	run "$H" check "$work/c2"
	rc_is 1
	out_has "events: gseq 16 is missing"
	equal "$(grep -c '^problem:' <<<"$out")" 1 "one problem for a gap"
	out_has "1 problem in $work/c2"

	"$MK" corrupt "$work/c3" index || fail "make_log corrupt index"
	run "$H" check "$work/c3"
	rc_is 1
	out_has "agents key ship/Gloria/2 points to gseq 7, but the record of ship/Gloria #2 is at gseq 6"
	out_has "agents key counter/c/2 points to gseq 99, where there is no record"

	"$MK" corrupt "$work/c4" cause || fail "make_log corrupt cause"
	run "$H" check "$work/c4"
	rc_is 1
	out_has "events key 0000000000000009: its cause is counter/a #3 at gseq 8, but gseq 8 holds counter/a #4"
	out_has "events key 0000000000000003: its cause counter/a #2 at gseq 4 does not precede it"

	"$MK" corrupt "$work/c5" snapshot || fail "make_log corrupt snapshot"
	run "$H" check "$work/c5"
	rc_is 1
	out_has "snapshots key counter/a/3: its hash"
	out_has "is not the state hash"

	"$MK" corrupt "$work/c8" times || fail "make_log corrupt times"
	run "$H" check "$work/c8"
	rc_is 1
	out_has "times key counter/a/3 at 1795341600000000099: the index entry of that seq has time 1795341606000000000"
	out_has "times key counter/a/40 at 1795341600000000000: the agent has no transition 40"
	out_has "times: a key of 4 bytes is not type/id/time/seq"
	equal "$(grep -c '^problem:' <<<"$out")" 3 "three time sample problems"

	"$MK" corrupt "$work/c7" timers || fail "make_log corrupt timers"
	run "$H" check "$work/c7"
	rc_is 1
	out_has "timers key counter/a/late: set by counter/a #2 at gseq 8, which holds no such record"
	out_has "timers key counter/b/junk: the pending timer does not decode"
	equal "$(grep -c '^problem:' <<<"$out")" 2 "two timer problems"
	run "$H" export "$work/c7"
	rc_is 0
	err_has "has 3 pending timers, which the export does not carry"
	"$MK" corrupt "$work/t1" timer || fail "make_log timer"
	run "$H" check "$work/t1"
	rc_is 0
	out_has "ok: 1 pending timer, each set by the record it names"

	"$MK" corrupt "$work/c6" seq || fail "make_log corrupt seq"
	run "$H" check "$work/c6"
	rc_is 1
	out_has "events key 000000000000000b: counter/b #3 follows #1 (at gseq 4); seqs must go up by one"
	out_has "events key 000000000000000b (counter/b #3): no index entry (agents key counter/b/3 is missing)"
	out_has "agents key counter/b/2 points to gseq 11, which holds counter/b #3"

	# check never changes what it reads
	local before after
	before=$(cd "$work/c6" && ls -l --time-style=+%s.%N | sort | md5sum)
	"$H" check "$work/c6" >/dev/null
	after=$(cd "$work/c6" && ls -l --time-style=+%s.%N | sort | md5sum)
	equal "$after" "$before" "the directory after check"
}

section_log() {
	run "$H" log "$db"
	rc_is 0
	err_empty
	equal "$(lines)" 15 "log: every record"
	out_has 'gseq 1  2026-11-22T10:00:00.000000000Z  counter/a #1  add {"by":1}'
	out_has 'gseq 3  2026-11-22T10:00:02.000000000Z  audit/log #1  saw {"from":"a","n":3}  caused by counter/a #2 (gseq 2)'
	out_has 'gseq 11  2026-11-22T10:00:11.000000000Z  counter/b #2  reset {}'

	run "$H" log "$db" --agent counter/a
	equal "$(lines)" 6 "log --agent counter/a"
	equal "$(awk '{print $2}' <<<"$out" | tr '\n' ' ')" "1 2 7 8 12 13 " "its gseqs"
	run "$H" log "$db" -a counter/a --reverse --limit 2
	equal "$(awk '{print $2}' <<<"$out" | tr '\n' ' ')" "13 12 " "--reverse --limit 2"
	run "$H" log "$db" --type ship
	equal "$(lines)" 4 "log --type ship"
	run "$H" log "$db" --event add
	equal "$(lines)" 7 "log --event add"
	run "$H" log "$db" --type counter --event add --from 5 --to 13
	equal "$(awk '{print $2}' <<<"$out" | tr '\n' ' ')" "8 12 13 " "--type --event --from --to"
	run "$H" log "$db" --since 2026-11-22T10:00:10Z --until 2026-11-22T10:00:12Z
	equal "$(awk '{print $2}' <<<"$out" | tr '\n' ' ')" "10 11 12 " "--since --until"
	# the same times with an offset, a fraction, and as nanoseconds
	run "$H" log "$db" --since 2026-11-22T12:00:09.5+02:00 --until 1795341612000000000
	equal "$(awk '{print $2}' <<<"$out" | tr '\n' ' ')" "10 11 12 " "offset and ns times"
	run "$H" log "$db" --since 2026-11-22t05:00:10-05:00 --limit 1
	equal "$(awk '{print $2}' <<<"$out")" "10" "negative offset, lower-case t"
	# The first and last instants of 64-bit nanoseconds. In the first
	# second (before 1677-09-21T00:12:44Z) a time printed as RFC 3339
	# did not parse back (found by tests/fuzz/fuzz_time).
	run "$H" log "$db" --since 1677-09-21T00:12:43.145224192Z --limit 1
	rc_is 0
	equal "$(awk '{print $2}' <<<"$out")" "1" "the first instant"
	run "$H" log "$db" --since 1677-09-21T00:12:43.5Z --limit 1
	rc_is 0
	run "$H" log "$db" --until 2262-04-11T23:47:16.854775807Z --limit 1
	rc_is 0
	for t in 1677-09-21T00:12:43.145224191Z 2262-04-11T23:47:16.854775808Z; do
		run "$H" log "$db" --since "$t"
		rc_is 2
		err_has "outside the range of 64-bit nanoseconds"
	done
	run "$H" log "$db" --type nosuch
	rc_is 0
	equal "$out" "" "no records of an unknown type"
	run "$H" log "$db" -r -n 1
	equal "$(awk '{print $2}' <<<"$out")" "15" "-r -n 1"

	run "$H" log "$db" --json
	rc_is 0
	equal "$(lines)" 15 "log --json lines"
	jq -e . <<<"$out" >/dev/null || fail "log --json is not JSON Lines"
	equal "$(head -1 <<<"$out" | jq -c 'keys_unsorted')" \
		'["gseq","seq","time_ns","time","type","id","event","body","cause","state_hash"]' \
		"the keys of a record, in order"
	equal "$(sed -n 3p <<<"$out" | jq -c '[.gseq, .seq, .type, .id, .event, .body, .cause, .time]')" \
		'[3,1,"audit","log","saw",{"from":"a","n":3},{"type":"counter","id":"a","seq":2,"gseq":2},"2026-11-22T10:00:02.000000000Z"]' \
		"a caused record as JSON"
	equal "$(sed -n 3p <<<"$out" | grep -o '"time_ns":[0-9]*')" \
		'"time_ns":1795341602000000000' "time_ns exactly"
	equal "$(sed -n 6p <<<"$out" | jq -c '.body')" '{"lat":55.6,"lon":13}' "a float body"
	[[ "$(head -1 <<<"$out" | jq -r .state_hash)" =~ ^[0-9a-f]{16}$ ]] ||
		fail "state_hash is not 16 hex digits"
	run "$H" log "$db" --agent counter/c --json
	equal "$(jq -c '[.cause, .body]' <<<"$out")" '[null,{"by":1}]' "null cause"
}

section_state() {
	# Without --types: only where a snapshot is (counter/a at 3 and 6).
	run "$H" state "$db" counter/a
	rc_is 0
	out_has "counter/a after seq 6 (gseq 13, 2026-11-22T10:00:13.000000000Z), from the snapshot at that seq"
	out_has '"n": 23'
	run "$H" state "$db" counter/a --seq 3 --json
	rc_is 0
	equal "$(jq -c '[.type, .id, .seq, .gseq, .time, .source, .state]' <<<"$out")" \
		'["counter","a",3,7,"2026-11-22T10:00:06.000000000Z","snapshot",{"n":3,"adds":2,"label":"first"}]' \
		"state --seq 3 from a snapshot"
	run "$H" state "$db" counter/a --seq 5
	rc_is 2
	err_has "no snapshot of counter/a at seq 5"
	err_has "replay needs the code of agent type 'counter': pass --types LIB.so"
	run "$H" state "$db" audit/log
	rc_is 2
	err_has "replay needs the code of agent type 'audit'"

	# With --types: anywhere.
	run "$H" state "$db" counter/a --seq 5 --types "$PLUGIN" --json
	rc_is 0
	equal "$(jq -c '[.seq, .gseq, .source, .state]' <<<"$out")" \
		'[5,12,"replay",{"n":13,"adds":4,"label":"first"}]' "state --seq 5 by replay"
	run "$H" state "$db" counter/a --gseq 9 --types "$PLUGIN" --json
	equal "$(jq -c '[.seq, .state.n]' <<<"$out")" '[4,10]' "state --gseq 9"
	run "$H" state "$db" counter/a --gseq 8 --types "$PLUGIN" --json
	equal "$(jq -c '[.seq, .state.n]' <<<"$out")" '[4,10]' "state --gseq 8"
	run "$H" state "$db" counter/a --gseq 7 --types "$PLUGIN" --json
	equal "$(jq -c '[.seq, .state.n]' <<<"$out")" '[3,3]' "state --gseq 7"
	run "$H" state "$db" ship/Gloria --at 2026-11-22T10:00:09.999Z --types "$PLUGIN" --json
	equal "$(jq -c '[.seq, .state]' <<<"$out")" \
		'[2,{"port":"Malmo","pos":{"lat":55.6,"lon":13},"moves":1}]' "state --at"
	run "$H" state "$db" ship/Gloria --at 1795341610000000000 --types "$PLUGIN" --json
	equal "$(jq -c '[.seq, .state.port]' <<<"$out")" '[3,"Oslo"]' "state --at in ns"
	run "$H" state "$db" ship/Gloria -t "$PLUGIN"
	rc_is 0
	out_has "ship/Gloria after seq 4 (gseq 14, 2026-11-22T10:00:14.000000000Z), rebuilt by replay"
	out_has '"lat": 59.9'
	run "$H" state "$db" audit/log --types "$PLUGIN" --json
	equal "$(jq -c '.state' <<<"$out")" '{"count":2,"total":13,"last":"a"}' "audit/log"

	# Points outside the agent's history.
	run "$H" state "$db" counter/a --seq 7 --types "$PLUGIN"
	rc_is 2
	err_has "counter/a has 6 transitions: seq 7 is after the last"
	run "$H" state "$db" counter/a --gseq 16 --types "$PLUGIN"
	rc_is 2
	err_has "gseq 16 is after the end of the log (15)"
	run "$H" state "$db" ship/Gloria --gseq 4 --types "$PLUGIN"
	rc_is 2
	err_has "ship/Gloria had no transition yet at gseq 4 (its first is gseq 5 at 2026-11-22T10:00:04.000000000Z)"
	run "$H" state "$db" ship/Gloria --at 2026-11-22T09:00:00Z --types "$PLUGIN"
	rc_is 2
	err_has "had no transition yet at 2026-11-22T09:00:00Z"
	run "$H" state "$db" ship/Gloria --at 2200-01-01T00:00:00Z --types "$PLUGIN"
	rc_is 2
	err_has "is in the future"
	run "$H" state "$db" counter/a --seq 0
	rc_is 2
	# A plugin without the agent's type: the empty plugin cannot even
	# load; the changed one knows every type but makes other states.
	run "$H" state "$db" counter/b --seq 1 --types "$CHANGED" --json
	rc_is 0
	equal "$(jq -c '.state.n' <<<"$out")" 6 "state by the changed code"
}

section_history() {
	run "$H" history "$db" ship/Gloria --types "$PLUGIN"
	rc_is 0
	err_empty
	out_has '#1  gseq 5  2026-11-22T10:00:04.000000000Z  depart {"port":"Malmo"}'
	out_has '    port: "nowhere" -> "Malmo"'
	out_has '    pos.lat: 0 -> 55.6'
	out_has '    moves: 1 -> 2'
	out_has '#3  gseq 10  2026-11-22T10:00:10.000000000Z  depart {"port":"Oslo"}'
	run "$H" history "$db" audit/log --types "$PLUGIN"
	out_has 'caused by counter/a #4 (gseq 8)'
	out_has '    total: 3 -> 13'

	run "$H" history "$db" counter/a --types "$PLUGIN" --json
	rc_is 0
	equal "$(lines)" 6 "history --json lines"
	equal "$(jq -c '[.seq, .event, .state.n]' <<<"$out" | tr '\n' ' ')" \
		'[1,"add",1] [2,"add",3] [3,"label",3] [4,"add",10] [5,"add",13] [6,"add",23] ' \
		"history --json states"
	equal "$(sed -n 3p <<<"$out" | jq -c .diff)" \
		'[{"path":"label","old":"","new":"first"}]' "a field-level diff"
	equal "$(head -1 <<<"$out" | jq -c .diff)" \
		'[{"path":"n","old":0,"new":1},{"path":"adds","old":0,"new":1}]' \
		"the first diff is against the initial state"

	# Without --types: the events, and why there is no more.
	run "$H" history "$db" counter/a
	rc_is 0
	equal "$(lines)" 6 "history without --types"
	out_lacks " -> "
	err_has "what changed needs the code of agent type 'counter': pass --types LIB.so"
	run "$H" history "$db" counter/a --types "$EMPTY"
	rc_is 2
	err_has "does not export hindsight_register_types()"
}

section_verify() {
	run "$H" verify "$db" --types "$PLUGIN"
	rc_is 0
	err_empty
	out_has "ok: 15 records of 5 agents replayed with $PLUGIN: every rebuilt state matches its record"

	run "$H" verify "$db" --types "$CHANGED"
	rc_is 1
	out_has 'divergence: counter/b #1 (gseq 4, 2026-11-22T10:00:03.000000000Z)  add {"by":5}'
	out_has "today's apply() makes another state"
	out_has 'state before:   {"n":0,"adds":0,"label":""}'
	out_has 'rebuilt state:  {"n":6,"adds":1,"label":""}'
	out_has '    n: 0 -> 6'
	out_has 'also diverges: counter/a #4 (gseq 8'
	out_has "2 agents diverge"
	# the first divergence comes first
	equal "$(head -1 <<<"$out" | cut -c1-22)" "divergence: counter/b " "first divergence"

	run "$H" verify "$db" --types "$CHANGED" --agent ship/Gloria
	rc_is 0
	out_has "ok: 4 records of 1 agent replayed"
	run "$H" verify "$db" --types "$CHANGED" --type audit
	rc_is 0
	run "$H" verify "$db" --types "$CHANGED" --type counter --json
	rc_is 1
	equal "$(lines)" 3 "verify --json lines"
	equal "$(head -1 <<<"$out" | jq -c '[.kind, .record.type, .record.id, .record.seq, .rebuilt.n, .diff]')" \
		'["state","counter","b",1,6,[{"path":"n","old":0,"new":6},{"path":"adds","old":0,"new":1}]]' \
		"verify --json divergence"
	equal "$(tail -1 <<<"$out" | jq -c .summary.divergences)" 2 "verify --json summary"
	# a snapshot at the diverging seq shows the recorded state
	run "$H" verify "$db" --types "$CHANGED" --agent counter/a --from 8 --to 8
	rc_is 1
	out_has "divergence: counter/a #4 (gseq 8"
	run "$H" verify "$db" --types "$CHANGED" --agent counter/a --to 7
	rc_is 0
}

section_export() {
	run "$H" export "$db"
	rc_is 0
	err_empty
	printf '%s\n' "$out" >"$work/e1.jsonl"
	run "$H" log "$db" --json
	equal "$out" "$(cat "$work/e1.jsonl")" "export is log --json"

	run "$H" import "$work/new" <"$work/e1.jsonl"
	rc_is 0
	err_has "15 records into $work/new"
	"$H" export "$work/new" >"$work/e2.jsonl"
	cmp -s "$work/e1.jsonl" "$work/e2.jsonl" ||
		fail "export, import, export is not byte-identical"
	checks=$((checks + 1))
	run "$H" check "$work/new"
	rc_is 0
	out_has "15 records of 5 agents, 0 snapshots"
	run "$H" verify "$work/new" --types "$PLUGIN"
	rc_is 0
	run "$H" state "$work/new" counter/a --types "$PLUGIN" --json
	equal "$(jq -c .state <<<"$out")" '{"n":23,"adds":5,"label":"first"}' \
		"state from the imported log"
	# from a file argument, into an empty directory
	mkdir "$work/emptydir"
	run "$H" import "$work/emptydir" "$work/e1.jsonl"
	rc_is 0
	"$H" export "$work/emptydir" | cmp -s - "$work/e1.jsonl" ||
		fail "import into an empty directory"
	checks=$((checks + 1))

	# into an existing empty log, in place
	"$MK" append "$work/emptylog" 0 0 >/dev/null || fail "make_log append 0"
	run "$H" import "$work/emptylog" "$work/e1.jsonl"
	rc_is 0
	"$H" export "$work/emptylog" | cmp -s - "$work/e1.jsonl" ||
		fail "import into an empty log"
	checks=$((checks + 1))

	# Refused targets: nothing changes.
	run "$H" import "$db" <"$work/e1.jsonl"
	rc_is 2
	err_has "already holds a log with 15 records"
	mkdir "$work/full" && echo x >"$work/full/x"
	run "$H" import "$work/full" <"$work/e1.jsonl"
	rc_is 2
	err_has "is not empty and not a hindsight log"
	run "$H" import "$work/full/x" <"$work/e1.jsonl"
	rc_is 2
	err_has "exists and is not a directory"

	# Refused input: named by line (and column), nothing left behind.
	bad() { # bad NAME MESSAGE  (input on stdin)
		run "$H" import "$work/bad-$1"
		rc_is 2
		err_has "$2"
		[ ! -e "$work/bad-$1" ] || fail "import $1 left $work/bad-$1"
		checks=$((checks + 1))
	}
	{ head -2 "$work/e1.jsonl"; echo '{"gseq":3,'; } |
		bad json "<stdin>:3:11: malformed JSON: expected a string key"
	{ head -1 "$work/e1.jsonl"; sed -n 3p "$work/e1.jsonl"; } |
		bad gap "<stdin>:2: gseq 3 where 2 was expected"
	sed 's/"seq":2,/"seq":3,/' "$work/e1.jsonl" |
		bad seq "<stdin>:2: counter/a seq 3 where 2 was expected"
	sed '1s/"state_hash":"[0-9a-f]*"/"state_hash":"xyz"/' "$work/e1.jsonl" |
		bad hash "<stdin>:1: record: \"state_hash\" must be a string of 16 hex digits"
	sed '1s/"event":"add",/"event":"add","extra":1,/' "$work/e1.jsonl" |
		bad key "<stdin>:1: record: unknown key \"extra\""
	sed '1s/,"id":"a"//' "$work/e1.jsonl" |
		bad missing "<stdin>:1: record: key \"id\" is missing"
	sed '1s/"time":"2026-11-22T10:00:00/"time":"2026-11-22T10:00:01/' "$work/e1.jsonl" |
		bad time "<stdin>:1: record: \"time\" and \"time_ns\" disagree"
	sed '3s/"gseq":2}/"gseq":1}/' "$work/e1.jsonl" |
		bad cause "names a cause at gseq 1 that is not there"
	{ head -1 "$work/e1.jsonl"; echo; } |
		bad empty "<stdin>:2: empty line"
	printf '[1,2]\n' | bad array "<stdin>:1: a record is a JSON object"
	run "$H" import "$work/x" "$work/no-such-file"
	rc_is 2
	err_has "$work/no-such-file: No such file"
	[ -z "$(ls "$work" | grep import-)" ] || fail "temporary directories left"
	checks=$((checks + 1))

	# A record may give only "time"; an empty input makes an empty log.
	head -1 "$work/e1.jsonl" | sed 's/"time_ns":[0-9]*,//' >"$work/t.jsonl"
	run "$H" import "$work/timeonly" "$work/t.jsonl"
	rc_is 0
	equal "$("$H" export "$work/timeonly")" "$(head -1 "$work/e1.jsonl")" \
		"import with time only"
	run "$H" import "$work/none" </dev/null
	rc_is 0
	run "$H" stats "$work/none" --json
	equal "$(jq .events <<<"$out")" 0 "import of nothing"

	# filters work on export as on log
	run "$H" export "$db" --agent ship/Gloria
	equal "$(lines)" 4 "export --agent"

	# --snapshots: after each record with a snapshot, a line with the
	# state's exact msgpack bytes in base64.
	run "$H" export "$db" --snapshots
	rc_is 0
	err_empty
	printf '%s\n' "$out" >"$work/s1.jsonl"
	equal "$(grep -c '^{"snapshot":' "$work/s1.jsonl")" 4 \
		"export --snapshots: 4 snapshot lines"
	equal "$(grep -v '^{"snapshot":' "$work/s1.jsonl")" \
		"$(cat "$work/e1.jsonl")" "export --snapshots: the same records"
	equal "$(sed -n 8p "$work/s1.jsonl" | jq -c '[.type, .id, .seq]')" \
		'["counter","a",3]' "the record before counter/a's first snapshot"
	equal "$(sed -n 9p "$work/s1.jsonl" | jq -c '.snapshot | [.type, .id, .seq]')" \
		'["counter","a",3]' "counter/a's first snapshot line"
	# {"n":3,"adds":2,"label":"first"} as the program encoded it
	equal "$(sed -n 9p "$work/s1.jsonl" | jq -r .snapshot.state |
		base64 -d | od -An -tx1 | tr -d ' \n')" \
		83a16e03a46164647302a56c6162656ca56669727374 \
		"a snapshot's state is its msgpack bytes"
	run "$H" import "$work/snap" <"$work/s1.jsonl"
	rc_is 0
	err_has "15 records and 4 snapshots into $work/snap"
	"$H" export "$work/snap" --snapshots | cmp -s - "$work/s1.jsonl" ||
		fail "export --snapshots, import, export --snapshots is not byte-identical"
	"$H" export "$work/snap" | cmp -s - "$work/e1.jsonl" ||
		fail "export of a log imported with snapshots"
	checks=$((checks + 2))
	run "$H" stats "$work/snap" --json
	equal "$(jq .snapshots <<<"$out")" 4 "stats: the imported snapshots"
	run "$H" check "$work/snap"
	rc_is 0
	out_has "15 records of 5 agents, 4 snapshots"
	run "$H" state "$db" counter/a
	want=$out
	run "$H" state "$work/snap" counter/a
	rc_is 0
	out_has "from the snapshot at that seq"
	equal "$out" "$want" "state without --types on the imported log"
	run "$H" state "$work/snap" ship/Gloria --seq 2 --json
	rc_is 0
	equal "$(jq -r .source <<<"$out")" snapshot "state --seq 2 from a snapshot"
	# a whole log only, as import takes
	run "$H" export "$db" --snapshots --agent ship/Gloria
	rc_is 2
	err_has "--snapshots exports a whole log"
	run "$H" export "$db" --snapshots --limit 3
	rc_is 2
	err_has "it does not go with filters"
	run "$H" log "$db" --snapshots
	rc_is 2
	err_has "unknown option --snapshots"
	# a snapshot that does not hash to its record's state hash
	"$MK" corrupt "$work/c-snap" snapshot || fail "make_log corrupt snapshot"
	run "$H" export "$work/c-snap" --snapshots
	rc_is 2
	err_has "snapshots key counter/a/3: its hash"

	# Refused snapshot lines: named by line, nothing left behind.
	st3='"state":"g6FuA6RhZGRzAqVsYWJlbKVmaXJzdA=="'
	sed "9s/$st3/\"state\":\"g6FuBKRhZGRzAqVsYWJlbKVmaXJzdA==\"/" "$work/s1.jsonl" |
		bad snap-hash "<stdin>:9: snapshot of counter/a seq 3: its FNV-1a 64 2399d12d1beef345 is not the state_hash 407ac73e56b28c70 of its record (gseq 7)"
	sed "9s/$st3/\"state\":\"g6Fu*6RhZGRzAqVsYWJlbKVmaXJzdA==\"/" "$work/s1.jsonl" |
		bad snap-base64 "<stdin>:9: snapshot of counter/a seq 3: \"state\" is not base64"
	sed "9s/$st3/\"state\":\"g6FuA6RhZGRzAqVsYWJlbKVmaXJzdA=\"/" "$work/s1.jsonl" |
		bad snap-padding "<stdin>:9: snapshot of counter/a seq 3: \"state\" is not base64"
	sed "9s/$st3/\"state\":\"wQ==\"/" "$work/s1.jsonl" |
		bad snap-msgpack "<stdin>:9: snapshot of counter/a seq 3: \"state\" is not one msgpack value"
	sed "9s/$st3/\"state\":\"g6FuAw==\"/" "$work/s1.jsonl" |
		bad snap-truncated "<stdin>:9: snapshot of counter/a seq 3: \"state\" is not one msgpack value"
	sed "9s/$st3/\"state\":\"g6FuA6RhZGRzAqVsYWJlbKVmaXJzdMA=\"/" "$work/s1.jsonl" |
		bad snap-trailing "<stdin>:9: snapshot of counter/a seq 3: \"state\" is not one msgpack value"
	{ sed -n 1,6p "$work/s1.jsonl"; sed -n 9p "$work/s1.jsonl"
	  sed -n 7,8p "$work/s1.jsonl"; sed -n '10,$p' "$work/s1.jsonl"; } |
		bad snap-before "<stdin>:7: snapshot of counter/a seq 3: no record of counter/a seq 3 precedes it"
	{ cat "$work/s1.jsonl"
	  echo '{"snapshot":{"type":"counter","id":"a","seq":9,"state":"kA=="}}'; } |
		bad snap-norecord "<stdin>:20: snapshot of counter/a seq 9: no record of counter/a seq 9 precedes it"
	{ echo '{"snapshot":{"type":"nobody","id":"x","seq":1,"state":"kA=="}}'
	  cat "$work/s1.jsonl"; } |
		bad snap-first "<stdin>:1: snapshot of nobody/x seq 1: no record of nobody/x seq 1 precedes it"
	{ sed -n 1,10p "$work/s1.jsonl"; sed -n 9p "$work/s1.jsonl"
	  sed -n '11,$p' "$work/s1.jsonl"; } |
		bad snap-later "<stdin>:11: snapshot of counter/a seq 3: the line before is not its record"
	{ sed -n 1,9p "$work/s1.jsonl"; sed -n '9,$p' "$work/s1.jsonl"; } |
		bad snap-twice "<stdin>:10: snapshot of counter/a seq 3: the line before is not its record"
	sed '9s/"seq":3,/"seq":3,"gseq":7,/' "$work/s1.jsonl" |
		bad snap-key "<stdin>:9: snapshot: unknown key \"gseq\""
	sed '9s/}}$/},"x":1}/' "$work/s1.jsonl" |
		bad snap-wrap "<stdin>:9: snapshot line: unknown key \"x\""
	sed "9s/,$st3//" "$work/s1.jsonl" |
		bad snap-nostate "<stdin>:9: snapshot: key \"state\" is missing"
	[ -z "$(ls "$work" | grep import-)" ] || fail "temporary directories left"
	checks=$((checks + 1))
}

section_tail() {
	run "$H" tail "$db" -n 3
	rc_is 0
	equal "$(awk '{print $2}' <<<"$out" | tr '\n' ' ')" "13 14 15 " "tail -n 3"
	run "$H" tail "$db"
	equal "$(lines)" 10 "tail: 10 by default"
	run "$H" tail "$db" -n 0
	equal "$out" "" "tail -n 0"
	run "$H" tail "$db" -n 100 --json
	equal "$(lines)" 15 "tail -n 100 --json"
	jq -e . <<<"$out" >/dev/null || fail "tail --json"

	# -f follows a log that a program is writing, and stops cleanly.
	"$H" tail "$db" -n 2 -f --interval 50 >"$work/tail.out" 2>"$work/tail.err" &
	local tp=$!
	for _ in $(seq 600); do
		[ "$(wc -l <"$work/tail.out")" -ge 2 ] && break
		sleep 0.05
	done
	"$MK" append "$db" 12 100 >"$work/append.out" &
	local mk=$!
	wait $mk || fail "make_log append failed while tail -f followed"
	for _ in $(seq 600); do
		grep -q 'counter/tail #12 ' "$work/tail.out" && break
		sleep 0.05
	done
	stop_with 2 $tp
	last="tail -f (SIGINT)"
	err=$(cat "$work/tail.err")
	rc_is 0
	out=$(cat "$work/tail.out")
	equal "$(awk '{print $2}' <<<"$out" | tr '\n' ' ')" \
		"14 15 16 17 18 19 20 21 22 23 24 25 26 27 " "tail -f: each record once, in order"
	out_has 'counter/tail #12  add {"by":1}'

	# SIGTERM stops it too; -n 0 prints only what comes.
	"$H" tail "$db" -n 0 -f >"$work/tail2.out" 2>&1 &
	tp=$!
	stop_with 15 $tp
	last="tail -f (SIGTERM)"
	rc_is 0
	equal "$(cat "$work/tail2.out")" "" "tail -n 0 -f of a quiet log"
}

section_archive() {
	local a1=$work/a1.jsonl ag
	run "$H" export "$db" --snapshots
	local whole=$out
	declare -A final
	for ag in counter/a counter/b counter/c audit/log ship/Gloria; do
		run "$H" state "$db" "$ag" --types "$PLUGIN" --json
		final[$ag]=$(jq -c .state <<<"$out")
	done
	run "$H" state "$db" counter/a --seq 3 --types "$PLUGIN" --json
	local a3=$out

	# Refusals change nothing.
	run "$H" archive "$db" --before 9 --to "$a1"
	rc_is 2
	err_has "archive needs --types LIB.so"
	run "$H" archive "$db" --before 9 --types "$PLUGIN"
	rc_is 2
	err_has "give --to FILE (where the records go) or --discard"
	run "$H" archive "$db" --before 9 --to "$a1" --discard --types "$PLUGIN"
	rc_is 2
	run "$H" archive "$db" --to "$a1" --types "$PLUGIN"
	rc_is 2
	err_has "give --before GSEQ or --before-time TIME"
	run "$H" archive "$db" --before 9 --before-time 2026-11-22T10:00:08Z --to "$a1" --types "$PLUGIN"
	rc_is 2
	err_has "give --before GSEQ or --before-time TIME"
	run "$H" archive "$db" --before-time yesterday --to "$a1" --types "$PLUGIN"
	rc_is 2
	err_has "--before-time:"
	run "$H" archive "$db" --before x9 --to "$a1" --types "$PLUGIN"
	rc_is 2
	err_has "--before takes a gseq (an integer >= 1), not 'x9'"
	for g in 1 17; do
		run "$H" archive "$db" --before $g --to "$a1" --types "$PLUGIN"
		rc_is 2
		err_has "the log holds gseqs 1 to 15, so a cut lies after 1 and at most at 16"
	done
	run "$H" archive "$db" --before 9 --to "$a1" --types "$CHANGED"
	rc_is 2
	err_has "is not the recorded"
	err_has "hindsight verify"
	[ ! -e "$a1" ] || fail "a refused cut left its archive behind"
	run "$H" archive "$db" --before 9 --to "$a1" --types "$METER"
	rc_is 2
	err_has "its type 'audit' is not registered: its base state needs the type's code"
	# A program holds the log.
	local mk
	start_writer "$db" 1 3000
	run "$H" archive "$db" --before 9 --to "$a1" --types "$PLUGIN"
	rc_is 2
	err_has "a program has the log open for writing: stop it first"
	wait $mk
	run "$H" export "$db" --snapshots
	equal "$(head -c ${#whole} <<<"$out")" "$whole" "refused cuts changed nothing"
	run "$H" state "$db" counter/tail --types "$PLUGIN" --json
	local tail_state=$(jq -c .state <<<"$out")
	final[counter/tail]=$tail_state
	run "$H" export "$db" --snapshots
	whole=$out

	# The cut, at the first record at or after a time (gseq 9).
	run "$H" log "$db" --json --from 9 --to 9
	local t9=$(jq -r .time <<<"$out")
	run "$H" archive "$db" --before-time "$t9" --to "$a1" --types "$PLUGIN"
	rc_is 0
	err_empty
	out_has "$db: cut before gseq 9: 8 records (gseq 1-8) archived; 4 agents keep their state there as a base"
	out_has "$a1: 8 records and 2 snapshots"
	equal "$(grep -c '"gseq"' "$a1")" 8 "archive: its records"
	run "$H" check "$db"
	rc_is 0
	out_has "ok: cut after gseq 8 (archived): 4 agents start from a base whose snapshot matches it"
	run "$H" stats "$db" --json
	equal "$(jq -c '[.events, .first_gseq, .last_gseq, .base_gseq, .format]' <<<"$out")" \
		"[8,9,16,8,4]" "stats after the cut"
	run "$H" stats "$db"
	out_has "cut        after gseq 8 (gseqs 1 to 8 archived)"
	# Queries at and after the cut answer as before; earlier ones say why not.
	for ag in "${!final[@]}"; do
		run "$H" state "$db" "$ag" --types "$PLUGIN" --json
		rc_is 0
		equal "$(jq -c .state <<<"$out")" "${final[$ag]}" "state of $ag after the cut"
	done
	run "$H" state "$db" counter/a --gseq 8 --types "$PLUGIN" --json
	rc_is 0
	equal "$(jq -c '[.seq, .state.n]' <<<"$out")" "[4,10]" "state at the cut"
	run "$H" state "$db" counter/a --seq 3 --types "$PLUGIN"
	rc_is 2
	err_has "is archived: the log holds this agent from seq 4 (the cut after gseq 8)"
	run "$H" state "$db" counter/a --at 2026-11-22T10:00:05Z --types "$PLUGIN"
	rc_is 2
	err_has "archived"
	run "$H" system "$db" --gseq 7 --types "$PLUGIN"
	rc_is 2
	err_has "the system at gseq 7 is archived"
	run "$H" history "$db" counter/a --types "$PLUGIN" --json
	rc_is 0
	equal "$(jq -c '[.seq, .state.n]' <<<"$out" | tr -d '\n')" "[5,13][6,23]" \
		"history after the cut"
	run "$H" verify "$db" --types "$PLUGIN"
	rc_is 0
	run "$H" whatif "$db" --types "$PLUGIN" --edits /dev/null
	rc_is 2
	err_has "history up to gseq 8 is archived"

	# check finds a base whose snapshot is not the state it hashes.
	cp -r "$db" "$work/badbase"
	"$MK" corrupt "$work/badbase" base || fail "make_log corrupt base"
	run "$H" check "$work/badbase"
	rc_is 1
	out_has "snapshots key counter/a/4: its hash"
	out_has "is not the state hash"
	out_has "its base entry records"

	# The archive answers what the log no longer does.
	run "$H" import "$work/old" "$a1"
	rc_is 0
	run "$H" state "$work/old" counter/a --seq 3 --types "$PLUGIN" --json
	equal "$out" "$a3" "the archive imported: a state before the cut"
	# The archive and the rest make the whole log again.
	run "$H" export "$db" --snapshots
	cat "$a1" - <<<"$out" >"$work/both.jsonl"
	run "$H" import "$work/full" "$work/both.jsonl"
	rc_is 0
	run "$H" export "$work/full" --snapshots
	equal "$out" "$whole" "archive + the rest: the whole log"

	# An archive is never overwritten; a second cut discards.
	run "$H" archive "$db" --before 12 --to "$a1" --types "$PLUGIN"
	rc_is 2
	err_has "an archive is never overwritten"
	run "$H" archive "$db" --before 9 --discard --types "$PLUGIN"
	rc_is 2
	err_has "the log holds gseqs 9 to 16"
	run "$H" archive "$db" --before 17 --discard --types "$PLUGIN"
	rc_is 0
	out_has "8 records (gseq 9-16) discarded; 6 agents keep their state there as a base"
	run "$H" check "$db"
	rc_is 0
	# A writer goes on from the end.
	"$MK" append "$db" 2 0 >/dev/null || fail "make_log append after a cut"
	run "$H" log "$db" --json
	equal "$(jq -c '[.gseq, .seq]' <<<"$out" | tr -d '\n')" "[17,2][18,3]" \
		"a writer after the cut: gseqs and seqs go on"
	run "$H" check "$db"
	rc_is 0
	for ag in counter/a counter/b counter/c audit/log ship/Gloria; do
		run "$H" state "$db" "$ag" --types "$PLUGIN" --json
		equal "$(jq -c .state <<<"$out")" "${final[$ag]}" "state of $ag after two cuts"
	done
}

tmux_sock=
section_replay() {
	# Without a terminal: every step.
	run "$H" replay "$db" counter/a --types "$PLUGIN"
	rc_is 0
	equal "$(grep -c '^== step ' <<<"$out")" 6 "replay steps without a tty"
	out_has '== step 3 of 6: gseq 7  2026-11-22T10:00:06.000000000Z  counter/a #3  label {"label":"first"}'
	out_has 'before: {"n":3,"adds":2,"label":""}'
	out_has 'after:  {"n":3,"adds":2,"label":"first"}'
	out_has '  label: "" -> "first"'
	# What a step's handler sends, run again.
	out_has 'effects:'
	out_has '  => send audit/log saw {"from":"a","n":3}'
	equal "$(grep -c '^  => send audit/log saw' <<<"$out")" 2 "replay effects"
	run "$H" replay "$db" counter/a --types "$PLUGIN" --seq 5
	equal "$(grep -c '^== step ' <<<"$out")" 2 "replay --seq 5"
	run "$H" replay "$db" counter/a
	rc_is 2
	err_has "replay needs --types LIB.so"
	run "$H" replay "$db" counter/a --types "$PLUGIN" --seq 9
	rc_is 2
	err_has "counter/a has 6 transitions"

	# On a terminal, as a person uses it: tmux.
	if ! command -v tmux >/dev/null; then
		fail "tmux is not installed"
		return
	fi
	tmux_sock=hs-cli-$$-$RANDOM
	local T=(tmux -L "$tmux_sock" -f /dev/null)
	"${T[@]}" new-session -d -s hs -x 120 -y 40 \
		"'$H' replay '$db' ship/Gloria --types '$PLUGIN'; echo \$? >'$work/replay.rc'" ||
		{ fail "tmux new-session"; return; }
	screen() { "${T[@]}" capture-pane -p -t hs 2>/dev/null; }
	shows() { # shows TEXT WHAT: waits up to 5 s for TEXT on the screen
		checks=$((checks + 1))
		for _ in $(seq 100); do
			screen | grep -qF -- "$1" && return 0
			sleep 0.05
		done
		fail "replay screen ($2) never showed '$1'; it shows:"$'\n'"$(screen)"
	}
	keys() { "${T[@]}" send-keys -t hs "$@"; }
	shows "step 1 of 4" "start"
	shows 'event depart {"port":"Malmo"}' "start"
	shows '-- state before (initial)' "start"
	shows '"port": "nowhere",' "start"
	shows 'port: "nowhere" -> "Malmo"' "start"
	shows 'n/space/-> next' "key help"
	keys n
	shows "step 2 of 4" "n"
	shows 'pos.lat: 0 -> 55.6' "n"
	shows '"lat": 55.6,' "n"
	keys Space
	shows "step 3 of 4" "space"
	keys Right
	shows "step 4 of 4" "right arrow"
	keys n
	shows "this is the last transition" "n at the end"
	keys p
	shows "step 3 of 4" "p"
	keys Left
	shows "step 2 of 4" "left arrow"
	keys g 4
	shows "go to seq: 4_" "g prompt"
	keys Enter
	shows "step 4 of 4" "g 4"
	shows 'moves: 1 -> 2' "g 4"
	keys g 9 Enter
	shows "no seq '9': the transitions are 1 to 4" "g 9"
	keys t 2026-11-22T10:00:06Z Enter
	shows "step 2 of 4" "t time"
	shows "seq 2  gseq 6  2026-11-22T10:00:05.000000000Z" "t time"
	keys t nonsense Enter
	shows "malformed time 'nonsense'" "t nonsense"
	keys g 3 Escape
	sleep 0.2
	shows "step 2 of 4" "Esc cancels"
	keys End
	shows "step 4 of 4" "End"
	keys Home
	shows "step 1 of 4" "Home"
	keys q
	for _ in $(seq 100); do
		[ -s "$work/replay.rc" ] && break
		sleep 0.05
	done
	equal "$(cat "$work/replay.rc" 2>/dev/null)" 0 "replay's exit code after q"
	"${T[@]}" kill-server 2>/dev/null
	tmux_sock=
}

section_progress() {
	# Work of more than a second shows progress on a terminal (tmux),
	# and nothing when stderr is not one.
	"$MK" many "$work/big" 300000 || { fail "make_log many"; return; }
	run "$H" check "$work/big"
	rc_is 0
	err_empty
	tmux_sock=hs-cli-$$-$RANDOM
	local T=(tmux -L "$tmux_sock" -f /dev/null)
	"${T[@]}" new-session -d -s hs -x 120 -y 10 \
		"'$H' check '$work/big' >'$work/check.out'; echo \$? >'$work/check.rc'; sleep 30" ||
		{ fail "tmux new-session"; return; }
	local seen=
	for _ in $(seq 300); do
		if "${T[@]}" capture-pane -p -t hs | grep -Eq '(events|index and snapshots): [0-9,]+.*/s'; then
			seen=yes
			break
		fi
		[ -s "$work/check.rc" ] && break
		sleep 0.05
	done
	checks=$((checks + 1))
	[ -n "$seen" ] || fail "no progress on the terminal during a long check"
	for _ in $(seq 2400); do
		[ -s "$work/check.rc" ] && break
		sleep 0.05
	done
	equal "$(cat "$work/check.rc")" 0 "check under tmux"
	# the progress line is gone when the work is done
	sleep 0.2
	checks=$((checks + 1))
	! "${T[@]}" capture-pane -p -t hs | grep -q '/s' ||
		fail "the progress line stays after the work"
	grep -q "^ok: $work/big: 300000 records" "$work/check.out" ||
		fail "check's result under tmux"
	"${T[@]}" kill-server 2>/dev/null
	tmux_sock=
}

section_machine() {
	local defs
	defs=$(cd "$(dirname "$0")/../../demos/orders" && pwd)
	run "$H" machine "$defs/order.json"
	rc_is 0
	out_has "machine order version 1: 9 states, start at create"
	out_has "released         always ship           -> invoke shipment: success -> ship-finished, error -> canceled"
	run "$H" machine "$defs/shipment.json" --dot
	rc_is 0
	out_has 'digraph "shipment v1" {'
	out_has '"failed" -> "outstanding" [label="retry [attempts_left] wait 300s (always)", style=dashed];'
	out_has '"gave-up" [peripheries=2, color=red];'
	# rejected: the state and field named, exit 2
	sed 's/"state": "shipped"}/"state": "shiped"}/' "$defs/order.json" \
		>"$work/bad.json"
	run "$H" machine "$work/bad.json"
	rc_is 2
	checks=$((checks + 1))
	grep -qF "state 'ship-finished': always[0].state: unknown state 'shiped'" \
		<<<"$err" || fail "machine: error does not name the field: $err"
	run "$H" machine "$work/none.json"
	rc_is 2
	# an execution's path needs the machines (demo_orders runs it)
	run "$H" machine "$work" order/o1
	rc_is 2
	checks=$((checks + 1))
	grep -qF "needs --types LIB.so" <<<"$err" ||
		fail "machine DB TYPE/ID without --types: $err"
}

# Read-only opens while a writer opens, writes and closes the log, over
# and over (each close flushes the column families one by one, and
# compactions delete files): every check sees a whole log.
section_beside_writer() {
	(for _ in $(seq 40); do "$MK" append "$db" 3 0 >/dev/null || exit 1; done
	 touch "$work/writer.done") &
	local writer=$! n=0
	while [ ! -e "$work/writer.done" ] && [ $n -lt 2000 ]; do
		run "$H" check "$db"
		rc_is 0
		n=$((n + 1))
	done
	wait $writer
	equal "$?" 0 "the writer ran"
	run "$H" check "$db"
	rc_is 0
	out_has "ok: $db"
}

section_backup() {
	local bk=$work/bk
	run "$H" backup "$db" "$bk"
	rc_is 0
	err_empty
	out_has "ok: $db -> $bk: 15 records (gseq 1 to 15)"
	run "$H" check "$bk"
	rc_is 0
	run "$H" log "$db" --json
	local orig=$out
	run "$H" log "$bk" --json
	equal "$out" "$orig" "backup: the same records"
	run "$H" stats "$bk" --json
	equal "$(jq -c '[.events, .agents, .snapshots]' <<<"$out")" "[15,5,4]" \
		"backup: stats (snapshots kept)"
	# The SST files are hard links to the log's.
	checks=$((checks + 1))
	[ "$(find "$bk" -name '*.sst' -links +1 | wc -l)" -gt 0 ] ||
		fail "backup: no SST file is a hard link"
	# The same states through the runtime.
	local ag
	for ag in counter/a counter/b counter/c audit/log ship/Gloria; do
		run "$H" state "$db" "$ag" --types "$PLUGIN" --json
		local want=$out
		run "$H" state "$bk" "$ag" --types "$PLUGIN" --json
		rc_is 0
		equal "$out" "$want" "backup: state of $ag"
	done

	# Refusals: DEST exists (a file, a log, an empty directory), its
	# parent does not, DB is not a log, arguments missing.
	run "$H" backup "$db" "$bk"
	rc_is 2
	err_has "$bk already exists: a backup goes to a new path"
	mkdir "$work/emptydir"
	run "$H" backup "$db" "$work/emptydir"
	rc_is 2
	err_has "already exists"
	[ -z "$(ls -A "$work/emptydir")" ] || fail "backup wrote into an existing directory"
	run "$H" backup "$db" "$work/no/such/dir"
	rc_is 2
	err_has "$work/no/such is not a directory"
	mkdir "$work/notlog"
	echo hello >"$work/notlog/file.txt"
	run "$H" backup "$work/notlog" "$work/bk2"
	rc_is 2
	err_has "not a hindsight log"
	[ ! -e "$work/bk2" ] || fail "backup of a non-log made $work/bk2"
	run "$H" backup "$work/nothing" "$work/bk2"
	rc_is 2
	err_has "no such log"
	run "$H" backup "$db"
	rc_is 2
	err_has "missing DEST"
	mkdir "$work/bk3.tmp"
	run "$H" backup "$db" "$work/bk3"
	rc_is 2
	err_has "$work/bk3.tmp exists"

	# A backup taken while a program writes: it checks clean, holds a
	# gseq prefix of the log, and the writer goes on undisturbed.
	local w=$work/w bw=$work/bw
	cp -r "$db" "$w"
	local mk
	start_writer "$w" 400 10
	for _ in $(seq 200); do # until it has written some
		[ "$("$H" stats "$w" --json | jq .events)" -gt 40 ] && break
		sleep 0.05
	done
	run "$H" backup "$w" "$bw"
	rc_is 0
	local n
	n=$(sed -n 's/.*: \([0-9]*\) records (gseq 1 to .*/\1/p' <<<"$out")
	grep -q done "$work/append.out" &&
		fail "the writer was done before the backup: it tests nothing"
	wait $mk || fail "make_log append failed while backup copied its log"
	checks=$((checks + 1))
	[ -n "$n" ] && [ "$n" -gt 40 ] && [ "$n" -lt 415 ] ||
		fail "backup during writes: $n records, want 41..414"
	run "$H" check "$bw"
	rc_is 0
	out_has "ok: $bw: $n records"
	run "$H" log "$w" --json --to "$n"
	local prefix=$out
	run "$H" log "$bw" --json
	equal "$out" "$prefix" "backup during writes: a gseq prefix of the log"
	run "$H" stats "$w" --json
	equal "$(jq .events <<<"$out")" 415 "the writer's log after the backup"
	run "$H" state "$w" counter/tail --gseq "$n" --types "$PLUGIN" --json
	local want=$out
	run "$H" state "$bw" counter/tail --types "$PLUGIN" --json
	equal "$out" "$want" "backup during writes: the state at its end"

	# Restore: a program opens the copy and writes on.
	"$MK" append "$bw" 5 0 >/dev/null || fail "a writer on the restored copy"
	run "$H" check "$bw"
	rc_is 0
	out_has "ok: $bw: $((n + 5)) records"
}

# system_facts POINT...: what `state` says of each agent at the point, as
# system --json would print it (agents without a transition by then left
# out), in (type, id) order.
system_facts() {
	local ag
	for ag in audit/log counter/a counter/b counter/c ship/Gloria; do
		"$H" state "$db" "$ag" "$@" --types "$PLUGIN" --json 2>/dev/null |
			jq -c 'del(.source)'
	done
}

section_system() {
	local g p
	equal "$(system_facts --gseq 15 | jq -r .id | tr '\n' ' ')" \
		"log a b c Gloria " "the facts system is held to"
	for g in 1 3 5 9 12 15; do
		run "$H" system "$db" --gseq "$g" --types "$PLUGIN" --json
		rc_is 0
		err_empty
		equal "$(jq -c . <<<"$out")" "$(system_facts --gseq "$g")" \
			"system --gseq $g against state --gseq $g"
	done
	for p in 2026-11-22T10:00:00Z 2026-11-22T10:00:05.5Z \
		2026-11-22T12:00:09+02:00 1795341613000000000; do
		run "$H" system "$db" --at "$p" --types "$PLUGIN" --json
		rc_is 0
		equal "$(jq -c . <<<"$out")" "$(system_facts --at "$p")" \
			"system --at $p against state --at $p"
	done
	# The cut at gseq 9, as text.
	run "$H" system "$db" --gseq 9 --types "$PLUGIN"
	rc_is 0
	equal "$(lines)" 4 "system --gseq 9: the agents by then"
	equal "$(head -1 <<<"$out")" \
		'audit/log #2 (gseq 9, 2026-11-22T10:00:09.000000000Z) {"count":2,"total":13,"last":"a"}' \
		"system as text"
	out_has 'counter/a #4 (gseq 8, 2026-11-22T10:00:08.000000000Z) {"n":10,"adds":3,"label":"first"}'
	out_lacks "counter/c"
	run "$H" system "$db" --gseq 9 --type counter --types "$PLUGIN" --json
	equal "$(jq -r '.type + "/" + .id' <<<"$out" | tr '\n' ' ')" \
		"counter/a counter/b " "system --type counter"
	run "$H" system "$db" --gseq 3 --type ship --types "$PLUGIN"
	rc_is 0
	equal "$out" "" "system: no ship yet at gseq 3"
	err_has "no agent of type ship had a transition by then"
	# The changed code rebuilds other states (counter/b's add 5).
	run "$H" system "$db" --gseq 4 --type counter --types "$CHANGED" --json
	equal "$(jq -c '[.id, .state.n]' <<<"$out" | tr '\n' ' ')" \
		'["a",3] ["b",6] ' "system through the changed code"

	# Errors.
	run "$H" system "$db" --gseq 9
	rc_is 2
	err_has "system needs --types LIB.so"
	run "$H" system "$db" --types "$PLUGIN"
	rc_is 2
	err_has "give the point: --at TIME or --gseq N"
	run "$H" system "$db" --gseq 3 --at 1795341613000000000 --types "$PLUGIN"
	rc_is 2
	err_has "give one point"
	run "$H" system "$db" --gseq 0 --types "$PLUGIN"
	rc_is 2
	err_has "--gseq: '0' is not an integer >= 1"
	run "$H" system "$db" --gseq 16 --types "$PLUGIN"
	rc_is 2
	err_has "gseq 16 is after the end of the log (15)"
	run "$H" system "$db" --at 2200-01-01T00:00:00Z --types "$PLUGIN"
	rc_is 2
	err_has "in the future"
	run "$H" system "$db" --at nope --types "$PLUGIN"
	rc_is 2
	err_has "malformed time for --at: 'nope'"
	run "$H" system "$work/nothing" --gseq 1 --types "$PLUGIN"
	rc_is 2
	err_has "no such log"
	run "$H" system "$db" --gseq 1 --types "$EMPTY"
	rc_is 2
	err_has "does not export hindsight_register_types()"
}

# whatif_run EDIT_LINE...: the edits into $work/e.jsonl, then whatif --json.
whatif_run() {
	printf '%s\n' "$@" >"$work/e.jsonl"
	run "$H" whatif "$db" --edits "$work/e.jsonl" --types "$PLUGIN" --json
}

section_whatif() {
	run "$H" log "$db" --json
	local before=$out

	# Replace counter/b's add 5 by an add 50: that one transition
	# differs; its reset brings it back to the same final state.
	whatif_run '{"kind":"replace","gseq":4,"body":{"by":50}}'
	rc_is 0
	err_empty
	equal "$(lines)" 2 "whatif replace: one change and the summary"
	equal "$(head -1 <<<"$out" | jq -c '[.kind, .type, .id, .seq, .history.gseq, .history.body, .whatif.gseq, .whatif.event, .whatif.body, .whatif_state, .diff]')" \
		'["changed","counter","b",1,4,{"by":5},4,"add",{"by":50},{"n":50,"adds":1,"label":""},[{"path":"n","old":5,"new":50}]]' \
		"whatif replace: the change"
	local hstate
	hstate=$(head -1 <<<"$out" | jq -c .history_state)
	run "$H" state "$db" counter/b --seq 1 --types "$PLUGIN" --json
	equal "$hstate" "$(jq -c .state <<<"$out")" \
		"whatif: the history state is the state's"
	whatif_run '{"kind":"replace","gseq":4,"body":{"by":50}}'
	equal "$(tail -1 <<<"$out" | jq -c .summary)" \
		'{"edits":1,"to_gseq":15,"changed":1,"missing":0,"extra":0,"final":0}' \
		"whatif replace: the summary"
	# The same as text.
	run "$H" whatif "$db" --edits "$work/e.jsonl" --types "$PLUGIN"
	rc_is 0
	out_has "changed counter/b #1"
	out_has '  history  gseq 4  2026-11-22T10:00:03.000000000Z  counter/b #1  add {"by":5}'
	out_has '  what-if  gseq 4  2026-11-22T10:00:03.000000000Z  counter/b #1  add {"by":50}'
	out_has "    n: 5 -> 50"
	out_has "whatif: 1 edit, replayed up to gseq 15: 1 changed, 0 missing, 0 extra transitions; 0 agents end in another state"

	# Drop counter/a's add 7 (gseq 8), which notified audit/log (gseq 9):
	# audit/log #2 never happens, counter/a's later adds move up a seq.
	whatif_run '{"kind":"drop","gseq":8}'
	rc_is 0
	equal "$(jq -c 'select(.kind != "final" and .summary == null) | [.kind, .type + "/" + .id, .seq, .whatif.body]' <<<"$out" | sort | tr '\n' ' ')" \
		'["changed","counter/a",4,{"by":3}] ["changed","counter/a",5,{"by":10}] ["missing","audit/log",2,null] ["missing","counter/a",6,null] ' \
		"whatif drop: the transitions that differ"
	equal "$(jq -c 'select(.kind == "final") | [.type + "/" + .id, .whatif_state]' <<<"$out" | tr '\n' ' ')" \
		'["audit/log",{"count":1,"total":3,"last":"a"}] ["counter/a",{"n":16,"adds":4,"label":"first"}] ' \
		"whatif drop: the final states, in (type, id) order"
	local finals=$out ag
	for ag in audit/log counter/a; do
		run "$H" state "$db" "$ag" --types "$PLUGIN" --json
		equal "$(jq -c "select(.kind == \"final\" and .type + \"/\" + .id == \"$ag\") | .history_state" <<<"$finals")" \
			"$(jq -c .state <<<"$out")" "whatif drop: $ag's final state in history"
	done
	# Up to gseq 10 only: counter/a's later adds are out of the run.
	echo '{"kind":"drop","gseq":8}' >"$work/e.jsonl"
	run "$H" whatif "$db" --edits - --types "$PLUGIN" --json --to 10 <"$work/e.jsonl"
	rc_is 0
	equal "$(tail -1 <<<"$out" | jq -c .summary)" \
		'{"edits":1,"to_gseq":10,"changed":0,"missing":2,"extra":0,"final":2}' \
		"whatif drop --to 10 (edits on standard input)"

	# Insert past the end: one more transition of counter/c.
	whatif_run '' '{"kind":"insert","gseq":99,"type":"counter","id":"c","event":"add","body":{"by":4}}' ''
	rc_is 0
	equal "$(jq -c 'select(.summary == null) | [.kind, .type + "/" + .id, .seq, .whatif.gseq, .whatif_state]' <<<"$out" | tr '\n' ' ')" \
		'["extra","counter/c",2,16,{"n":5,"adds":2,"label":""}] ["final","counter/c",2,null,{"n":5,"adds":2,"label":""}] ' \
		"whatif insert (blank lines skipped)"

	# No edits: history itself.
	: >"$work/e.jsonl"
	run "$H" whatif "$db" --edits "$work/e.jsonl" --types "$PLUGIN"
	rc_is 0
	equal "$out" "whatif: 0 edits, replayed up to gseq 15: nothing differs from history" \
		"whatif without edits"

	# The log is as it was.
	run "$H" log "$db" --json
	equal "$out" "$before" "whatif leaves the log as it was"

	# Malformed edits, named by their line.
	local e1='{"kind":"drop","gseq":8}'
	whatif_run "$e1" '' '{"kind":"drop","gseq":8'
	rc_is 2
	err_has "$work/e.jsonl:3:1: malformed JSON: unterminated object"
	whatif_run "$e1" '[1]'
	rc_is 2
	err_has "$work/e.jsonl:2: an edit is a JSON object"
	whatif_run '{"gseq":3}'
	rc_is 2
	err_has 'e.jsonl:1: key "kind" is missing'
	whatif_run '{"kind":"nuke","gseq":3}'
	rc_is 2
	err_has 'e.jsonl:1: "kind" must be "insert", "drop" or "replace"'
	whatif_run '{"kind":"drop"}'
	rc_is 2
	err_has 'e.jsonl:1: key "gseq" is missing'
	whatif_run "$e1" '{"kind":"drop","gseq":0}'
	rc_is 2
	err_has 'e.jsonl:2: "gseq" must be an integer >= 1'
	whatif_run '{"kind":"drop","gseq":"3"}'
	rc_is 2
	err_has 'e.jsonl:1: "gseq" must be an integer >= 1'
	whatif_run '{"kind":"drop","gseq":3,"color":"red"}'
	rc_is 2
	err_has 'e.jsonl:1: unknown key "color"'
	whatif_run '{"kind":"drop","gseq":3,"gseq":4}'
	rc_is 2
	err_has 'e.jsonl:1: key "gseq" appears twice'
	whatif_run '{"kind":"drop","gseq":8,"body":{"by":1}}'
	rc_is 2
	err_has 'e.jsonl:1: a drop takes no "body"'
	whatif_run '{"kind":"replace","gseq":4,"type":"counter","body":{"by":1}}'
	rc_is 2
	err_has 'e.jsonl:1: a replace takes no "type"'
	whatif_run '{"kind":"insert","gseq":4,"type":"counter","event":"add"}'
	rc_is 2
	err_has 'e.jsonl:1: an insert needs "type", "id" and "event"'
	whatif_run '{"kind":"insert","gseq":4,"type":"counter","id":7,"event":"add"}'
	rc_is 2
	err_has 'e.jsonl:1: "id" must be a string'
	# Edits the what-if refuses, named by their line too.
	whatif_run "$e1" '{"kind":"drop","gseq":9}'
	rc_is 2
	err_has "e.jsonl:2: record gseq 9 (audit/log seq 2) was sent by counter/a seq 4"
	err_has "edit the cause instead"
	whatif_run '{"kind":"replace","gseq":4,"body":{"by":1}}' "$e1" '{"kind":"drop","gseq":4}'
	rc_is 2
	err_has "e.jsonl:3: record gseq 4 is already dropped or replaced by line 1"
	whatif_run '{"kind":"insert","gseq":4,"type":"nosuch","id":"x","event":"e"}'
	rc_is 2
	err_has "e.jsonl:1: agent type 'nosuch' is not registered"
	echo '{"kind":"replace","gseq":12,"body":{"by":1}}' >"$work/e.jsonl"
	run "$H" whatif "$db" --edits "$work/e.jsonl" --types "$PLUGIN" --to 11
	rc_is 2
	err_has "e.jsonl:1: gseq 12 names no record (the what-if covers 1..11)"

	# Usage errors.
	run "$H" whatif "$db" --types "$PLUGIN"
	rc_is 2
	err_has "whatif needs --edits FILE"
	run "$H" whatif "$db" --edits "$work/e.jsonl"
	rc_is 2
	err_has "whatif needs --types LIB.so"
	run "$H" whatif "$db" --edits "$work/none.jsonl" --types "$PLUGIN"
	rc_is 2
	err_has "cannot read $work/none.jsonl"
	run "$H" whatif "$db" --edits "$work/e.jsonl" --types "$PLUGIN" --to 16
	rc_is 2
	err_has "--to 16 is after the end of the log (15)"
	run "$H" whatif "$work/nothing" --edits "$work/e.jsonl" --types "$PLUGIN"
	rc_is 2
	err_has "no such log"
}

# tests/fixtures/meter-v1v2: a log written by versions 1 and 2 of the
# "meter" type (tests/schema/meter.h), read with version 3 (plugin_meter.so)
# and with a version 3 that lacks the upcaster of "add" from version 1.
section_schema() {
	local db="$work/meter"
	cp -r "$(dirname "$0")/../fixtures/meter-v1v2" "$db" ||
		{ fail "cannot copy the fixture"; return; }
	run "$H" state "$db" meter/m2 --types "$METER" --json
	rc_is 0
	equal "$(jq -c .state <<<"$out")" '{"sum":16,"adds":5}' \
		"state of m2 from v1 and v2 events"
	run "$H" state "$db" meter/m1 --seq 4 --types "$METER" --json
	rc_is 0
	equal "$(jq -c .state <<<"$out")" '{"sum":2,"adds":3}' \
		"state of m1 at 4: the v1 snapshot at 3 ignored"
	run "$H" history "$db" meter/m1 --types "$METER"
	rc_is 0
	out_has 'add {"amount":5,"unit":"Wh"}  (upcast from v1 to v3)'
	out_has 'reset  (upcast from v1 to v3)'
	out_has 'add {"amount":100,"unit":"Wh"}  (upcast from v2 to v3)'
	run "$H" history "$db" meter/m1 --types "$METER" --json
	rc_is 0
	equal "$(head -1 <<<"$out" | jq -c '[.body, .event_version, .upcast_to, .state]')" \
		'[{"amount":5,"unit":"Wh"},1,3,{"sum":5,"adds":1}]' "history --json upcast"
	run "$H" history "$db" meter/m1
	out_has 'add {"n":5}'
	out_lacks 'upcast'
	run "$H" verify "$db" --types "$METER"
	rc_is 0
	out_has "ok: 12 records of 3 agents"
	out_has "12 events read through upcasters; 8 recorded state hashes of another state version not compared"
	run "$H" verify "$db" --types "$METER" --json
	rc_is 0
	equal "$(tail -1 <<<"$out" | jq -c .summary)" \
		'{"records":12,"agents":3,"divergences":0,"version_findings":0,"upcast":12,"unhashed":8}' \
		"verify --json summary"
	run "$H" verify "$db" --types "$METER_NOUP"
	rc_is 1
	out_has "divergence: meter/m1 #1 (gseq 1"
	out_has "event 'add' of type 'meter' was recorded at event version 1 and has no upcaster from version 1 to 2 (the code is at event version 3)"
	out_has "also diverges: meter/m2 #1 (gseq 5"
	out_has "2 of them at an event whose recorded version today's code cannot read"
	run "$H" verify "$db" --types "$METER_NOUP" --json
	rc_is 1
	equal "$(head -1 <<<"$out" | jq -c '[.kind, .record.id, .apply_rc]')" \
		'["version","m1",-26]' "verify --json version finding"
	run "$H" state "$db" meter/m2 --types "$METER_NOUP"
	rc_is 2
	err_has "rebuilding meter/m2: seq 1 (gseq 5): event 'add' of type 'meter' was recorded at event version 1 and has no upcaster from version 1 to 2"
	printf '%s\n' '{"kind":"drop","gseq":8}' >"$work/e.jsonl"
	run "$H" whatif "$db" --edits "$work/e.jsonl" --types "$METER" --json
	rc_is 0
	equal "$(jq -c 'select(.kind == "final") | [.id, .whatif_state]' <<<"$out")" \
		'["m2",{"sum":6,"adds":4}]' "whatif over upcast events"
	printf '' >"$work/none.jsonl"
	run "$H" whatif "$db" --edits "$work/none.jsonl" --types "$METER" --json
	rc_is 0
	equal "$(tail -1 <<<"$out" | jq -c '.summary.changed + .summary.missing + .summary.extra')" \
		0 "whatif without edits over upcast events: history itself"
	run "$H" check "$db"
	rc_is 0
}

case $section in
basic | errors | check | log | state | history | verify | export | tail | replay | progress | machine | beside_writer | backup | system | whatif | schema | archive)
	"section_$section"
	;;
*)
	echo "run.sh: no section '$section'" >&2
	exit 2
	;;
esac

if [ "$fails" -ne 0 ]; then
	echo "cli_$section: $fails of $checks checks failed" >&2
	exit 1
fi
echo "cli_$section: $checks checks passed"
