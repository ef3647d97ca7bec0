#!/usr/bin/env bash
# Reproduce the real-kernel oracle and regenerate its fixtures (not part of npm test).
#
#   scripts/oracle/reproduce.sh [LOGDIR] [FIXTUREDIR]
#
# Needs a Debian bookworm (amd64) machine that reaches the Debian archive, root for apt-get, and
# about 5 minutes. kit/setup.sh installs qemu-system-arm, the armhf cross compiler and cpio, fetches
# Debian's armhf 6.1 kernels (armmp and armmp-lpae), their headers and a static busybox, and builds
# the two probe modules (kit/dmaprobe.c: dma_alloc_coherent until it fails; kit/ptprobe.c: reads the
# linear-map PTEs) for both flavours. kit/boot.sh boots one kernel on QEMU vexpress-a15 with 1 GiB
# and an initramfs whose /init (kit/init-layout.sh, init-dma.sh or init-pt.sh) prints what the
# kernel reports. Then extract-fixtures.ts keeps the facts the golden tests need.
#
# Environment: W (work directory, default ./work), FLAVOURS (default "armmp lpae"). To check another
# kernel or board, edit V/KV in kit/setup.sh and kit/boot.sh (and the QEMU machine in kit/boot.sh),
# run this, and compare `git diff test/fixtures/oracle`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
logs="${1:-$PWD/oracle-logs}"
out="${2:-$root/test/fixtures/oracle/qemu-arm-6.1}"
flavours="${FLAVOURS:-armmp lpae}"
export W="${W:-$PWD/work}"
mkdir -p "$logs"

[ -f "$W/build-armmp/dmaprobe.ko" ] && [ -f "$W/build-armmp-lpae/dmaprobe.ko" ] || "$here/kit/setup.sh"

# the cases of docs/oracle.md: X = cma=/vmalloc= command line
declare -A CASES=(
  [a]="cma=256M vmalloc=240M"
  [b]="cma=512M vmalloc=240M"
  [c]="cma=256M vmalloc=480M"
  [e]="cma=256M"
)
for f in $flavours; do
  for x in a b c e; do
    echo "layout $x $f: ${CASES[$x]}"
    "$here/kit/boot.sh" layout "$f" "console=ttyAMA0 ${CASES[$x]}" > "$logs/layout-$x-$f.log"
  done
  for x in a b; do
    echo "dma $x $f: ${CASES[$x]}"
    "$here/kit/boot.sh" dma "$f" "console=ttyAMA0 ${CASES[$x]}" > "$logs/dma-$x-$f.log"
  done
  echo "pte b $f: ${CASES[b]}"
  "$here/kit/boot.sh" pt "$f" "console=ttyAMA0 ${CASES[b]} ptorder=ck" > "$logs/pte-b-$f.log"
done

cd "$root"
npx tsx scripts/oracle/extract-fixtures.ts "$logs" "$out"
npx biome format --write "$out/cases.json" >/dev/null   # the project's JSON style (npm run lint)
echo "logs in $logs; fixtures in $out (git diff shows what changed)"
