#!/usr/bin/env bash
# The corrupt-log matrix (issue 19): every damage below, met by hs_open
# (read-only and writable, through make_log open) and by every read-only
# command of the `hindsight` tool.
#
#   matrix.sh HINDSIGHT MAKE_LOG PLUGIN_DIR
#
# For each damage and each command: no signal, no sanitizer report, no
# hang (60 s); an exit code of 0, or 2 (1 or 2 for check) with an error
# on stderr that names the problem; a read-only command leaves every file
# of the directory as it was (names and contents). Damage a command may
# not read (random bytes in an .sst file land in a block nobody asks
# for, or in one that the block checksums do not cover) may give exit 0,
# but then the output must be exactly that of the undamaged log: a wrong
# answer given as a success fails.
set -uo pipefail

if [ $# -ne 3 ]; then
	echo "usage: matrix.sh HINDSIGHT MAKE_LOG PLUGIN_DIR" >&2
	exit 2
fi
H=$1
MK=$2
PLUGIN=$3/plugin_counter.so

work=$(mktemp -d "${TMPDIR:-/tmp}/hs-cli-matrix.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

fails=0
checks=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

db=$work/db # every damaged log is made here, so outputs compare as text
bk=$work/backup

# The commands, one a line: a name, then the arguments after the binary
# (DB stands for the log).
read -r -d '' cmds <<'EOF'
open-ro	MK open DB ro
stats	H stats DB --json
check	H check DB
log	H log DB --json
state	H state DB counter/a --types PLUGIN --json
history	H history DB ship/Gloria --types PLUGIN --json
verify	H verify DB --types PLUGIN
export	H export DB --snapshots
tail	H tail DB -n 5 --json
system	H system DB --gseq 12 --types PLUGIN --json
backup	H backup DB BK
open-rw	MK open DB rw
EOF

# run_cmd LINE: runs one command line on $db with a time limit; its
# stdout in $out, stderr in $err, exit code in $rc, name in $name.
run_cmd() {
	local line=$1 a
	local -a argv=()
	name=${line%%$'\t'*}
	for a in ${line#*$'\t'}; do
		case $a in
		MK) a=$MK ;;
		H) a=$H ;;
		DB) a=$db ;;
		BK) a=$bk ;;
		PLUGIN) a=$PLUGIN ;;
		esac
		argv+=("$a")
	done
	rm -rf "$bk"
	out=$(timeout -s KILL 60 "${argv[@]}" 2>"$work/.stderr")
	rc=$?
	err=$(cat "$work/.stderr")
	if [ "$name" = backup ] && [ "$rc" = 0 ]; then
		# The copy stands for the output: it must read as the log.
		out=$("$H" log "$bk" --json 2>&1)
	fi
}

# A listing of every file under the log, names and contents.
listing() {
	(cd "$db" && find . ! -type f | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
}

declare -A base_out base_rc

# Runs every command on $db (damaged as `what` says) and checks each.
# expect: "any" (sst damage: 0 with the undamaged output, or an error),
# or the text every error must contain.
try_all() {
	local what=$1 expect=$2 line before after
	while IFS= read -r line; do
		before=$(listing)
		run_cmd "$line"
		checks=$((checks + 1))
		local tag="$what: $name"
		if [ "$rc" = 137 ]; then
			fail "$tag: killed after 60 s (a hang)"
			continue
		fi
		if [ "$rc" -gt 128 ]; then
			fail "$tag: died of signal $((rc - 128)): $err"
			continue
		fi
		if grep -qE 'Sanitizer|runtime error:' <<<"$err"; then
			fail "$tag: sanitizer report: $err"
			continue
		fi
		if [ "$name" = open-rw ] && [ "$what" = "an empty directory" ]; then
			[ "$rc" = 0 ] || fail "$tag: exit $rc, want a new log: $err"
			continue
		fi
		if [ "$name" != open-rw ]; then
			after=$(listing)
			[ "$before" = "$after" ] ||
				fail "$tag: a read-only command changed the" \
					"directory:"$'\n'"$(diff <(echo "$before") \
					<(echo "$after"))"
		fi
		case $rc in
		0)
			if [ "$expect" != any ]; then
				fail "$tag: exit 0 on a damaged log, want an" \
					"error with '$expect'; stdout: ${out:0:300}"
			elif [ "$out" != "${base_out[$name]}" ]; then
				fail "$tag: exit 0 with an answer other than" \
					"the undamaged log's:"$'\n'"$(diff \
					<(echo "${base_out[$name]}") \
					<(echo "$out") | head -10)"
			fi
			;;
		1 | 2)
			if [ "$rc" = 1 ] && [ "$name" != check ]; then
				fail "$tag: exit 1, want 0 or 2: $err"
			elif [ "$rc" = 1 ] && [ -z "$out" ]; then
				fail "$tag: exit 1 without a finding on stdout"
			elif [ "$rc" = 2 ] && [ -z "$err" ]; then
				fail "$tag: exit $rc without a word on stderr"
			elif [ "$expect" != any ] &&
				! grep -qF -- "$expect" <<<"$err"; then
				fail "$tag: the error lacks '$expect': $err"
			elif [[ $what == *.sst* ]] && grep -qF MANIFEST <<<"$err" &&
				! grep -qF .sst <<<"$err"; then
				fail "$tag: the error blames the MANIFEST for a" \
					"damaged table file: $err"
			elif [ "$expect" = any ] &&
				! grep -qE '\.sst|MANIFEST|key [0-9a-f]|damaged|lost' <<<"$err$out"; then
				fail "$tag: the error names no file nor key: $err$out"
			fi
			[ -n "${VERBOSE:-}" ] && echo "  $tag: $rc: ${err:0:200}"
			;;
		*)
			fail "$tag: exit $rc: $err"
			;;
		esac
	done <<<"$cmds"
}

# ------------------------------------------------------------------
# The logs

# base: the standard log, 40 more transitions of counter/tail (a times
# sample at seq 32), then a good pending timer; every writer closed, so
# each column family with data is in .sst files (make_log.c).
"$MK" matrix "$work/base" || { echo "make_log matrix failed" >&2; exit 1; }

fresh() { # fresh SRC: $db becomes a copy of SRC
	rm -rf "$db"
	cp -a "$1" "$db"
}

fresh "$work/base"
while IFS= read -r line; do
	run_cmd "$line"
	base_out[$name]=$out
	base_rc[$name]=$rc
	[ "$rc" = 0 ] || fail "undamaged log: $name: exit $rc: $err"
done <<<"$cmds"

# Which column family an .sst file holds (its properties block names it).
cf_of() { # the key is prefix-compressed: "column.family.name" follows "...id"
	strings -n 3 "$1" | grep -m1 -oE '^[[:space:]]?name(events|agents|snapshots|meta|timers|times|default)' |
		sed 's/^[[:space:]]*name//' | grep . || echo unknown
}

# flip FILE SEED N FROM TO: N random bytes in [FROM, TO) get a random
# value other than their own.
flip() {
	local f=$1 n=$3 from=$4 to=$5 off old new
	RANDOM=$2
	for _ in $(seq "$n"); do
		off=$((from + (RANDOM * 32768 + RANDOM) % (to - from)))
		old=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
		new=$(((old + 1 + RANDOM % 255) % 256))
		printf "$(printf '\\%03o' "$new")" |
			dd of="$f" bs=1 seek="$off" conv=notrunc status=none
	done
}

# ------------------------------------------------------------------
# Random bytes in each .sst file: in the data blocks (the front), in
# the index, filter and properties blocks and the footer (the back),
# and anywhere.

declare -A seen_cf
for sst in "$work/base"/*.sst; do
	f=$(basename "$sst")
	cf=$(cf_of "$sst")
	seen_cf[$cf]=1
	size=$(stat -c %s "$sst")
	for v in front back anywhere; do
		for seed in 1 2; do
			fresh "$work/base"
			case $v in
			front) flip "$db/$f" "$seed" 4 0 $((size / 3)) ;;
			back) flip "$db/$f" "$seed" 2 $((size * 2 / 3)) "$size" ;;
			anywhere) flip "$db/$f" "$seed" 16 0 "$size" ;;
			esac
			try_all "$f ($cf) $v seed $seed" any
		done
	done
done
for cf in events agents snapshots meta timers times; do
	checks=$((checks + 1))
	[ -n "${seen_cf[$cf]:-}" ] || fail "no .sst file of column family $cf in the base log"
done

# ------------------------------------------------------------------
# The newest write-ahead log cut in the middle of a record, after a
# writer was killed with its tail only there: under SYNC every one of
# those transitions was acknowledged, and the loss must be reported.

"$MK" kill "$work/synced" 40 sync >"$work/kill.out" &
pid=$!
for _ in $(seq 600); do
	grep -q written "$work/kill.out" 2>/dev/null && break
	sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
fresh "$work/synced"
wal=$(ls "$db"/*.log | sort | tail -1)
[ -s "$wal" ] || fail "the killed writer left no write-ahead log"
if ! ls "$db"/*.sst >/dev/null 2>&1; then
	truncate -s $(($(stat -c %s "$wal") / 2 + 7)) "$wal"
	try_all "WAL truncated (SYNC)" "transitions are lost: gseq"
else
	fail "the killed writer flushed to .sst files: the test needs its tail in the WAL"
fi

# ------------------------------------------------------------------
# Damage to the database's own files, and things that are no log.

fresh "$work/base"
rm "$db/CURRENT"
try_all "CURRENT missing" "not a hindsight log"

fresh "$work/base"
manifest=$(ls "$db"/MANIFEST-* | head -1)
flip "$manifest" 7 8 0 "$(stat -c %s "$manifest")"
try_all "MANIFEST corrupt" "MANIFEST"

fresh "$work/base"
manifest=$(ls "$db"/MANIFEST-* | head -1)
truncate -s $(($(stat -c %s "$manifest") / 2)) "$manifest"
try_all "MANIFEST truncated" "MANIFEST"

rm -rf "$db"
"$MK" rocksdb "$db" || fail "make_log rocksdb"
try_all "another program's RocksDB database" "not a hindsight log"

rm -rf "$db"
mkdir "$db"
for i in 1 2 3 4 5; do
	head -c $((i * 1000)) /dev/urandom >"$db/file$i"
done
head -c 100 /dev/urandom >"$db/CURRENT"
try_all "a directory of random files" "not a hindsight log"

rm -rf "$db"
"$MK" future "$db" || fail "make_log future"
try_all "a newer format" "newer than this library"

rm -rf "$db"
mkdir "$db"
try_all "an empty directory" "empty directory"

if [ "$fails" -ne 0 ]; then
	echo "cli_matrix: $fails of $checks checks failed" >&2
	exit 1
fi
echo "cli_matrix: $checks checks passed"
