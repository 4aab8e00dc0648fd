#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS [NAME...]: runs each harness (all of
# BUILD_DIR/tests/fuzz/fuzz_*, or the NAMEs given) for SECONDS, one after
# the other, on a working corpus in BUILD_DIR/fuzz/corpus/NAME that starts
# from (and keeps growing over) the seeds in tests/fuzz/corpus/NAME.
# A crash, a leak, undefined behaviour, a failed check, a timeout or an
# out-of-memory fails the run; the input that did it is saved as
# BUILD_DIR/fuzz/artifacts/NAME-crash-... (docs/TESTING.md: what next).
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR SECONDS [NAME...]" >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 2
seconds=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
work=$build/fuzz
mkdir -p "$work/corpus" "$work/artifacts" "$work/logs"

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in "$src"/fuzz_*.c; do
		n=${f##*/fuzz_}
		names+=("${n%.c}")
	done
fi

failed=()
for name in "${names[@]}"; do
	bin=$build/tests/fuzz/fuzz_$name
	[ -x "$bin" ] || { echo "fuzz $name: no $bin (build it first)" >&2; exit 2; }
	corpus=$work/corpus/$name
	mkdir -p "$corpus"
	cp "$src/corpus/$name"/* "$corpus"/ 2>/dev/null
	log=$work/logs/$name.log
	# close_fd_mask=3: the harnesses' own messages (the CLI's errors)
	# are noise; libFuzzer's and the sanitizers' reports still show.
	# An input that takes 10 s, or 2 GB, is a bug too.
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/$name-" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
	size=$(ls "$corpus" | wc -l)
	if [ $rc -eq 0 ]; then
		echo "fuzz $name: ok, ${execs:-?} execs in ${secs:-$seconds} s, corpus $size"
	else
		echo "fuzz $name: FAILED (exit $rc) after ${execs:-?} execs; log $log:"
		grep -E 'ERROR|runtime error|check failed|SUMMARY|Test unit written|^    #[0-9]' \
			"$log" | head -30
		failed+=("$name")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: FAILED: ${failed[*]}"
	exit 1
fi
echo "fuzz: all ${#names[@]} harnesses ran ${seconds} s each without a finding"
