/**
 * `boot-vmallocinfo=FILE`: the areas of a real /proc/vmallocinfo, read once when the profile is
 * resolved (a bad line is a ProfileError naming it: exit 2) and laid into the vmalloc window at
 * boot. VMALLOC-3: the atomic pool (DMA318-9, a postcore initcall) took its area by first fit after
 * the areas below it existed, so the model places everything below the pool's line, lets the pool
 * take its own first fit, then places the rest. `unpurged vm_area` lines are lazily freed areas
 * (VMALLOC-5): they still occupy the window until a purge. The model does no I/O: the caller
 * (src/properties/profile-files.ts) reads the file and hands its text over first.
 */

import { VmallocinfoError } from '../errors.ts';
import { PAGE_SIZE } from './types.ts';

export interface VmallocinfoArea {
  /** 1-based line of the file. */
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly caller: string;
  /** VMALLOC-5 a lazily freed area awaiting purge ("unpurged vm_area"). */
  readonly unpurged: boolean;
  /** Tagged dma-coherent (dma_common_contiguous_remap, VM_DMA_COHERENT). */
  readonly dmaCoherent: boolean;
}

export interface BootVmallocinfo {
  readonly path: string;
  /** Sorted by start. */
  readonly areas: readonly VmallocinfoArea[];
}

const LINE = /^0x([0-9a-f]{1,8})-0x([0-9a-f]{1,8})\s+(\d+)\s+(\S.*)$/i;

const short = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

/** Parse /proc/vmallocinfo text; blank lines are skipped, anything else must be an area line. */
export function parseVmallocinfo(text: string, path: string): BootVmallocinfo {
  const areas: VmallocinfoArea[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const s = raw.trim();
    if (s === '') return;
    const at = `boot-vmallocinfo ${path} line ${i + 1}`;
    const m = LINE.exec(s);
    if (!m) throw new VmallocinfoError(`${at}: not a /proc/vmallocinfo area line: '${short(s)}'`);
    const start = Number.parseInt(m[1]!, 16);
    const end = Number.parseInt(m[2]!, 16);
    const size = Number(m[3]);
    if (end <= start) throw new VmallocinfoError(`${at}: end 0x${m[2]} is not above start 0x${m[1]}`);
    if (start % PAGE_SIZE !== 0 || end % PAGE_SIZE !== 0)
      throw new VmallocinfoError(`${at}: range 0x${m[1]}-0x${m[2]} is not page aligned`);
    if (size !== end - start)
      throw new VmallocinfoError(`${at}: size ${size} is not end - start (${end - start})`);
    const caller = m[4]!;
    areas.push({
      line: i + 1,
      start,
      end,
      caller,
      unpurged: /^unpurged vm_area\b/.test(caller),
      dmaCoherent: /\bdma-coherent\b/.test(caller),
    });
  });
  if (areas.length === 0) throw new VmallocinfoError(`boot-vmallocinfo ${path}: no area lines`);
  areas.sort((a, b) => a.start - b.start);
  for (let i = 1; i < areas.length; i++) {
    const a = areas[i - 1]!;
    const b = areas[i]!;
    if (b.start < a.end)
      throw new VmallocinfoError(`boot-vmallocinfo ${path} line ${b.line}: overlaps line ${a.line}`);
  }
  return { path, areas };
}

/** Texts of the files named by boot-vmallocinfo= keys, by the name the spec uses. */
const TEXTS = new Map<string, string>();
const PARSED = new Map<string, BootVmallocinfo>();

/** Hand the model a file's text (read by the caller) under the name the profile spec uses. */
export function provideBootVmallocinfo(path: string, text: string): void {
  if (TEXTS.get(path) === text) return;
  TEXTS.set(path, text);
  PARSED.delete(path);
}

/** The parsed areas of a provided file; a file never provided is one line too. */
export function bootVmallocinfoOf(path: string): BootVmallocinfo {
  const done = PARSED.get(path);
  if (done) return done;
  const text = TEXTS.get(path);
  if (text === undefined)
    throw new VmallocinfoError(
      `boot-vmallocinfo ${path}: the file was not read (ionck check, replay, layout and probe read it)`,
    );
  const v = parseVmallocinfo(text, path);
  PARSED.set(path, v);
  return v;
}

/**
 * DMA318-9: the atomic pool's own line (the first dma-coherent area of pool + guard bytes), and
 * the areas before and after it. Without such a line every area counts as "before".
 */
export function splitAtAtomicPool(
  info: BootVmallocinfo,
  poolBytes: number,
): { before: VmallocinfoArea[]; pool: VmallocinfoArea | null; after: VmallocinfoArea[] } {
  const want = Math.ceil(poolBytes / PAGE_SIZE) * PAGE_SIZE + PAGE_SIZE;
  const pool = info.areas.find((a) => a.dmaCoherent && a.end - a.start === want) ?? null;
  if (!pool) return { before: [...info.areas], pool: null, after: [] };
  return {
    before: info.areas.filter((a) => a.start < pool.start),
    pool,
    after: info.areas.filter((a) => a.start > pool.start),
  };
}
