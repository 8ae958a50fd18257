#!/usr/bin/env bash
# --batch net-info and --batch export-pytorch: every shipped net prints its
# table and total and exports a module; a bad net file exits 1 with one
# "FILE:LINE: message" line; bad usage exits 2. Python is not needed here
# (tests/gen_netfile_fixtures.py runs the export in torch).
source tests/sh/cli_lib.bash
declare -A TOTAL=([cnnnet]=76,922 [pytorch_tutorial]=62,006 [lenet5]=62,006 [small_vgg]=280,314 [dropout]=268,650)
for n in "${!TOTAL[@]}"; do
    f=assets/nets/$n.net
    run_cl --batch net-info --net "$f"
    [ "$RC" -eq 0 ] || die "net-info $f: exit $RC: $ERR"
    printf '%s\n' "$OUT" | tail -n 1 | grep -qx "total parameters: ${TOTAL[$n]}" || die "net-info $f: total is not ${TOTAL[$n]}: $OUT"
    layers=$(grep -cv '^\s*\(#\|$\)' "$f")
    rows=$(printf '%s\n' "$OUT" | grep -c '^ *[0-9]\+  ')
    [ "$rows" -eq "$layers" ] || die "net-info $f: $rows rows for $layers layers"
    run_cl --batch export-pytorch --net "$f"
    [ "$RC" -eq 0 ] || die "export-pytorch $f: exit $RC: $ERR"
    for word in "import torch" "class Net(nn.Module):" "def forward(self, x):" "        return x"; do
        printf '%s\n' "$OUT" | grep -qF -- "$word" || die "export-pytorch $f lacks '$word'"
    done
done
run_cl --batch net-info --net assets/nets/pytorch_tutorial.net --tensors
printf '%s\n' "$OUT" | grep -qx '  conv1.weight F32 \[6, 3, 5, 5\]' || die "--tensors lacks conv1.weight: $OUT"
printf '%s\n' "$OUT" | grep -q '^  12  fc1    Linear(16 \* 5 \* 5, 120)  \[4, 120\] *48,120$' || die "the fc1 row: $OUT"
run_cl --batch export-pytorch --net assets/nets/pytorch_tutorial.net
printf '%s\n' "$OUT" | grep -qx '        self.pool = nn.MaxPool2d(2, stride=2)  # line 7: MaxPool2d(2, 2)' || die "export: pool: $OUT"
[ "$(printf '%s\n' "$OUT" | grep -c 'x = self.pool(x)')" -eq 2 ] || die "export: the pool is not used twice"

printf '(conv1): Conv2d(3, 6, 5)\nReLU()\n(pool): MaxPool2d(2, 2)\n(conv2): Conv2d(6, 16, 5)\n(pool): MaxPool2d(2, 2)\nFlatten()\n(fc1): Linear(576, 120)\n(fc2): Linear(120, 10)\n' > "$WORK/bad.net"
expect_fail 1 "convlab: $WORK/bad.net:7: mat1 and mat2 shapes cannot be multiplied (4x400 and 576x120)" \
    --batch net-info --net "$WORK/bad.net"
[ -z "$OUT" ] || die "a bad net printed a table: $OUT"
expect_fail 1 "bad.net:7: mat1 and mat2 shapes cannot be multiplied (8x400 and 576x120)" \
    --batch net-info --net "$WORK/bad.net" --batch-size 8
expect_fail 1 "bad.net:7: mat1 and mat2" --batch export-pytorch --net "$WORK/bad.net"
[ -z "$OUT" ] || die "export-pytorch of a bad net printed: $OUT"
printf '(conv1): Conv2d(3, 6, 5, strid=2)\n' > "$WORK/kw.net"
expect_fail 1 "kw.net:1: Conv2d.__init__() got an unexpected keyword argument 'strid'" --batch net-info --net "$WORK/kw.net"
expect_fail 1 "$WORK/none.net: cannot open net file" --batch net-info --net "$WORK/none.net"
expect_fail 2 "net-info: --net FILE is required" --batch net-info
expect_fail 2 "--batch-size" --batch net-info --net assets/nets/cnnnet.net --batch-size 0
expect_fail 2 "export-pytorch" --batch export-pytorch --net assets/nets/cnnnet.net --bogus
echo ok
