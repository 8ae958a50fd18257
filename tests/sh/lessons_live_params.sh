#!/usr/bin/env bash
# Live parameters from the command line (--set KEY=VALUE, the `adjust` keys):
# the dump follows the override (padding 2 -> 7x7, nn.Conv2d params), an
# invalid setting prints PyTorch's error, the frame changes, bad --set exits 2.
cd "$(dirname "$0")/../.." || exit 1
BIN=${CONVLAB:-./convlab}
[ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# lesson 4, step 8 (padding 1, stride 2): the override recomputes the output
"$BIN" --batch lesson --lesson lessons/04_padding.lesson --step 8 --dump --set padding=2 --set stride=1 >"$t/d" || fail "dump exit $?"
grep -q "^output 7x7:" "$t/d" || fail "padding=2 stride=1 should give 7x7: $(grep output "$t/d")"
grep -q "out = ⌊(5 + 2·2 − 3)/1⌋ + 1 = 7" "$t/d" || fail "size formula: $(grep '^size' "$t/d")"
"$BIN" --batch lesson --lesson lessons/04_padding.lesson --step 8 --dump >"$t/d0" || fail "dump exit $?"
grep -q "^output 3x3:" "$t/d0" || fail "as written: 3x3"

# lesson 6: parameter count and PyTorch's errors
"$BIN" --batch lesson --lesson lessons/06_conv2d_params.lesson --step 1 --dump --set out_channels=4 >"$t/d" || fail "dump exit $?"
grep -q "^params 112$" "$t/d" || fail "4 filters of 3x3x3 + 4 biases = 112: $(grep params "$t/d")"
"$BIN" --batch lesson --lesson lessons/06_conv2d_params.lesson --step 6 --dump --set groups=3 >"$t/d" || fail "dump exit $?"
grep -q "pytorch-error Conv2d: in_channels must be divisible by groups" "$t/d" || fail "groups=3: $(grep error "$t/d")"

# the frame changes with the override
"$BIN" --batch render --lesson lessons/04_padding.lesson --step 8 --out "$t/a.png" || fail "render exit $?"
"$BIN" --batch render --lesson lessons/04_padding.lesson --step 8 --set padding=0 --out "$t/b.png" || fail "render exit $?"
cmp -s "$t/a.png" "$t/b.png" && fail "padding=0 rendered the same frame as the lesson's padding 1"

# bad --set: exit 2, one line
"$BIN" --batch lesson --lesson lessons/04_padding.lesson --dump --set padding >"$t/out" 2>"$t/err"; rc=$?
[ $rc -eq 2 ] || fail "--set padding: exit $rc, expected 2"
[ "$(wc -l <"$t/err")" -eq 1 ] || fail "--set padding: expected one line, got: $(cat "$t/err")"
grep -q "KEY=VALUE" "$t/err" || fail "message names KEY=VALUE: $(cat "$t/err")"
# a value outside the step's declared range (lesson 1 step 5: kernel_size:1..4): exit 2, one line
# naming the key, the value and the range, for render and for the dump
for cmd in "render --out $t/r.png" "lesson --dump"; do
    # shellcheck disable=SC2086
    "$BIN" --batch $cmd --lesson lessons/01_parameters.lesson --step 5 --set kernel_size=9 >"$t/out" 2>"$t/err"; rc=$?
    [ $rc -eq 2 ] || fail "$cmd --set kernel_size=9: exit $rc, expected 2"
    [ "$(wc -l <"$t/err")" -eq 1 ] || fail "$cmd: expected one line, got: $(cat "$t/err")"
    grep -q "kernel_size=9 .*kernel_size 1\.\.4" "$t/err" || fail "$cmd: message names key, value and range: $(cat "$t/err")"
done
"$BIN" --batch render --lesson lessons/01_parameters.lesson --step 5 --set kernel_size=4 --out "$t/r.png" || fail "in range: exit $?"
echo "ok"
