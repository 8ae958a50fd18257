#!/usr/bin/env bash
# Lessons 8 and 14-16 follow --net FILE: for every shipped net every step
# computes, its texts name only that net's layers (no CNNNet-only conv1/pool1/
# relu1/fc2 ... unless the net has them, no "CNNNet" except in the two texts
# marked `about = cnnnet`), no {key} is left unexpanded, the receptive field
# from the one-hot backward is the formula's box, lesson 15 shows the first
# Conv2d and lesson 16's Grad-CAM the last one; one frame per lesson and net
# renders (1280x800 en, 800x600 zh).
source tests/sh/cli_lib.bash
need_real_data
W=$WORK
png_size() { /usr/bin/python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]) if d[:8]==b"\x89PNG\r\n\x1a\n" else "bad")' "$1"; }
# The net's module names: "(conv1): Conv2d(...)" -> conv1.
net_names() { sed -n 's/^(\([^)]*\)):.*/\1/p' "$1" | sort -u; }
# check_texts NET LESSON: every step's caption/text lines in the dump.
check_texts() {
    local net=$1 lesson=$2 model
    model=$(basename "$net" .net)
    run_cl --batch lesson --lesson "$lesson" --dump --net "$net"
    [ "$RC" -eq 0 ] || die "$lesson --net $model: exit $RC: $ERR"
    printf '%s\n' "$OUT" | grep -q '^error ' && die "$lesson --net $model: $(printf '%s\n' "$OUT" | grep '^error ')"
    printf '%s\n' "$OUT" > "$W/dump"
    # one file per step, so that an `about cnnnet` step is judged on its own
    awk -v d="$W" '/^== step/{n++} {print > (d "/step" n)}' "$W/dump"
    local names f tok
    names=$(net_names "$net")
    for f in "$W"/step[0-9]*; do
        grep -E '^(caption|text)\.(en|zh) ' "$f" > "$W/texts" || true
        if grep -E '(^|[^_^])\{[a-z_]+\}' "$W/texts" >/dev/null; then
            die "$lesson --net $model: {key} left in: $(grep -E '(^|[^_^])\{[a-z_]+\}' "$W/texts" | head -1)"
        fi
        grep -qx 'about cnnnet' "$f" && continue
        for tok in $(grep -oE '\b(conv|pool|relu|fc|bn|drop)[0-9]+\b' "$W/texts" | sort -u); do
            printf '%s\n' "$names" | grep -qx "$tok" || die "$lesson --net $model: the text names $tok, which $model has not: $(grep -m1 "$tok" "$W/texts")"
        done
        if [ "$model" != cnnnet ] && grep -q 'CNNNet' "$W/texts"; then
            die "$lesson --net $model: the text speaks of CNNNet: $(grep -m1 CNNNet "$W/texts")"
        fi
    done
}
for net in assets/nets/*.net; do
    model=$(basename "$net" .net)
    for lesson in lessons/08_cnnnet.lesson lessons/14_receptive_field.lesson lessons/15_conv1_gradients.lesson \
                  lessons/16_your_picture.lesson; do
        check_texts "$net" "$lesson"
    done
    # Lesson 14: the backward's field is the formula's box on every step.
    run_cl --batch lesson --lesson lessons/14_receptive_field.lesson --dump --net "$net"
    got=$(printf '%s\n' "$OUT" | sed -n 's/^field \(rows [0-9.]* cols [0-9.]*\) size \([0-9x]*\).*/\1 \2/p')
    want=$(printf '%s\n' "$OUT" | sed -n 's/^formula_box \(rows [0-9.]* cols [0-9.]*\) size \([0-9x]*\).*/\1 \2/p')
    [ -n "$got" ] && [ "$got" = "$want" ] || die "lesson 14 --net $model: backward fields '$got' vs formula '$want'"
    # Its spatial layers are the net's own, in file order.
    layers=$(printf '%s\n' "$OUT" | awk '/^== step 1\//{on=1} /^== step 2\//{on=0} on && /^rf_layer/{print $2}' | tr '\n' ' ')
    file_layers=$(grep -E '^\([^)]*\): *(Conv2d|MaxPool2d|AvgPool2d)' "$net" | sed 's/^(\([^)]*\)).*/\1/' | tr '\n' ' ')
    [ "$layers" = "$file_layers" ] || die "lesson 14 --net $model: spatial layers '$layers', the file has '$file_layers'"
    # Frames: one step of each lesson, en at 1280x800 and zh at 800x600.
    for spec in 08_cnnnet:5:en:1280x800 14_receptive_field:4:zh:800x600 15_conv1_gradients:1:en:1280x800 \
                16_your_picture:6:zh:800x600; do
        IFS=: read -r l k lang size <<<"$spec"
        run_cl --batch render --lesson "lessons/$l.lesson" --step "$k" --lang "$lang" --size "$size" --net "$net" \
            --out "$W/$model-$l.png"
        [ "$RC" -eq 0 ] || die "render $l step $k --net $model: exit $RC: $ERR"
        [ "$(png_size "$W/$model-$l.png")" = "$size" ] || die "render $l --net $model: not a $size PNG"
    done
done
# What each net shows, by name: the small VGG and LeNet-5.
run_cl --batch lesson --lesson lessons/15_conv1_gradients.lesson --dump --step 1 --net assets/nets/small_vgg.net
printf '%s\n' "$OUT" | grep -qx 'layer conv1 filters 16 slices 3 kernel 3 3 bias 0' || die "lesson 15 small_vgg: $(printf '%s\n' "$OUT" | grep '^layer')"
run_cl --batch lesson --lesson lessons/15_conv1_gradients.lesson --dump --step 1 --net assets/nets/lenet5.net
printf '%s\n' "$OUT" | grep -qx 'layer conv1 filters 6 slices 3 kernel 5 5 bias 1' || die "lesson 15 lenet5: $(printf '%s\n' "$OUT" | grep '^layer')"
run_cl --batch lesson --lesson lessons/16_your_picture.lesson --dump --step 6 --net assets/nets/small_vgg.net
printf '%s\n' "$OUT" | grep -q ' layer conv4$' || die "lesson 16 small_vgg: Grad-CAM not at conv4: $(printf '%s\n' "$OUT" | grep '^top')"
run_cl --batch lesson --lesson lessons/16_your_picture.lesson --dump --step 6 --net assets/nets/lenet5.net
printf '%s\n' "$OUT" | grep -q ' layer conv3$' || die "lesson 16 lenet5: Grad-CAM not at conv3"
run_cl --batch lesson --lesson lessons/14_receptive_field.lesson --dump --step 4 --net assets/nets/small_vgg.net
printf '%s\n' "$OUT" | grep -q '^layer pool map 8x8 cell 4 4$' || die "lesson 14 small_vgg last layer: $(printf '%s\n' "$OUT" | grep '^layer')"
printf '%s\n' "$OUT" | grep -q '^field rows 10..25 cols 10..25 size 16x16 formula 16$' || die "lesson 14 small_vgg field: $OUT"
run_cl --batch lesson --lesson lessons/08_cnnnet.lesson --dump --step 5 --net assets/nets/pytorch_tutorial.net
printf '%s\n' "$OUT" | grep -qx 'focus_mapped pool1 pool' || die "lesson 8 tutorial: pool1 does not map to its pool"
printf '%s\n' "$OUT" | grep -q '^text.en \*\*MaxPool2d(2,.\{1,3\}2)\*\* keeps one value' || die "lesson 8 tutorial step 5 text: $(printf '%s\n' "$OUT" | grep '^text.en')"
# A bad layer choice in a lesson is one clear line.
printf 'title.en = t\ntitle.zh = t\n[step]\nscene = receptive_field\nlayer = pool9\ncaption.en = c\ncaption.zh = c\n' > "$W/bad.lesson"
run_cl --batch lesson --lesson "$W/bad.lesson" --dump
[ "$RC" -eq 1 ] || die "a bad layer choice: exit $RC"
printf '%s\n' "$OUT" | grep -qF "bad.lesson:5: layer = pool9: expected a spatial layer of the net (conv1, pool1, conv2, pool2), its number 1-4, or last" \
    || die "a bad layer choice: $OUT"
echo ok
