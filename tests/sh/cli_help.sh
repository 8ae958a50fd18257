#!/usr/bin/env bash
# --help exits 0 and documents every option: every row of every command's
# option table (read from the source, so a new flag without help fails here).
source tests/sh/cli_lib.bash
run_cl --help
[ "$RC" -eq 0 ] || die "--help exit $RC"
help=$OUT
[ "$(printf '%s\n' "$help" | wc -l)" -gt 40 ] || die "--help is too short"
flags=$(grep -ho '{"--[a-z-]*", FLAG_' src/app/*.c | grep -o -- '--[a-z-]*' | sort -u)
[ "$(printf '%s\n' $flags | wc -l)" -ge 30 ] || die "found too few option rows in src/app/*.c: $flags"
for f in $flags --lesson --step --out --theme --dump --batch --help; do
    printf '%s\n' "$help" | grep -q -- "$f\b" || die "--help does not mention $f"
done
for cmd in "--batch train" "--batch eval --load CKPT" "--batch render --lesson FILE --step K" \
           "--batch lessons-check [--net FILE] [--data DIR] [FILES...]" "--batch lesson --lesson FILE --dump" \
           "convlab [--lesson FILE|N] [--step K] [--lang en|zh]" "--fullscreen" "--train" "--image N" "--dashboard PNG" \
           "--batch predict --load CKPT [--net FILE] --image FILE..." "--explain PNG"; do
    printf '%s\n' "$help" | grep -qF -- "$cmd" || die "--help lacks the usage line '$cmd'"
done
for word in "Accuracy of plane : 61.2 %" "Finished Training" "EXIT STATUS" "130" "make data" "CIFAR10_URL"; do
    printf '%s\n' "$help" | grep -qF -- "$word" || die "--help lacks '$word'"
done
# -h and --help anywhere print the same.
run_cl --batch train --epochs 3 -h
[ "$RC" -eq 0 ] && [ "$OUT" = "$help" ] || die "-h after a command does not print the help"
echo ok
