#!/usr/bin/env bash
# `make` alone never calls apt (only `make deps` does), and a library
# pkg-config cannot find is named in one line with the fix before any compile.
source tests/sh/cli_lib.bash
for goal in all install deb; do
    plan=$(make -n -B $goal PREFIX="$WORK/p" 2>&1)
    printf '%s' "$plan" | grep -v '^[[:space:]]*command -v\|echo ' | grep -q 'apt-get\|deps\.sh' && die "make -n $goal would run apt: $(printf '%s' "$plan" | grep 'apt-get\|deps\.sh')"
done
out=$(make BUILD="$WORK/b" UI_PKGS="sdl2 no-such-lib-xyz" 2>&1); rc=$?
[ $rc -ne 0 ] || die "a missing library did not stop make"
printf '%s' "$out" | grep -q "not found by pkg-config: no-such-lib-xyz; run make deps" || die "missing library said: $out"
[ ! -d "$WORK/b/src" ] || die "make compiled before noticing the missing library"
echo ok
