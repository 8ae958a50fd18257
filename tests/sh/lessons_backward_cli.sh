#!/usr/bin/env bash
# Lessons 11-13 from the command line: the dumps carry the grids and the
# stride/padding line the issue names, live parameters recompute them,
# ConvTranspose2d's invalid settings print PyTorch's error, and
# lessons-check reports a {key} in a text that names no key of its step.
cd "$(dirname "$0")/../.." || exit 1
BIN=${CONVLAB:-./convlab}
[ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BIN" --batch lesson --lesson lessons/11_conv_backward.lesson --dump >"$t/d" || fail "dump exit $?"
for g in input kernel dout dkernel dinput; do grep -q "^$g [0-9]*x[0-9]*:" "$t/d" || fail "lesson 11 dump lacks grid $g"; done
grep -q "^stride 2 2 padding 0 0 dilation 1 1$" "$t/d" || fail "lesson 11: no stride-2 step"
grep -q "^stride 1 1 padding 1 1 dilation 1 1$" "$t/d" || fail "lesson 11: no padded step"
grep -q "^fd epsilon 0.01 " "$t/d" || fail "lesson 11: no finite-difference line"
"$BIN" --batch lesson --lesson lessons/11_conv_backward.lesson --step 12 --set stride=2 --dump >"$t/d" || fail "live dump exit $?"
grep -q "^dout 2x2:" "$t/d" || fail "stride=2 should give a 2x2 dL/dout: $(grep '^dout' "$t/d")"

"$BIN" --batch lesson --lesson lessons/12_conv_transpose.lesson --dump >"$t/d" || fail "dump exit $?"
for g in input kernel output; do grep -q "^$g [0-9]*x[0-9]*:" "$t/d" || fail "lesson 12 dump lacks grid $g"; done
grep -q "^stride 2 2 padding 1 1 output_padding 1 1 dilation 1 1$" "$t/d" || fail "lesson 12: no stride-2 output_padding step"
"$BIN" --batch lesson --lesson lessons/12_conv_transpose.lesson --step 7 --set output_padding=2 --dump >"$t/d" || fail "exit $?"
grep -q "^pytorch-error ConvTranspose2d: output padding must be smaller than either stride or dilation" "$t/d" || fail "output_padding=2: $(grep error "$t/d")"
"$BIN" --batch lesson --lesson lessons/12_conv_transpose.lesson --step 7 --set kernel_size=5 --dump >"$t/d" || fail "exit $?"
grep -q "^kernel 5x5:" "$t/d" && grep -q "^output 8x8:" "$t/d" || fail "kernel_size=5: (3-1)*2 - 2 + 4 + 1 + 1 = 8: $(grep -E '^(kernel|output) ' "$t/d")"

"$BIN" --batch lesson --lesson lessons/13_pool_relu_backward.lesson --step 3 --dump >"$t/d" || fail "dump exit $?"
grep -q "receivers 4" "$t/d" || fail "lesson 13 step 3: the 9 should win all four windows"

# a {key} the step does not have is a problem
printf 'title.en = T\ntitle.zh = T\n\n[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1\ncaption.en = c\ncaption.zh = c\ntext.en = stride={stride}\ntext.zh = stride={stride}\n' >"$t/x.lesson"
"$BIN" --batch lessons-check "$t/x.lesson" >"$t/o" && fail "lessons-check accepted an unexpandable {stride}"
grep -q "'{stride}' names no scene key of this step" "$t/o" || fail "message: $(cat "$t/o")"
echo "lessons backward cli: ok"
