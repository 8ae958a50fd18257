#!/usr/bin/env bash
# --batch render --image FILE: a step that shows a CIFAR image shows the
# student's picture instead (the frame differs from the CIFAR one and names
# the file), works without CIFAR-10, keeps --image N as the image offset, and
# a bad picture is one line naming it with exit 1.
source tests/sh/cli_lib.bash
command -v convert >/dev/null || { echo "no ImageMagick convert (make deps)"; exit 77; }
convert -size 300x200 gradient:'#ff0000-#0000ff' "$WORK/pic.png"
L=lessons/05_multichannel.lesson
# Without CIFAR-10 too: run where data/ has none.
case $CONVLAB in /*) BIN=$CONVLAB ;; *) BIN=$PWD/$CONVLAB ;; esac
(cd "$WORK" && "$BIN" --batch render --lesson "$OLDPWD/$L" --step 1 --image pic.png --out pic_frame.png \
    >out 2>err) || die "render with a picture and no CIFAR failed: $(cat "$WORK/err")"
(cd "$WORK" && "$BIN" --batch render --lesson "$OLDPWD/$L" --step 1 --out nodata_frame.png >out 2>err)
cmp -s "$WORK/pic_frame.png" "$WORK/nodata_frame.png" && die "the picture did not change the frame"
# the picture's colours are in the frame: pure-ish red and blue pixels from the gradient's ends
convert "$WORK/pic_frame.png" -crop 400x400+200+100 -fuzz 12% -fill black +opaque '#f00000' -format '%[fx:mean>0.001]' info: |
    grep -q 1 || die "no red of the picture in the frame"
if [ -f "$REAL_DATA/test_batch.bin" ]; then
    run_cl --batch render --lesson "$L" --step 1 --image 3 --out "$WORK/offset.png"
    [ "$RC" -eq 0 ] || die "--image 3 (an offset) failed: $ERR"
fi
echo "not a picture" > "$WORK/bad.png"
expect_fail 1 "$WORK/bad.png: not a picture" --batch render --lesson "$L" --step 1 --image "$WORK/bad.png" --out "$WORK/x.png"
expect_fail 2 "--image needs 0..9999" --batch render --lesson "$L" --step 1 --image 12345 --out "$WORK/x.png"
echo ok
