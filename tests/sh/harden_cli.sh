#!/usr/bin/env bash
# Issue 7's bad inputs that the other cli_*/render/data tests do not already
# cover, each with its expected behaviour: one line naming the thing and the
# fix, a non-zero exit, never a crash or a silent good-looking result.
#   checkpoints: wrong dtype, wrong shape, bad JSON (same-length edits of a torch file);
#   an interrupted save (file-size limit mid-write) leaves the old checkpoint intact;
#   lessons: bad syntax, unknown section, kernel larger than the padded input,
#   image index beyond the test set; render of a broken step exits 1;
#   the data directory missing for lessons (message in the frame, and exit 1 with --data).
# Fake (sparse) CIFAR-10 data, so no download is needed.
source tests/sh/cli_lib.bash
D="$WORK/cifar"
make_fake_data "$D"
CK=tests/fixtures/ckpt_torch_cnnnet.safetensors
command -v perl >/dev/null || { echo "perl is needed to edit checkpoint headers"; exit 77; }

# ---- checkpoints: mismatched dtype and shape, broken JSON --------------------------------
perl -0777 -pe 's/"conv2.bias":\{"dtype":"F32"/"conv2.bias":{"dtype":"I32"/' "$CK" >"$WORK/dtype.safetensors"
perl -0777 -pe 's/"shape":\[8,3,5,5\]/"shape":[3,8,5,5]/' "$CK" >"$WORK/shape.safetensors"
perl -0777 -pe 's/"fc1.bias":\{/"fc1.bias":[/' "$CK" >"$WORK/json.safetensors"
for f in dtype shape json; do cmp -s "$CK" "$WORK/$f.safetensors" && die "perl did not edit the $f header"; done
expect_fail 1 "dtype.safetensors: conv2.bias has dtype I32, expected F32" --batch eval --data "$D" --test-limit 8 --load "$WORK/dtype.safetensors"
expect_fail 1 "shape.safetensors: conv1.weight has shape [3,8,5,5], expected [8,3,5,5]" --batch eval --data "$D" --test-limit 8 --load "$WORK/shape.safetensors"
expect_fail 1 "json.safetensors: the header is not a valid JSON object" --batch train --data "$D" --train-limit 8 --test-limit 8 --epochs 1 --load "$WORK/json.safetensors"
[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || die "bad checkpoint: more than one line: $ERR"

# ---- atomic save: the write fails half-way (file-size limit, like a full disk) -----------
cp "$CK" "$WORK/old.safetensors"
(trap '' XFSZ; ulimit -f 100; exec "$CONVLAB" --batch train --data "$D" --train-limit 8 --test-limit 8 --epochs 1 \
    --save "$WORK/old.safetensors") >"$WORK/out" 2>"$WORK/err"
RC=$?
[ "$RC" -eq 1 ] || die "save past the file-size limit: exit $RC, expected 1: $(cat "$WORK/err")"
tail -n 1 "$WORK/err" | grep -q "old.safetensors: write failed (File too large); the previous file, if any, is untouched" ||
    die "save failure message: $(tail -n 1 "$WORK/err")"
cmp -s "$CK" "$WORK/old.safetensors" || die "a failed save damaged the previous checkpoint"
! ls "$WORK"/old.safetensors.tmp.* >/dev/null 2>&1 || die "a failed save left its temporary file"

# ---- lessons ----------------------------------------------------------------------------
lesson() { # NAME BODY: a lesson file with a valid header
    printf 'title.en = T\ntitle.zh = 标题\n%b' "$2" >"$WORK/$1.lesson"
}
check_fails() { # NAME FRAGMENT: lessons-check prints FRAGMENT and exits 1
    run_cl --batch lessons-check "$WORK/$1.lesson"
    [ "$RC" -eq 1 ] || die "lessons-check $1: exit $RC, expected 1: $OUT"
    printf '%s\n' "$OUT" | grep -qF -- "$2" || die "lessons-check $1: expected '$2' in: $OUT"
}
CAP='caption.en = a\ncaption.zh = 甲\n'
lesson syntax "[step]\nscene = conv\ninput 1 2\n"
check_fails syntax "syntax.lesson:5: expected 'key = value' or '[step]', got 'input 1 2'"
lesson section "[stpe]\n"
check_fails section "section.lesson:3: expected a section header '[step]', got '[stpe]'"
lesson kernel "[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1 1 1; 1 1 1; 1 1 1\n$CAP"
check_fails kernel "kernel.lesson:6: Conv2d: calculated output size (0 x 0) is too small for input 2 x 2"
lesson image "[step]\nscene = conv\nimage = 10000\nkernel = 1\n$CAP"
check_fails image "image.lesson:5: image = 10000 is beyond the CIFAR-10 test set; expected 0..9999"
run_cl --batch lessons-check "$WORK/missing.lesson"
[ "$RC" -eq 1 ] && printf '%s' "$OUT$ERR" | grep -q "missing.lesson: cannot open lesson file" || die "missing lesson: $RC $OUT $ERR"

# render of a step that cannot be computed: the frame shows the message, exit 1, one line
expect_fail 1 "kernel.lesson:6: Conv2d" --batch render --lesson "$WORK/kernel.lesson" --step 1 --out "$WORK/k.png"
[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || die "render of a broken step: more than one line: $ERR"
expect_fail 1 "stride = 0 is out of range; expected 1..32" --batch render --lesson lessons/03_stride.lesson --step 3 --set stride=0 --out "$WORK/s.png"
expect_fail 1 "image = 10000 is beyond the CIFAR-10 test set" --batch render --lesson "$WORK/image.lesson" --step 1 --data "$D" --out "$WORK/i.png"

# the data directory is missing: named with the fix, exit 1 when given ...
expect_fail 1 "$WORK/nodata: no such directory" --batch render --lesson lessons/05_multichannel.lesson --step 1 --data "$WORK/nodata" --out "$WORK/n.png"
printf '%s' "$ERR" | grep -q "make data" || die "no fix in: $ERR"
# ... and the default one missing: the step shows how to get it (as the window does), exit 0
here=$PWD bin=$(cd "$(dirname "$CONVLAB")" && pwd)/$(basename "$CONVLAB")
# (from another folder the default is the XDG place: engine/paths.h)
(cd "$WORK" && env -u CONVLAB_DATA XDG_DATA_HOME="$WORK/xdg" "$bin" --batch lesson --lesson "$here/lessons/05_multichannel.lesson" --dump --step 1) >"$WORK/out" 2>&1 ||
    die "dump without data failed: $(cat "$WORK/out")"
grep -q "^needs-data $WORK/xdg/convlab/cifar-10-batches-bin: no such directory.*fetch-data.*make data" "$WORK/out" || die "needs-data line: $(cat "$WORK/out")"
echo ok
