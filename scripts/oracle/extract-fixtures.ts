/**
 * Extract the facts of the real-kernel oracle boots into fixtures (not part of npm test):
 *   npx tsx scripts/oracle/extract-fixtures.ts LOGDIR [OUTDIR]
 * LOGDIR holds layout-X-F.log, dma-X-F.log and pte-X-F.log from scripts/oracle/boot.sh (X = case,
 * F = armmp | lpae). OUTDIR (default test/fixtures/oracle/qemu-arm-6.1) receives cases.json (the
 * figures the golden tests hold the model to) and vmallocinfo/dma-X-F.baseline.txt (the boot-time
 * /proc/vmallocinfo of each DMA boot, the input of boot-vmallocinfo=). Whole logs are not copied.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const hexNum = (s: string): number => Number.parseInt(s.replace(/^0x/i, ''), 16);

/** One section of a log: the lines after `=====NAME=====` up to the next section marker. */
function section(lines: readonly string[], name: string): string[] {
  const i = lines.findIndex((l) => l.startsWith(`=====${name}`));
  if (i < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(i + 1)) {
    if (l.startsWith('=====')) break;
    out.push(l);
  }
  return out;
}

function must<T>(v: T | undefined | null, what: string, file: string): T {
  if (v === undefined || v === null) throw new Error(`${file}: no ${what}`);
  return v;
}

/** The `cma=`/`vmalloc=` words of a kernel command line (console= and the kit's own words dropped). */
function cmdlineOf(lines: readonly string[], file: string): string {
  const l = must(
    lines.find((x) => x.includes('Kernel command line:')),
    'Kernel command line',
    file,
  );
  const words = l.split('Kernel command line:')[1]!.trim().split(/\s+/);
  return words.filter((w) => /^(cma|vmalloc|coherent_pool)=/.test(w)).join(' ');
}

function bootFacts(lines: readonly string[], file: string) {
  const cma = /cma: Reserved (\d+) MiB at (0x[0-9a-f]+)/.exec(
    lines.find((l) => l.includes('cma: Reserved')) ?? '',
  );
  const zone = (name: string) => {
    const m = new RegExp(`^\\[[^\\]]*\\]\\s+${name}\\s+\\[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\\]`).exec(
      lines.find((l) => new RegExp(`\\]\\s+${name}\\s+\\[mem`).test(l)) ?? '',
    );
    return m ? { start: hexNum(m[1]!), end: hexNum(m[2]!) + 1 } : null;
  };
  const vt = /VmallocTotal:\s+(\d+) kB/.exec(lines.find((l) => l.startsWith('VmallocTotal:')) ?? '');
  const iomem = (what: string) => {
    const m = new RegExp(`^\\s*([0-9a-f]+)-([0-9a-f]+) : ${what}$`).exec(
      lines.find((l) => l.endsWith(`: ${what}`)) ?? '',
    );
    return m ? { start: hexNum(m[1]!), end: hexNum(m[2]!) + 1 } : null;
  };
  const pool = /DMA: preallocated (\d+) KiB pool for atomic coherent allocations/.exec(
    lines.find((l) => l.includes('pool for atomic coherent')) ?? '',
  );
  const initrd = /Freeing initrd memory: (\d+)K/.exec(lines.find((l) => l.includes('Freeing initrd')) ?? '');
  const memory = lines.find((l) => l.includes('] Memory: '))?.replace(/^\[[^\]]*\]\s*/, '') ?? null;
  return {
    cmdline: cmdlineOf(lines, file),
    cmaReserved: cma ? { base: hexNum(cma[2]!), size: Number(cma[1]) * 2 ** 20 } : null,
    zoneDma: must(zone('DMA'), 'DMA zone', file),
    zoneHighMem: zone('HighMem'),
    vmallocTotalKb: vt ? Number(vt[1]) : null,
    kernelCode: iomem('Kernel code'),
    kernelData: iomem('Kernel data'),
    atomicPoolKib: pool ? Number(pool[1]) : null,
    initrdFreedKib: initrd ? Number(initrd[1]) : null,
    memoryLine: memory,
  };
}

const AREA = /^0x([0-9a-f]+)-0x([0-9a-f]+)\s+(\d+)\s+(.*)$/;

function layoutCase(file: string, text: string) {
  const lines = text.split(/\r?\n/);
  const head = section(lines, 'VMALLOCINFO-HEAD100').filter((l) => AREA.test(l));
  // the lowest area that is not a static iotable_init mapping (those lie below VMALLOC_START)
  const first = head
    .filter((l) => !l.includes('iotable_init'))
    .map((l) => AREA.exec(l)!)
    .sort((a, b) => hexNum(a[1]!) - hexNum(b[1]!))[0];
  return { ...bootFacts(lines, file), firstVmallocArea: first ? hexNum(first[1]!) : null };
}

const PROBE =
  /dmaprobe: (\w+)\[(\d+)\] size=(\d+) cpu_addr=([0-9a-f]+) handle=(0x[0-9a-f]+) is_vmalloc_addr=(\d) virt_addr_valid=(\d) kind=(\w+)/;

function probeLine(l: string) {
  const m = PROBE.exec(l);
  if (!m) return null;
  return {
    index: Number(m[2]),
    size: Number(m[3]),
    cpuAddr: hexNum(m[4]!),
    handle: hexNum(m[5]!),
    isVmallocAddr: m[6] === '1',
    kind: m[8]!,
  };
}

/** One dmaprobe step: RESULT, the first and last buffer as re-printed after RESULT, the failure lines. */
function run(lines: readonly string[], step: string, file: string) {
  const s = section(lines, `STEP ${step}`);
  if (s.length === 0) throw new Error(`${file}: no step ${step}`);
  const ri = s.findIndex((l) => / RESULT succeeded=/.test(l));
  const r = /RESULT succeeded=(\d+) of max=\d+ size=(\d+) \(vmalloc=(\d+) linear=(\d+) other=(\d+)\)/.exec(
    s[ri]!,
  )!;
  const after = s
    .slice(ri + 1)
    .map(probeLine)
    .filter((x) => x !== null);
  const failIdx = s.findIndex((l) => /FAILED \(returned NULL\)/.test(l));
  const failure = s
    .slice(0, failIdx)
    .filter((l) => /vmap allocation for size|cma_alloc: .* alloc failed|page allocation failure/.test(l))
    .map((l) => l.replace(/^\[[^\]]*\]\s*/, ''));
  return {
    succeeded: Number(r[1]),
    size: Number(r[2]),
    vmalloc: Number(r[3]),
    linear: Number(r[4]),
    other: Number(r[5]),
    first: after[0] ?? null,
    last: after[1] ?? null,
    /** Distinct failure lines before the failing call, in order. */
    failureLines: [...new Set(failure)],
  };
}

function dmaCase(file: string, text: string, outBase: string, vmDir: string) {
  const lines = text.split(/\r?\n/);
  const po = /high_memory=([0-9a-f]+) VMALLOC_START=([0-9a-f]+) VMALLOC_END=([0-9a-f]+)/.exec(
    must(
      lines.find((l) => l.includes('dmaprobe: PAGE_OFFSET=')),
      'dmaprobe PAGE_OFFSET line',
      file,
    ),
  )!;
  const baseline = section(lines, 'VMALLOCINFO-FULL baseline');
  writeFileSync(join(vmDir, `${outBase}.baseline.txt`), `${baseline.join('\n')}\n`);
  const pool = baseline.map((l) => AREA.exec(l)).find((m) => m !== null && m[4]!.includes('dma-coherent'));
  const smallStep = section(lines, 'STEP mode=small');
  const smallAreas = section(lines, 'SNAP small-held')
    .concat(
      lines.slice(lines.findIndex((l) => l.startsWith('-----dma-coherent vmallocinfo lines (small held)'))),
    )
    .map((l) => AREA.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ start: hexNum(m[1]!), bytes: Number(m[3]) }));
  const byStart = new Map(smallAreas.map((a) => [a.start, a]));
  return {
    ...bootFacts(lines, file),
    highMemory: hexNum(po[1]!),
    vmallocStart: hexNum(po[2]!),
    vmallocEnd: hexNum(po[3]!),
    baselineVmallocinfo: `vmallocinfo/${outBase}.baseline.txt`,
    baselineAreas: baseline.filter((l) => AREA.test(l)).length,
    atomicPoolArea: pool ? { start: hexNum(pool[1]!), end: hexNum(pool[2]!), bytes: Number(pool[3]) } : null,
    count: run(lines, 'mode=count=====', file),
    countHold16: run(lines, 'mode=count hold=16', file),
    nokmap: run(lines, 'mode=nokmap=====', file),
    small: smallStep.map(probeLine).filter((x) => x !== null),
    smallAreas: [...byStart.values()].sort((x, y) => x.start - y.start),
  };
}

/** armmp: `linux_pte=0x.. MT=0x.. L_PTE_MT_X | hw_pte(ptep+512)=0x..`; LPAE: `pte=0x.. AttrIndx(MT)=0x.. L_PTE_MT_X`. */
const PT =
  /ptprobe: (BASELINE-FREE-CMA|COHERENT-ALLOC|COHERENT-AFTER-FREE|NOKMAP-ALLOC|LAYOUT-cma-start-0x[0-9a-f]+)(?:\/(first|last))?\s+ptep=\S+ (?:linux_)?pte=(0x[0-9a-f]+) (?:MT|AttrIndx\(MT\))=\S+ (L_PTE_MT_[A-Z]+)\S*(?: \| hw_pte\(ptep\+512\)=(0x[0-9a-f]+))?/;

function pteCase(file: string, text: string) {
  const lines = section(text.split(/\r?\n/), 'RUN1');
  const moments: Record<string, { linuxPte: string; hwPte: string | null; mt: string }> = {};
  for (const l of lines) {
    const m = PT.exec(l);
    if (!m) continue;
    const key = m[2] ? `${m[1]}/${m[2]}` : m[1]!;
    moments[key] ??= { linuxPte: m[3]!, hwPte: m[5] ?? null, mt: m[4]! };
  }
  const buf = /COHERENT alloc cpu_addr=([0-9a-f]+) handle=(0x[0-9a-f]+)/.exec(
    lines.find((l) => l.includes('COHERENT alloc cpu_addr')) ?? '',
  );
  return {
    cmdline: cmdlineOf(text.split(/\r?\n/), file),
    cpuAddr: buf ? hexNum(buf[1]!) : null,
    handle: buf ? hexNum(buf[2]!) : null,
    moments,
  };
}

function main(argv: readonly string[]): number {
  const [logDir, outDir = 'test/fixtures/oracle/qemu-arm-6.1'] = argv;
  if (!logDir) {
    process.stderr.write('usage: tsx scripts/oracle/extract-fixtures.ts LOGDIR [OUTDIR]\n');
    return 2;
  }
  const vmDir = join(outDir, 'vmallocinfo');
  mkdirSync(vmDir, { recursive: true });
  const out: Record<string, unknown[]> = { layout: [], dma: [], pte: [] };
  for (const f of readdirSync(logDir).sort()) {
    const m = /^(layout|dma|pte)-([a-z])-(armmp|lpae)\.log$/.exec(f);
    if (!m) continue;
    const text = readFileSync(join(logDir, f), 'utf8');
    const id = { case: m[2]!, flavour: m[3]!, log: f };
    if (m[1] === 'layout') out.layout!.push({ ...id, ...layoutCase(f, text) });
    else if (m[1] === 'dma') out.dma!.push({ ...id, ...dmaCase(f, text, `dma-${m[2]}-${m[3]}`, vmDir) });
    else out.pte!.push({ ...id, ...pteCase(f, text) });
  }
  const doc = {
    about:
      'Facts extracted by scripts/oracle/extract-fixtures.ts from real boots of Debian armhf 6.1.0-57 (6.1.192-3) kernels on qemu-system-arm -M vexpress-a15 -m 1024 (docs/oracle.md). Do not edit by hand.',
    ...out,
  };
  writeFileSync(join(outDir, 'cases.json'), `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(
    `wrote ${join(outDir, 'cases.json')}: ${out.layout!.length} layout, ${out.dma!.length} dma, ${out.pte!.length} pte cases\n`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
