#!/usr/bin/env bash
# make test-aarch64 (issue 12): cross-builds the engine and its unit tests for
# aarch64 with Debian's gcc-aarch64-linux-gnu, links them against the arm64
# Criterion and cJSON from Debian multiarch, and runs them under qemu-aarch64,
# once with the kernels the CPU picks (which must be the NEON tier) and once
# with CONVLAB_ISA=scalar. Installs what it needs first (adding the arm64
# architecture to dpkg: only this target does that, never `make deps`).
# Usage: bash tests/aarch64/run.sh [CRITERION-FILTER]   (from the repo root)
set -euo pipefail
cd "$(dirname "$0")/../.."
me="test-aarch64"
filter=${1:-}
out=build/aarch64
MULTIARCH=/usr/lib/aarch64-linux-gnu

# ---- packages ----------------------------------------------------------------
# The cross compiler with its own glibc headers and libraries
# (libc6-dev-arm64-cross: only a Recommends of gcc-aarch64-linux-gnu, so
# --no-install-recommends leaves it out and the compiler then falls back to the
# host's x86-64 /usr/include), qemu-user and arm64 cJSON (with libc6:arm64,
# which installs beside the host's: Multi-Arch: same). Criterion is not used: it
# starts each test by re-executing the binary, which qemu-user cannot do
# without binfmt_misc, and libcriterion-dev:arm64 is not co-installable with
# the host's (apt would remove the amd64 Criterion: libnanomsg5 differs). The
# test files compile against tests/aarch64/criterion/criterion.h instead.
SYSTEM_PACKAGES=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libc6:arm64 libcjson-dev:arm64)
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo=(sudo); else sudo=(false); fi
fi
missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] || ! dpkg --print-foreign-architectures | grep -qx arm64; then
    [ "${sudo[0]:-}" != false ] || { echo "$me: needs root to install ${missing[*]} (dpkg --add-architecture arm64)" >&2; exit 1; }
    echo "$me: installing ${missing[*]}" >&2
    dpkg --print-foreign-architectures | grep -qx arm64 || "${sudo[@]}" dpkg --add-architecture arm64
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    if [ ${#missing[@]} -gt 0 ]; then
        # Never let apt remove a host package to make room (it would, for some arm64 -dev packages).
        if apt-get install -s --no-install-recommends "${missing[@]}" | grep -q '^Remv'; then
            echo "$me: installing ${missing[*]} would remove host packages; refusing" >&2
            apt-get install -s --no-install-recommends "${missing[@]}" | grep '^Remv' >&2
            exit 1
        fi
        "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
fi
# ---- build -------------------------------------------------------------------
# The cross compiler must not see the host's /usr/include (x86-64 glibc
# headers): only cJSON's directory is linked in.
mkdir -p "$out/include"
ln -sfn /usr/include/cjson "$out/include/cjson"
TESTS="test_checkpoint test_cifar test_conv2d test_harden test_layers test_net test_optim test_pool2d
       test_safetensors test_threads test_trainer"
srcs=(src/engine/*.c tests/testutil.c tests/testutil_net.c tests/aarch64/criterion_shim.c)
for t in $TESTS; do srcs+=("tests/$t.c"); done
echo "$me: aarch64-linux-gnu-gcc ${#srcs[@]} files -> $out/test_engine"
aarch64-linux-gnu-gcc -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -O2 -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-format-zero-length -pthread \
    -Itests/aarch64 -Isrc -Itests -isystem "$out/include" -isystem "$out/include/cjson" \
    "${srcs[@]}" -o "$out/test_engine" -L"$MULTIARCH" -Wl,-rpath-link,"$MULTIARCH" -lcjson -lm
file "$out/test_engine" | grep -q "ARM aarch64" || { echo "$me: $out/test_engine is not an aarch64 binary" >&2; exit 1; }

# ---- run -----------------------------------------------------------------------
# qemu-aarch64 finds /lib/ld-linux-aarch64.so.1 (libc6:arm64) under the host's /.
run() { (cd tests && QEMU_LD_PREFIX=/ LD_LIBRARY_PATH="$MULTIARCH" qemu-aarch64 "../$out/test_engine" "$@"); }
tier=$(run --filter 'kernels/tier_in_use_is_the_best_for_this_cpu' 2>&1 | sed -n 's/.*kernel tier in use: \([a-z0-9]*\).*/\1/p' | head -n 1)
[ "$tier" = neon ] || { echo "$me: the aarch64 build picked '${tier:-nothing}', expected neon" >&2; exit 1; }
echo "$me: kernels: $tier"
args=()
[ -n "$filter" ] && args+=(--filter "$filter")
run "${args[@]}"
echo "$me: again with CONVLAB_ISA=scalar (kernels, conv2d, layers, pool2d, optim, net)"
CONVLAB_ISA=scalar run --filter "${filter:-@(kernels|conv2d|layers|pool2d|optim|net)/*}"
