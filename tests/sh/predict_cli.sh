#!/usr/bin/env bash
# --batch predict: CIFAR test images blown up 8x with ImageMagick (PNG, BMP,
# TGA, lossless WebP; square and padded to non-square) give exactly the originals'
# probabilities; the line format; --explain writes a PNG; and every bad
# picture (not a picture, empty, truncated PNG/JPEG, a 30000x30000 header,
# CMYK JPEG, a folder, a missing file) gets one line naming it, exit 1, while
# 16-bit PNGs, grey, transparent and animated GIF pictures load with a note.
source tests/sh/cli_lib.bash
need_real_data
command -v convert >/dev/null || { echo "no ImageMagick convert (make deps)"; exit 77; }
W=$WORK
# A briefly trained net, so the probabilities differ clearly between pictures.
CKPT=$W/net.safetensors
"$CONVLAB" --batch train --epochs 1 --train-limit 3000 --test-limit 100 --save "$CKPT" >/dev/null 2>&1 \
    || die "could not train the checkpoint"

for i in 0 1 2 3; do
    dd if="$REAL_DATA/test_batch.bin" bs=3073 skip="$i" count=1 status=none | tail -c 3072 > "$W/rec$i.rgb"
    convert -size 32x32 -depth 8 -interlace plane "rgb:$W/rec$i.rgb" "$W/orig$i.png"
    convert "$W/orig$i.png" -filter point -resize 800% "$W/big$i.png"
    convert "$W/big$i.png" -background '#ff0000' -gravity center -extent 256x400 "$W/tall$i.png"
    convert "$W/big$i.png" -background '#00ff00' -gravity center -extent 310x256 "$W/wide$i.bmp"
    # TGA written by hand (ImageMagick 6 flags its TGAs bottom-up but stores
    # the top row first): 24-bit uncompressed, 256x256, origin top-left (0x20).
    { printf '\0\0\2\0\0\0\0\0\0\0\0\0\0\1\0\1\30\40'; convert "$W/big$i.png" bgr:-; } > "$W/big$i.tga"
    convert "$W/big$i.png" -define webp:lossless=true "$W/big$i.webp"
done

run_cl --batch predict --load "$CKPT" --image "$W"/orig{0,1,2,3}.png
[ "$RC" -eq 0 ] || die "predict exit $RC: $ERR"
want=$OUT
[ "$(printf '%s\n' "$want" | wc -l)" -eq 4 ] || die "expected 4 lines, got: $want"
printf '%s\n' "$want" | grep -Eq "^$W/orig0.png: [a-z]+ [0-9]+\.[0-9] %, [a-z]+ [0-9]+\.[0-9] %, [a-z]+ [0-9]+\.[0-9] %$" \
    || die "line format: $want"
for kind in big tall wide tga webp; do
    case $kind in big) f=big%d.png ;; tall) f=tall%d.png ;; wide) f=wide%d.bmp ;; tga) f=big%d.tga ;; webp) f=big%d.webp ;; esac
    files=$(for i in 0 1 2 3; do printf "$W/$f " "$i"; done)
    # shellcheck disable=SC2086
    run_cl --batch predict --load "$CKPT" --image $files
    [ "$RC" -eq 0 ] || die "predict $kind exit $RC: $ERR"
    [ "$(printf '%s\n' "$OUT" | sed 's/^[^:]*: //')" = "$(printf '%s\n' "$want" | sed 's/^[^:]*: //')" ] \
        || die "8x $kind pictures predict differently from the originals:\n$OUT\nvs\n$want"
done

# --explain, repeated --image and a positional list mixed
run_cl --batch predict --load "$CKPT" --image "$W/big0.png" --explain "$W/ex.png" --image "$W/tall1.png"
[ "$RC" -eq 0 ] && [ -s "$W/ex.png" ] || die "--explain: exit $RC, $ERR"
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 2 ] || die "two --image flags: $OUT"

# Bad pictures: one line naming the file and the fix, exit 1; the good one still predicted.
: > "$W/empty.png"
echo "not a picture" > "$W/notes.png"
head -c 3000 "$W/big0.png" > "$W/cut.png"
convert "$W/big0.png" -quality 90 "$W/ok.jpg"
head -c 2000 "$W/ok.jpg" > "$W/cut.jpg"
convert "$W/big0.png" -colorspace CMYK "$W/cmyk.jpg"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x75\x30\x00\x00\x75\x30\x08\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00IEND\xaeB`\x82' > "$W/huge.png"
mkdir -p "$W/folder.png"
convert -delay 10 "$W/orig0.png" "$W/orig1.png" -define webp:lossless=true "$W/anim.webp"
for case in "empty.png:the file is empty" "notes.png:not a picture" "cut.png:the PNG file is truncated" \
            "cut.jpg:the JPEG file is truncated" "cmyk.jpg:a CMYK JPEG" "huge.png:the PNG header says 30000 x 30000 pixels, above" \
            "folder.png:is a folder" "missing.png:cannot open" "anim.webp:an animated WebP"; do
    f=${case%%:*} frag=${case#*:}
    run_cl --batch predict --load "$CKPT" --image "$W/$f" "$W/orig0.png"
    [ "$RC" -eq 1 ] || die "$f: exit $RC, expected 1"
    [ "$(printf '%s\n' "$ERR" | grep -c "$W/$f")" -eq 1 ] || die "$f: expected one stderr line naming it: $ERR"
    printf '%s\n' "$ERR" | grep -F "$W/$f: $frag" >/dev/null || die "$f: expected '$frag' in: $ERR"
    printf '%s\n' "$OUT" | grep -q "^$W/orig0.png: " || die "$f: the good picture was not predicted: $OUT"
done

# Accepted with a note on stderr.
convert "$W/big0.png" -depth 16 "PNG48:$W/deep.png"
convert "$W/big0.png" -colorspace Gray "$W/grey.png"
convert "$W/big0.png" -alpha set -channel A -evaluate set 50% "$W/alpha.png"
convert -delay 10 "$W/orig0.png" "$W/orig1.png" "$W/anim.gif"
convert "$W/orig0.png" -resize 20x20 "$W/small.png"
convert -size 64x64 xc:white -fill red -draw 'circle 32,32 32,10' -transparent white "$W/clear.gif"
for case in "deep.png:16 bits per channel, reduced to 8" "grey.png:grey: the same value" \
            "alpha.png:transparent parts shown over grey 128" "anim.gif:animated GIF (2 frames): the first frame" \
            "small.png:scaled up with nearest neighbour" "clear.gif:transparent parts shown over grey 128" "ok.jpg:"; do
    f=${case%%:*} frag=${case#*:}
    run_cl --batch predict --load "$CKPT" --image "$W/$f"
    [ "$RC" -eq 0 ] || die "$f: exit $RC: $ERR"
    [ -z "$frag" ] || printf '%s\n' "$ERR" | grep -F "$frag" >/dev/null || die "$f: expected the note '$frag': $ERR"
done
run_cl --batch predict --load "$CKPT" --image "$W/deep.png" "$W/big0.png"
[ "$(printf '%s\n' "$OUT" | sed 's/^[^:]*: //' | sort -u | wc -l)" -eq 1 ] || die "16-bit copy predicts differently: $OUT"

# Usage errors: exit 2.
expect_fail 2 "--load CKPT is required" --batch predict --image "$W/orig0.png"
expect_fail 2 "--image FILE is required" --batch predict --load "$CKPT"
expect_fail 2 "--image needs a value (FILE...)" --batch predict --load "$CKPT" --image
expect_fail 1 "missing.safetensors" --batch predict --load "$W/missing.safetensors" --image "$W/orig0.png"
echo ok
