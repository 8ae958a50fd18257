#!/usr/bin/env bash
# --batch render --position P: the window at position P of a step (1-based);
# two positions give different PNGs, the same position the same PNG; a
# position out of range exits 2 with one line naming P and the count and
# writes nothing; a step without a sliding window says so (exit 2); the dump
# prints the step's position.
source tests/sh/cli_lib.bash
L=lessons/02_convolution.lesson
export CONVLAB_DATA="$WORK/no-data"   # built-in grids: the same frames on every machine
r() { run_cl --batch render --lesson $L --size 800x600 "$@"; }

r --step 6 --position 5 --out "$WORK/p5.png"; [ $RC -eq 0 ] || die "position 5: exit $RC $ERR"
r --step 6 --position 6 --out "$WORK/p6.png"; [ $RC -eq 0 ] || die "position 6: exit $RC $ERR"
r --step 6 --position=5 --out "$WORK/p5b.png"; [ $RC -eq 0 ] || die "--position=5: exit $RC $ERR"
r --step 6 --out "$WORK/own.png"; [ $RC -eq 0 ] || die "no --position: exit $RC $ERR"
r --step 6 --position 9 --out "$WORK/p9.png"; [ $RC -eq 0 ] || die "position 9: exit $RC $ERR"
cmp -s "$WORK/p5.png" "$WORK/p6.png" && die "positions 5 and 6 gave the same PNG"
cmp -s "$WORK/p5.png" "$WORK/p5b.png" || die "position 5 rendered twice differs"
cmp -s "$WORK/own.png" "$WORK/p9.png" || die "step 6's own window (2 2) is not position 9"
# a `window = all` step shows the window at a position too
r --step 7 --position 1 --out "$WORK/all1.png"; [ $RC -eq 0 ] || die "window = all, position 1: exit $RC $ERR"
r --step 7 --out "$WORK/all.png"
cmp -s "$WORK/all1.png" "$WORK/all.png" && die "--position did nothing on a 'window = all' step"

for p in 10 0 -3; do
    r --step 6 --position $p --out "$WORK/bad.png"
    [ $RC -eq 2 ] || die "--position $p: exit $RC, expected 2"
    [ "$ERR" = "convlab --batch render: --position $p: this step has 9 window positions (1-9)" ] || die "--position $p: '$ERR'"
done
r --step 6 --position x --out "$WORK/bad.png"
[ $RC -eq 2 ] && [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || die "--position x: exit $RC '$ERR'"
run_cl --batch render --lesson lessons/01_parameters.lesson --step 2 --position 1 --out "$WORK/bad.png"
[ $RC -eq 2 ] || die "a step without a window: exit $RC"
printf '%s\n' "$ERR" | grep -q "^convlab --batch render: --position 1: step 2 has no sliding window (its scene is '[a-z_0-9]*')$" || die "no window: '$ERR'"
[ ! -e "$WORK/bad.png" ] || die "a bad --position wrote a PNG"

# the dump says which position a step shows, and how many it has
run_cl --batch lesson --lesson $L --dump --step 6
printf '%s\n' "$OUT" | grep -qx "position 9 of 9" || die "dump of step 6: $(printf '%s\n' "$OUT" | grep position)"
run_cl --batch lesson --lesson $L --dump --step 7
printf '%s\n' "$OUT" | grep -qx "position 0 of 9" || die "dump of step 7 (window = all): $(printf '%s\n' "$OUT" | grep position)"
echo ok
