#!/usr/bin/env bash
# --net FILE through train, eval and predict: a short run of LeNet-5 and the
# small VGG (BatchNorm2d) saves a checkpoint that records its net; eval and
# predict without --net rebuild it and print the numbers train printed; a
# wrong --net names the tensors that differ; a torch-style checkpoint of
# CNNNet (no record) still loads as CNNNet.
source tests/sh/cli_lib.bash
need_real_data
W=$WORK
convert_ok=$(command -v convert || true)
for n in lenet5 small_vgg; do
    run_cl --batch train --net assets/nets/$n.net --epochs 1 --train-limit 200 --test-limit 200 --log-every 25 \
        --save "$W/$n.safetensors" --threads 2
    [ "$RC" -eq 0 ] || die "train --net $n: exit $RC: $ERR"
    printf '%s\n' "$ERR" | grep -q "training $n (" || die "train does not name the net $n: $ERR"
    acc=$(printf '%s\n' "$OUT" | grep '^Accuracy of the network')
    run_cl --batch eval --load "$W/$n.safetensors" --test-limit 200
    [ "$RC" -eq 0 ] || die "eval of the $n checkpoint without --net: exit $RC: $ERR"
    [ "$(printf '%s\n' "$OUT" | grep '^Accuracy of the network')" = "$acc" ] || die "eval $n: '$OUT' vs train's '$acc'"
    run_cl --batch eval --load "$W/$n.safetensors" --net assets/nets/$n.net --test-limit 200
    [ "$(printf '%s\n' "$OUT" | grep '^Accuracy of the network')" = "$acc" ] || die "eval $n with --net: $OUT"
done
expect_fail 1 "leave out --net" --batch eval --load "$W/small_vgg.safetensors" --net assets/nets/cnnnet.net
printf '%s\n' "$ERR" | grep -q "missing tensors conv1.bias, conv2.bias and unexpected tensors bn1.weight" \
    || die "the mismatch does not name the tensors: $ERR"
# --load into a different --net for training is the same error, before any step.
expect_fail 1 "leave out --net" --batch train --load "$W/lenet5.safetensors" --net assets/nets/small_vgg.net \
    --train-limit 8 --test-limit 8
# Training on from the checkpoint's own net.
run_cl --batch train --load "$W/small_vgg.safetensors" --epochs 1 --train-limit 40 --test-limit 40 --save "$W/more.safetensors"
[ "$RC" -eq 0 ] || die "train --load small_vgg without --net: exit $RC: $ERR"
printf '%s\n' "$ERR" | grep -q "training small_vgg (280314 parameters)" || die "resumed run is not small_vgg: $ERR"
if [ -n "$convert_ok" ]; then
    dd if="$REAL_DATA/test_batch.bin" bs=3073 skip=0 count=1 status=none | tail -c 3072 > "$W/rec.rgb"
    convert -size 32x32 -depth 8 -interlace plane "rgb:$W/rec.rgb" "$W/cat.png"
    run_cl --batch predict --load "$W/lenet5.safetensors" --image "$W/cat.png" --explain "$W/ex.png"
    [ "$RC" -eq 0 ] || die "predict with the lenet5 checkpoint: exit $RC: $ERR"
    printf '%s\n' "$OUT" | grep -q "cat.png: [a-z]* [0-9.]* %, " || die "predict line: $OUT"
    [ -s "$W/ex.png" ] || die "no --explain PNG for lenet5"
    one=$OUT
    run_cl --batch predict --load "$W/lenet5.safetensors" --net assets/nets/lenet5.net --image "$W/cat.png"
    [ "$OUT" = "$one" ] || die "predict --net differs: $OUT vs $one"
    expect_fail 1 "leave out --net" --batch predict --load "$W/lenet5.safetensors" --net assets/nets/cnnnet.net \
        --image "$W/cat.png"
fi
# Lesson 8 walks the chosen net: its table, formulas and parameter counts.
run_cl --batch lesson --lesson lessons/08_cnnnet.lesson --dump --step 1 --net assets/nets/lenet5.net
[ "$RC" -eq 0 ] || die "lesson 8 --net lenet5: exit $RC: $ERR"
printf '%s\n' "$OUT" | grep -qx "net lenet5" || die "lesson 8 dump does not name lenet5: $OUT"
printf '%s\n' "$OUT" | grep -q "^layer conv1 out 6x28x28 params 456 " || die "lesson 8: conv1 of LeNet-5: $OUT"
printf '%s\n' "$OUT" | grep -q "^params_total 62006 " || die "lesson 8: LeNet-5 total: $OUT"
run_cl --batch render --lesson lessons/08_cnnnet.lesson --step 3 --net assets/nets/small_vgg.net --out "$W/l8.png"
[ "$RC" -eq 0 ] && [ -s "$W/l8.png" ] || die "render lesson 8 --net small_vgg: exit $RC: $ERR"
printf '(conv1): Conv2d(3, 6, 5)\nFlatten()\n(fc1): Linear(100, 10)\n' > "$W/bad.net"
expect_fail 1 "bad.net:3: mat1 and mat2 shapes cannot be multiplied (1x4704 and 100x10)" \
    --batch render --lesson lessons/08_cnnnet.lesson --step 1 --net "$W/bad.net" --out "$W/x.png"
expect_fail 1 "bad.net:3: mat1 and mat2 shapes cannot be multiplied (4x4704 and 100x10)" \
    --batch train --net "$W/bad.net" --train-limit 8 --test-limit 8
echo ok
