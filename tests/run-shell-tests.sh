#!/usr/bin/env bash
# Runs every tests/sh/*.sh (command-line, data, window tests) from the project
# root with ./convlab built, and prints "N passed, N failed".
# A script exits 0 (pass), 77 (skipped: says why) or anything else (fail).
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0 failed=()
for t in tests/sh/*.sh; do
    [ -e "$t" ] || continue
    out=$(bash "$t" 2>&1); rc=$?
    name=${t#tests/sh/}
    if [ $rc -eq 0 ]; then pass=$((pass + 1)); echo "PASS $name"
    elif [ $rc -eq 77 ]; then skip=$((skip + 1)); echo "SKIP $name: $(printf '%s\n' "$out" | tail -n 1)"
    else fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name"; printf '%s\n' "$out" | tail -n 30 | sed 's/^/    /'
    fi
done
echo "shell: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
