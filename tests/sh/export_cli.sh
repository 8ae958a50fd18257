#!/usr/bin/env bash
# --batch export: the GIF has one frame per step plus one per window position of
# the conv/pool steps with a window (counted from --batch lesson --dump), loops,
# holds each step's last frame 2 s, and its frames are the render frames; the PDF
# has one page per step with the caption and text as text (English and Chinese);
# png writes one file per step, identical to --batch render. Bad output paths,
# a file-size limit (a full disk) and SIGINT: one line, nothing left at PATH.
source tests/sh/cli_lib.bash
for t in identify convert compare pdfinfo pdftotext; do
    command -v $t >/dev/null || { echo "$t is not installed (make deps: imagemagick, poppler-utils)"; exit 77; }
done
L=lessons/02_convolution.lesson
export CONVLAB_DATA="$WORK/no-data"   # the same (data-less) frames on every machine
ex() { "$CONVLAB" --batch export --lesson $L --size 640x400 "$@" >"$WORK/out" 2>"$WORK/err"; RC=$?; ERR=$(cat "$WORK/err"); }

# Expected frames from the dump: a conv/pool step with a window cell sweeps OH*OW cells.
expect=$("$CONVLAB" --batch lesson --lesson $L --dump 2>/dev/null | awk '
    /^== step/ { if (n) total += (win ? oh*ow : 1); n++; win = 0; kind = "" }
    /^kind / { kind = $2 }
    /^output [0-9]+x[0-9]+:/ { split($2, d, "x"); oh = d[1]; ow = d[2] + 0 }
    /^window [0-9]+ [0-9]+/ { if (kind == "conv" || kind == "pool") win = 1 }
    END { total += (win ? oh*ow : 1); print total }')
steps=$("$CONVLAB" --batch lesson --lesson $L --dump 2>/dev/null | sed -n 's/^steps //p')
[ "$expect" -gt "$steps" ] || die "lesson 2 should have sweeps ($expect frames for $steps steps)"

ex --format gif --out "$WORK/l.gif" --fps 4
[ $RC -eq 0 ] || die "gif export: $RC $ERR"
n=$(identify "$WORK/l.gif" | wc -l)
[ "$n" -eq "$expect" ] || die "GIF has $n frames, expected $expect"
grep -q "wrote $WORK/l.gif: $expect frames" "$WORK/out" || die "summary: $(cat "$WORK/out")"
identify -verbose "$WORK/l.gif[0]" | grep -q "Iterations: 0" || die "the GIF does not loop forever"
delays=$(identify -format '%T\n' "$WORK/l.gif" | sort -n | uniq -c | tr -s ' ')
printf '%s' "$delays" | grep -q " $steps 200$" || die "not one 2 s frame per step: $delays"
printf '%s' "$delays" | grep -q " $((expect - steps)) 25$" || die "sweep frames are not 1/4 s: $delays"
# frame 0 (step 1, no window) is the render frame; the palette keeps it close (PSNR dB)
convert "$WORK/l.gif" -coalesce "$WORK/f_%03d.png"
"$CONVLAB" --batch render --lesson $L --step 1 --size 640x400 --out "$WORK/r1.png" 2>/dev/null || die "render failed"
psnr=$(compare -metric PSNR "$WORK/r1.png" "$WORK/f_000.png" null: 2>&1 | cut -d' ' -f1)
awk -v p="$psnr" 'BEGIN { exit !(p == "inf" || p > 35) }' || die "GIF frame 0 differs from the render: PSNR $psnr dB"
[ "$(identify -format '%w x %h' "$WORK/f_010.png")" = "640 x 400" ] || die "frame size is not --size"
[ "$(md5sum < "$WORK/f_010.png")" != "$(md5sum < "$WORK/f_011.png")" ] || die "sweep frames 10 and 11 are the same picture"

for lang in en zh; do
    ex --format pdf --lang $lang --out "$WORK/l-$lang.pdf"
    [ $RC -eq 0 ] || die "pdf export ($lang): $RC $ERR"
    pages=$(pdfinfo "$WORK/l-$lang.pdf" | sed -n 's/^Pages: *//p')
    [ "$pages" = "$steps" ] || die "PDF ($lang) has $pages pages, expected $steps"
    caption=$(sed -n "s/^caption\.$lang = //p" $L | sed -n 3p)
    [ -n "$caption" ] || die "no third caption.$lang in $L"
    pdftotext -f 3 -l 3 "$WORK/l-$lang.pdf" - | grep -qF "$caption" || die "page 3 of the $lang PDF lacks its caption '$caption'"
    pdftotext "$WORK/l-$lang.pdf" - | grep -q "\*\*\|_{" && die "lesson markup left in the $lang PDF text"
done

ex --format png --out "$WORK/pngs"
[ $RC -eq 0 ] || die "png export: $RC $ERR"
[ "$(ls "$WORK/pngs" | wc -l)" = "$steps" ] && [ -f "$WORK/pngs/step-01.png" ] || die "png: $(ls "$WORK/pngs")"
cmp -s "$WORK/pngs/step-01.png" "$WORK/r1.png" || die "step-01.png differs from --batch render --step 1"

# Bad input: one line, exit 1 or 2, nothing at the output path.
touch "$WORK/afile"
expect_fail 1 "$WORK/afile/x.gif: cannot write there" --batch export --lesson $L --format gif --out "$WORK/afile/x.gif"
expect_fail 1 "$WORK/afile: is not a folder" --batch export --lesson $L --format png --out "$WORK/afile"
expect_fail 2 "--format" --batch export --lesson $L --format jpg --out "$WORK/x.jpg"
expect_fail 2 "needs --out" --batch export --lesson $L --format gif
# A full disk: a 200 KB file-size limit.
for f in gif pdf; do
    (ulimit -f 200; "$CONVLAB" --batch export --lesson $L --format $f --out "$WORK/full.$f" >/dev/null 2>"$WORK/err"); RC=$?
    [ $RC -eq 1 ] || die "$f past the size limit: exit $RC ($(cat "$WORK/err"))"
    tail -n 1 "$WORK/err" | grep -q "disk may be full\|free some space" || die "$f size limit said: $(cat "$WORK/err")"
    [ ! -e "$WORK/full.$f" ] && ! ls "$WORK"/.full.$f.* >/dev/null 2>&1 || die "$f: a file was left after the write failed"
done
(ulimit -f 8; "$CONVLAB" --batch export --lesson $L --format png --out "$WORK/fullpng" >/dev/null 2>"$WORK/err"); RC=$?
[ $RC -eq 1 ] && [ -z "$(ls -A "$WORK/fullpng")" ] || die "png past the size limit: exit $RC, left: $(ls -A "$WORK/fullpng")"
# SIGINT mid-export.
"$CONVLAB" --batch export --lesson $L --format gif --out "$WORK/int.gif" >/dev/null 2>"$WORK/err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid; RC=$?
[ $RC -eq 130 ] || die "SIGINT: exit $RC ($(cat "$WORK/err"))"
[ ! -e "$WORK/int.gif" ] && ! ls "$WORK"/.int.gif.* >/dev/null 2>&1 || die "SIGINT left a file"
echo "ok ($expect GIF frames, $steps PDF pages)"
