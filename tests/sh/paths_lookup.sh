#!/usr/bin/env bash
# engine/paths.h from another folder: lessons and themes are found next to the
# binary; CIFAR-10 is looked up in --data, $CONVLAB_DATA, ./data/cifar-10-batches-bin,
# $XDG_DATA_HOME/convlab/cifar-10-batches-bin (else ~/.local/share/...), the
# first that exists; without any, the message names the download place and
# `convlab --batch fetch-data`. Uses fake (sparse) data dirs.
source tests/sh/cli_lib.bash
N_LESSONS=$(ls lessons/*.lesson | wc -l) # from the source tree, before any cd
BIN=$(cd "$(dirname "$CONVLAB")" && pwd)/$(basename "$CONVLAB")
mkdir -p "$WORK/cwd" "$WORK/home"
train() { (cd "$WORK/cwd" && env "$@" "$BIN" --batch train --train-limit 8 --test-limit 8 --epochs 1 >"$WORK/out" 2>"$WORK/err"); RC=$?; ERR=$(cat "$WORK/err"); }
base=(-u CONVLAB_DATA HOME="$WORK/home" XDG_DATA_HOME="$WORK/xdg")

# Resources from another folder.
out=$(cd "$WORK/cwd" && "$BIN" --batch lessons-check 2>/dev/null) || die "lessons-check from another folder: $out"
printf '%s' "$out" | grep -q "^OK: $N_LESSONS lesson files" || die "lessons-check from another folder said: $out"
(cd "$WORK/cwd" && "$BIN" --batch render --lesson 2 --step 1 --theme dark --out "$WORK/r.png" 2>/dev/null) || die "render by lesson number from another folder failed"
[ -s "$WORK/r.png" ] || die "render wrote nothing"

# Nothing anywhere: the download place and the fix.
train "${base[@]}"
[ $RC -eq 1 ] || die "no data: exit $RC"
last=$(printf '%s\n' "$ERR" | tail -n 1)
printf '%s' "$last" | grep -q "$WORK/xdg/convlab/cifar-10-batches-bin: no such directory" || die "no data: not the XDG place: $last"
printf '%s' "$last" | grep -q "convlab --batch fetch-data" || die "no data: no fix: $last"
# Without XDG_DATA_HOME (or a relative one): ~/.local/share.
train -u CONVLAB_DATA HOME="$WORK/home" XDG_DATA_HOME=relative/dir
printf '%s' "$ERR" | grep -q "$WORK/home/.local/share/convlab/cifar-10-batches-bin: no such directory" || die "no XDG: $ERR"

# XDG only.
make_fake_data "$WORK/xdg/convlab/cifar-10-batches-bin"
train "${base[@]}"
[ $RC -eq 0 ] || die "XDG data not used: $ERR"

# ./data exists: it wins over XDG (a broken one is reported, not skipped).
make_fake_data "$WORK/cwd/data/cifar-10-batches-bin"
truncate -s 5 "$WORK/cwd/data/cifar-10-batches-bin/test_batch.bin"
train "${base[@]}"
[ $RC -eq 1 ] && printf '%s' "$ERR" | grep -q "data/cifar-10-batches-bin/test_batch.bin: has 5 bytes" || die "./data not first: $RC $ERR"

# $CONVLAB_DATA wins over ./data; --data wins over $CONVLAB_DATA.
make_fake_data "$WORK/env"
train HOME="$WORK/home" XDG_DATA_HOME="$WORK/xdg" CONVLAB_DATA="$WORK/env"
[ $RC -eq 0 ] || die "\$CONVLAB_DATA not used: $ERR"
train HOME="$WORK/home" CONVLAB_DATA="$WORK/nowhere"
printf '%s' "$ERR" | grep -q "$WORK/nowhere: no such directory" || die "\$CONVLAB_DATA not first: $ERR"
(cd "$WORK/cwd" && CONVLAB_DATA="$WORK/nowhere" "$BIN" --batch train --data "$WORK/env" --train-limit 8 --test-limit 8 --epochs 1 >/dev/null 2>&1) \
    || die "--data does not win over \$CONVLAB_DATA"
echo ok
