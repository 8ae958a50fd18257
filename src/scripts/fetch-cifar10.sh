#!/usr/bin/env bash
# fetch-cifar10.sh DEST_DIR [NAME]: downloads CIFAR-10 (binary version) with curl,
# verifies its checksum, unpacks it into a temporary directory inside DEST_DIR,
# checks every file and only then renames it to DEST_DIR/NAME (default
# cifar-10-batches-bin). So a directory of that name is always complete;
# anything half-done is hidden. `make data` and `convlab --batch fetch-data`
# both run this script (the installed copy lives in PREFIX/share/convlab/scripts/).
#
#   CIFAR10_URL     source (default: the official tarball; file:// works)
#   CIFAR10_SHA256  expected SHA-256 of the tarball (wins over CIFAR10_MD5)
#   CIFAR10_MD5     expected MD5 (default: the official tarball's)
#   CONVLAB_FETCH_CMD  the command named in "run ... again" (default make data)
#
# Every failure prints one line that says what went wrong and how to fix it.
# A failed transfer keeps the partial download so the next run resumes it; a
# checksum mismatch deletes it. Exit status: 0 ok (or already complete), 1 failure.
set -u

DEFAULT_URL="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
DEFAULT_MD5="c32a1d4ab5d03f1284b67883e8d87530"
BIN_FILES="data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin"
BIN_SIZE=30730000   # 10,000 records x (1 label byte + 3,072 pixel bytes)
SUBDIR="cifar-10-batches-bin"

me="fetch-cifar10"
fail() { echo "$me: $*" >&2; exit 1; }

[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: $0 DEST_DIR [NAME]  (e.g. $0 data; env CIFAR10_URL, CIFAR10_SHA256, CIFAR10_MD5)" >&2; exit 2; }
dest=$1
name=${2:-$SUBDIR}
again=${CONVLAB_FETCH_CMD:-make data}
url=${CIFAR10_URL:-$DEFAULT_URL}
if [ -n "${CIFAR10_SHA256:-}" ]; then
    algo=sha256; want=${CIFAR10_SHA256,,}
else
    algo=md5; want=${CIFAR10_MD5:-$DEFAULT_MD5}; want=${want,,}
fi

final="$dest/$name"
tarball="$dest/cifar-10-binary.tar.gz"   # complete download, not yet verified
part="$tarball.part"                      # transfer in progress (resumable)
headers="$dest/.fetch.headers"            # the server's headers: the window's progress bar reads the size

# check_dir DIR: prints the first problem found (empty output: DIR is complete).
check_dir() {
    local d=$1 f size names
    [ -d "$d" ] || { echo "$d does not exist"; return; }
    for f in $BIN_FILES; do
        [ -f "$d/$f" ] || { echo "$d/$f is missing"; return; }
        size=$(stat -c %s "$d/$f" 2>/dev/null || echo 0)
        [ "$size" = "$BIN_SIZE" ] || { echo "$d/$f has $size bytes, expected $BIN_SIZE"; return; }
    done
    [ -f "$d/batches.meta.txt" ] || { echo "$d/batches.meta.txt is missing"; return; }
    names=$(grep -c '[^[:space:]]' "$d/batches.meta.txt" 2>/dev/null)
    [ "$names" = 10 ] || { echo "$d/batches.meta.txt has ${names:-0} class names, expected 10"; return; }
}

# ---- already complete? -------------------------------------------------------

mkdir -p "$dest" 2>/dev/null || fail "cannot create $dest; check that its parent exists and is writable"
[ -w "$dest" ] || fail "$dest is not writable; fix its permissions or choose another directory"

# One fetch at a time per destination (two `make data` in parallel would race).
exec 9>"$dest/.fetch.lock" || fail "cannot create $dest/.fetch.lock; check that $dest is writable"
if command -v flock >/dev/null 2>&1; then
    flock -n 9 || fail "another fetch into $dest is running; wait for it to finish"
fi

problem=$(check_dir "$final")
if [ -z "$problem" ]; then
    rm -f "$tarball" "$part" "$headers"   # leftovers of an earlier failed run are of no use now
    echo "$me: CIFAR-10 is already complete in $final; nothing to do"
    exit 0
fi
if [ -d "$final" ]; then
    echo "$me: $problem; fetching a fresh copy to replace it" >&2
fi

# Leftovers of runs that were killed outright (SIGKILL, power loss).
rm -rf "$dest"/.unpack.* 2>/dev/null

# ---- download ----------------------------------------------------------------

if [ ! -f "$tarball" ]; then
    command -v curl >/dev/null 2>&1 || fail "curl is not installed; run 'make deps' (or apt-get install curl)"
    if [ -t 2 ]; then progress=--progress-bar; else progress=-sS; fi
    echo "$me: downloading $url" >&2
    curl_err=$(mktemp)
    http_code=$(curl -fL $progress --retry 2 --connect-timeout 30 -C - -D "$headers" -o "$part" -w '%{http_code}' "$url" 2>"$curl_err")
    rc=$?
    rm -f "$headers"
    msg=$(grep -v '^[[:space:]]*$' "$curl_err" | grep -v '#' | tail -n 1)
    rm -f "$curl_err"
    # A resume of an already complete file gets HTTP 416: the part is whole.
    if [ $rc -ne 0 ] && ! { [ "$http_code" = 416 ] && [ -s "$part" ]; }; then
        [ -s "$part" ] || rm -f "$part"
        if [ -s "$part" ]; then keep="the partial download is kept and resumes"; else keep="nothing was kept"; fi
        [ $rc -eq 23 ] && fail "writing $part failed (curl exit 23: ${msg#curl: (23) }); the disk may be full: free about 350 MB and run '$again' again ($keep)"
        fail "download of $url failed (curl exit $rc${msg:+: ${msg#curl: ($rc) }}); check the network or CIFAR10_URL and run '$again' again ($keep)"
    fi
    mv -f "$part" "$tarball" || fail "cannot rename $part to $tarball; check $dest"
fi

# ---- verify ------------------------------------------------------------------

echo "$me: verifying the $algo checksum of $tarball" >&2
# A missing tool must not look like a mismatch (which would delete a good download).
command -v "${algo}sum" >/dev/null 2>&1 || fail "${algo}sum is not installed; install coreutils and run '$again' again"
got=$(${algo}sum "$tarball" 2>/dev/null | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
    rm -f "$tarball"
    fail "$tarball has $algo $got, expected $want; it was deleted: run '$again' again, or check CIFAR10_URL and CIFAR10_SHA256/CIFAR10_MD5"
fi

# ---- unpack into a hidden temporary directory, check, then rename --------------

tmp=$(mktemp -d "$dest/.unpack.XXXXXX") || fail "cannot create a temporary directory in $dest; check free space and permissions"
trap 'rm -rf "$tmp"' EXIT
trap 'rm -rf "$tmp"; echo "$me: interrupted; nothing was installed, run $again again" >&2; exit 130' INT TERM

echo "$me: unpacking" >&2
tar_err=$(tar -xzf "$tarball" -C "$tmp" 2>&1 >/dev/null)
rc=$?
if [ $rc -ne 0 ]; then
    rm -rf "$tmp"
    first=$(printf '%s\n' "$tar_err" | grep -v '^[[:space:]]*$' | head -n 1)
    if printf '%s' "$tar_err" | grep -qi 'no space left'; then
        fail "unpacking $tarball failed: the disk is full ($first); free some space (about 180 MB) and run '$again' again"
    fi
    rm -f "$tarball"
    fail "unpacking $tarball failed (${first:-tar exit $rc}); the archive is corrupt and was deleted: check CIFAR10_URL and run '$again' again"
fi

problem=$(check_dir "$tmp/$SUBDIR")
if [ -n "$problem" ]; then
    rm -rf "$tmp"
    rm -f "$tarball"
    fail "the archive from $url is not CIFAR-10's binary version: ${problem#$tmp/}; check CIFAR10_URL (the 'binary version' tarball)"
fi

# Swap in atomically: rename(2) within one directory. A broken old copy is moved
# aside first and deleted after.
if [ -e "$final" ]; then
    mv "$final" "$tmp/old" || fail "cannot move the broken $final aside; remove it by hand and run '$again' again"
fi
mv "$tmp/$SUBDIR" "$final" || fail "cannot rename the unpacked data to $final; check permissions of $dest"
rm -rf "$tmp"
rm -f "$tarball"
echo "$me: CIFAR-10 ready in $final (50,000 training + 10,000 test images)"
