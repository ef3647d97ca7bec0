#!/usr/bin/env bash
# Seeded outputs of every command, elapsed times and throughput dropped: run before and after a
# restructuring and diff the two folders; any difference is a change of behaviour.
#   bash scripts/snapshot-outputs.sh OUT_DIR
set -u
out="${1:?usage: snapshot-outputs.sh OUT_DIR}"
here="$(cd "$(dirname "$0")/.." && pwd)"
ionck="$here/bin/ionck"
mkdir -p "$out"
# JSON with timing fields removed, keys kept in order
strip() { node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const drop = new Set(["elapsedMs", "opsPerSec", "statesPerSec", "elapsed", "ms", "timingMs", "timing", "toolVersion"]);
    const walk = (v) => Array.isArray(v) ? v.map(walk) : v && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).filter(([k]) => !drop.has(k)).map(([k, x]) => [k, walk(x)])) : v;
    try { process.stdout.write(JSON.stringify(walk(JSON.parse(s)), null, 1) + "\n"); }
    catch { process.stdout.write(s); }
  });'; }
run() { # name, args...
  local name="$1"; shift
  "$ionck" "$@" 2>/dev/null | strip > "$out/$name.json"
  echo "exit ${PIPESTATUS[0]}" >> "$out/$name.json"
}
for d in legacy-3.18 no-kernel-mapping cma-direct cma-direct-remap ion-4.12 dmabuf-heap-cma; do
  run "check-$d-tiny" check --design "$d" --profile tiny --runs 40 --seed 7 --json
done
run check-all-1g check --profile arm32-1g --runs 20 --max-ops 60 --seed 11 --json
run check-zoo-m03 check --design zoo/m03-zero-skips-order0 --profile tiny --seed 3 --json
run compare compare --ops 150 --seed 5 --profile tiny --profile arm32-1g --json --out "$out/compare-out"
rm -rf "$out/compare-out"
run explore-cma-direct explore --design cma-direct --profile tiny --depth 2 --json
run explore-legacy explore --design legacy-3.18 --profile tiny --depth 2 --json
for f in "$here"/test/regressions/*.json; do
  run "replay-$(basename "$f" .json)" replay "$f" --json
done
run zoo zoo --entry B3 --entry B12 --entry m05-zero-via-kmap-atomic --seeds 2 --explore-depth 2 --json
run layout layout --profile arm32-1g --json
run list-designs list designs --json
run list-profiles list profiles --json
run probe probe --profile arm32-1g --size 1M --json
echo "wrote $(ls "$out" | wc -l) files to $out"
