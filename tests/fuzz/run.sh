#!/usr/bin/env bash
# Runs every libFuzzer target built by `make fuzz` for a bounded time each,
# starting from its committed seed corpus (tests/fuzz/corpus/<target>/).
# New inputs go to a scratch corpus under the build dir, never into the repo;
# a crash leaves its input in BIN_DIR/artifacts/ and fails the run.
# Usage: bash tests/fuzz/run.sh BIN_DIR SECONDS [TARGET...]   (from the repo root)
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${1:?usage: run.sh BIN_DIR SECONDS [TARGET...]}
secs=${2:-30}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cifar flags lesson safetensors checkpoint picture netfile)
mkdir -p "$bin/artifacts"
failed=()
for t in "${targets[@]}"; do
    exe="$bin/fuzz_$t" seeds="tests/fuzz/corpus/$t"
    [ -x "$exe" ] || { echo "fuzz: $exe is not built (make fuzz)"; failed+=("$t"); continue; }
    [ -d "$seeds" ] || { echo "fuzz: no seed corpus $seeds"; failed+=("$t"); continue; }
    scratch="$bin/corpus-$t"
    mkdir -p "$scratch"
    log="$bin/fuzz_$t.log"
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a runaway allocation is a finding.
    "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$bin/artifacts/$t-" "$scratch" "$seeds" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    time=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        printf 'fuzz %-12s ok: %s executions in %s s (%s, corpus %s files)\n' "$t" "${runs:-?}" "${time:-?}" "${cov:-cov: ?}" \
            "$(ls "$scratch" | wc -l)"
    else
        echo "fuzz $t FAILED (exit $rc); log: $log"
        grep -E "ERROR|SUMMARY|runtime error|Test unit written|deadly signal" "$log" | head -n 12 | sed 's/^/    /'
        failed+=("$t")
    fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: failed: ${failed[*]}"; exit 1; }
