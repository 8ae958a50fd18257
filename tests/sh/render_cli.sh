#!/usr/bin/env bash
# --batch render / lessons-check / lesson --dump from the command line:
# PNG of the requested size, numbers in the dump, file:line for broken lessons,
# exit 2 with one line on bad usage.
cd "$(dirname "$0")/../.." || exit 1
BIN=${CONVLAB:-./convlab}
[ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# render: a PNG of exactly --size
"$BIN" --batch render --lesson lessons/02_convolution.lesson --step 2 --size 1024x640 --lang zh --theme dark --out "$t/a.png" || fail "render exit $?"
python3 - "$t/a.png" <<'PY' || fail "PNG size"
import struct, sys
d = open(sys.argv[1], 'rb').read(32)
assert d[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
w, h = struct.unpack('>II', d[16:24])
assert (w, h) == (1024, 640), (w, h)
PY

# bad usage: exit 2, one line
for args in "--lesson lessons/02_convolution.lesson --step 2" \
            "--lesson lessons/02_convolution.lesson --out $t/x.png" \
            "--lesson lessons/02_convolution.lesson --step 2 --size 12x5 --out $t/x.png" \
            "--lesson lessons/02_convolution.lesson --step 2 --lang fr --out $t/x.png" \
            "--lesson lessons/02_convolution.lesson --step 2 --bogus 1 --out $t/x.png" \
            "--lesson lessons/02_convolution.lesson --step 99 --out $t/x.png"; do
    "$BIN" --batch render $args >"$t/out" 2>"$t/err"; rc=$?
    [ $rc -eq 2 ] || fail "render $args: exit $rc, expected 2"
    [ "$(wc -l <"$t/err")" -eq 1 ] || fail "render $args: expected one line, got: $(cat "$t/err")"
done
[ ! -e "$t/x.png" ] || fail "no PNG on bad usage"

# lessons-check: the shipped lessons pass; a broken one fails with file:line
"$BIN" --batch lessons-check >"$t/out" 2>"$t/err" || fail "lessons-check on lessons/: $(cat "$t/out")"
grep -q "^OK: " "$t/out" || fail "lessons-check summary: $(cat "$t/out")"
printf 'title.en = x\ntitle.zh = x\n[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1\nstrid = 2\ncaption.en = a\ncaption.zh = 甲\n[step]\nstride = 0\ncaption.en = b\ncaption.zh = 乙\n' >"$t/bad.lesson"
"$BIN" --batch lessons-check "$t/bad.lesson" >"$t/out" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "lessons-check on a broken lesson: exit $rc"
grep -q "bad.lesson:7: warning: unknown key 'strid'" "$t/out" || fail "unknown key not reported: $(cat "$t/out")"
grep -q "bad.lesson:11: stride = 0 is out of range" "$t/out" || fail "stride 0 not reported: $(cat "$t/out")"
printf 'title.en = x\n[step]\n' >"$t/notitle.lesson"
"$BIN" --batch lessons-check "$t/notitle.lesson" >"$t/out" 2>&1 && fail "missing title.zh passed"
grep -q "notitle.lesson:1: missing title.zh" "$t/out" || fail "missing title: $(cat "$t/out")"

# an explanation too long for its panel is a problem (a student would see it cut)
long=$(printf 'word %.0s' $(seq 1 700))
printf 'title.en = x\ntitle.zh = x\n[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1\ncaption.en = a\ncaption.zh = 甲\ntext.en = %s\ntext.zh = 短\n' "$long" >"$t/long.lesson"
"$BIN" --batch lessons-check "$t/long.lesson" >"$t/out" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "an overflowing explanation passed lessons-check: $(cat "$t/out")"
grep -q "long.lesson:3: step 1 (en): the explanation does not fit its panel" "$t/out" || fail "overflow message: $(cat "$t/out")"
grep -q "(zh)" "$t/out" && fail "the short zh text was reported: $(cat "$t/out")"

# the dump: the numbers of lesson 02, step 2 (window 0 0 on the 5x5 grid)
"$BIN" --batch lesson --lesson lessons/02_convolution.lesson --dump --step 2 >"$t/out" || fail "dump exit $?"
grep -q "^window 0 0 value 4$" "$t/out" || fail "window sum: $(cat "$t/out")"
grep -q "^formula 1·1 + 2·0 + 0·1 + 0·0 + 1·1 + 3·0 + 2·1 + 1·0 + 0·1 = 4$" "$t/out" || fail "formula: $(grep formula "$t/out")"
"$BIN" --batch lesson --lesson lessons/07_pooling.lesson --dump --step 3 >"$t/out" || fail "pool dump exit $?"
grep -q "^indices 5 6 8 14$" "$t/out" || fail "argmax: $(grep indices "$t/out")"
"$BIN" --batch lesson --lesson lessons/02_convolution.lesson >/dev/null 2>&1; [ $? -eq 2 ] || fail "lesson without --dump should exit 2"
# no fonts: a clear message naming the package, exit 1
printf '<?xml version="1.0"?>\n<fontconfig><dir>/nonexistent</dir><cachedir>%s/fc</cachedir></fontconfig>\n' "$t" >"$t/empty.conf"
FONTCONFIG_FILE="$t/empty.conf" "$BIN" --batch render --lesson lessons/02_convolution.lesson --step 1 --out "$t/y.png" 2>"$t/err"; rc=$?
[ $rc -eq 1 ] || fail "without fonts: exit $rc, expected 1"
grep -q "apt-get install fonts-" "$t/err" || fail "without fonts the message must name the package: $(cat "$t/err")"
echo "ok"
