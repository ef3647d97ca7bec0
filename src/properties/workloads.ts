/**
 * Workloads (docs/architecture.md section 6): op streams that stand for real use of the ION stack, generated
 * from a seed with seedrandom, so the same seed gives the same stream on every machine. compare
 * runs every design on the identical stream.
 *
 * Ids in ops follow docs/architecture.md section 5: handles, fds, vmas and driver areas are each counted from
 * 0 in creation order within the run. A generator must not look at any design's results, so it
 * keeps its own optimistic bookkeeping (every creation succeeds, ION's handle-per-buffer rule for
 * import included). On a design where a creation fails, the op returns an errno and that design's
 * later ids are shifted from the stream's: that difference is part of what compare measures (its
 * "first divergence").
 */
import seedrandom from 'seedrandom';
import { HEAP_NAMES, type HeapName } from '../model/ion/heap.ts';
import { computeLayout } from '../model/layout.ts';
import type { Op } from '../model/ops.ts';
import type { Profile } from '../model/profile.ts';
import { PAGE_SIZE, SZ_1M } from '../model/types.ts';

export interface Workload {
  readonly id: string;
  readonly summary: string;
  /** The real use the workload stands for, in a kernel engineer's words. */
  readonly standsFor: string;
  /**
   * The ION heaps it allocates from: compare boots a board that declares only these (ION-1), so
   * a heap the workload never touches (the carveout's creation alias, HEAP-CARVEOUT-1) does not
   * decide its verdicts.
   */
  readonly heaps: readonly HeapName[];
  /** The stream: exactly `nOps` ops, a pure function of (seed, nOps, profile). */
  generate(seed: number, nOps: number, profile: Profile): Op[];
}

const KiB = 1024;
const MiB = SZ_1M;

/** A seeded source of choices; the only randomness workloads use. */
export class Rng {
  private readonly next: () => number;

  constructor(seedText: string) {
    this.next = seedrandom(seedText);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next();
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('pick from an empty list');
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  /** Index by weight. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Log-uniform integer in [lo, hi]. */
  logInt(lo: number, hi: number): number {
    const v = Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo)));
    return Math.min(hi, Math.max(lo, Math.round(v)));
  }
}

interface BufRec {
  readonly id: number;
  /** PAGE_ALIGN(len) in pages. */
  readonly pages: number;
  /** client -> handle id of that client's one handle on this buffer (ION-2). */
  readonly handles: Map<number, number>;
}

interface HandleRec {
  readonly id: number;
  readonly client: number;
  readonly buf: BufRec;
  ref: number;
  kmaps: number;
}

interface FdRec {
  readonly fd: number;
  readonly buf: BufRec;
  open: boolean;
}

interface VmaRec {
  readonly id: number;
  readonly fd: number;
  live: boolean;
}

/**
 * The op stream under construction and the generator's optimistic view of the objects it made.
 * Each method appends one op and returns the id the op creates, as if it succeeded.
 */
export class StreamBuilder {
  readonly ops: Op[] = [];
  private nextHandle = 0;
  private nextFd = 0;
  private nextVma = 0;
  private nextArea = 0;
  private nextBuf = 0;
  readonly handles = new Map<number, HandleRec>();
  readonly fds = new Map<number, FdRec>();
  readonly vmas = new Map<number, VmaRec>();
  /** Live importer attachments, as `fd/device`. */
  readonly attachments: { fd: number; device: string }[] = [];
  /** Live driver areas and their page counts. */
  readonly areas = new Map<number, number>();

  constructor(readonly opsMax: number) {}

  get full(): boolean {
    return this.ops.length >= this.opsMax;
  }

  /** How many ops remain before the stream is full. */
  get left(): number {
    return Math.max(0, this.opsMax - this.ops.length);
  }

  /** The next ids each counter would hand out (for invalid-id ops in `random`). */
  get counters(): { handle: number; fd: number; vma: number; area: number } {
    return { handle: this.nextHandle, fd: this.nextFd, vma: this.nextVma, area: this.nextArea };
  }

  private push(op: Op): void {
    this.ops.push(op);
  }

  alloc(client: number, heap: HeapName, len: number, cached = false, align?: number): number {
    this.push({
      op: 'alloc',
      client,
      heap,
      len,
      ...(align !== undefined ? { align } : {}),
      ...(cached ? { cached } : {}),
    });
    const buf: BufRec = { id: this.nextBuf++, pages: Math.ceil(len / PAGE_SIZE), handles: new Map() };
    if (buf.pages === 0) return -1; // ION-3: len 0 is -EINVAL
    return this.newHandle(client, buf);
  }

  private newHandle(client: number, buf: BufRec): number {
    const id = this.nextHandle++;
    this.handles.set(id, { id, client, buf, ref: 1, kmaps: 0 });
    buf.handles.set(client, id);
    return id;
  }

  /** ION_IOC_FREE: one handle reference. */
  free(handle: number): void {
    const h = this.handles.get(handle);
    this.push({ op: 'free', client: h?.client ?? 0, handle });
    if (!h) return;
    h.ref--;
    if (h.ref <= 0) this.dropHandle(h);
  }

  private dropHandle(h: HandleRec): void {
    this.handles.delete(h.id);
    h.buf.handles.delete(h.client);
  }

  /** ION_IOC_SHARE: a new fd, or -1 when the stream knows the handle does not exist. */
  share(handle: number): number {
    const h = this.handles.get(handle);
    this.push({ op: 'share', client: h?.client ?? 0, handle });
    if (!h) return -1;
    const fd = this.nextFd++;
    this.fds.set(fd, { fd, buf: h.buf, open: true });
    return fd;
  }

  /** ION_IOC_IMPORT: this client's existing handle on the buffer, or a new one. */
  import(client: number, fd: number): number {
    this.push({ op: 'import', client, fd });
    const f = this.fds.get(fd);
    if (!f?.open) return -1;
    const existing = f.buf.handles.get(client);
    if (existing !== undefined) {
      this.handles.get(existing)!.ref++;
      return existing;
    }
    return this.newHandle(client, f.buf);
  }

  close(fd: number): void {
    this.push({ op: 'close', fd });
    const f = this.fds.get(fd);
    if (f) f.open = false;
    this.fds.delete(fd);
  }

  kmap(handle: number): void {
    const h = this.handles.get(handle);
    this.push({ op: 'kmap', client: h?.client ?? 0, handle });
    if (h) h.kmaps++;
  }

  kunmap(handle: number): void {
    const h = this.handles.get(handle);
    this.push({ op: 'kunmap', client: h?.client ?? 0, handle });
    if (h && h.kmaps > 0) h.kmaps--;
  }

  /** dma-buf mmap: a new vma, or -1 when the stream knows the fd or the range is wrong. */
  mmap(fd: number, pgoff?: number, pages?: number): number {
    this.push({
      op: 'mmap',
      fd,
      ...(pgoff !== undefined ? { pgoff } : {}),
      ...(pages !== undefined ? { pages } : {}),
    });
    const f = this.fds.get(fd);
    if (!f?.open) return -1;
    const off = pgoff ?? 0;
    const n = pages ?? f.buf.pages - off;
    if (n <= 0 || off + n > f.buf.pages) return -1;
    const id = this.nextVma++;
    this.vmas.set(id, { id, fd, live: true });
    return id;
  }

  munmap(vma: number): void {
    this.push({ op: 'munmap', vma });
    this.vmas.delete(vma);
  }

  write(vma: number): void {
    this.push({ op: 'write', vma });
  }

  dmaMap(fd: number, device: string): void {
    this.push({ op: 'dma-map', fd, device });
    this.attachments.push({ fd, device });
  }

  dmaUnmap(fd: number, device: string): void {
    this.push({ op: 'dma-unmap', fd, device });
    const i = this.attachments.findIndex((a) => a.fd === fd && a.device === device);
    if (i >= 0) this.attachments.splice(i, 1);
  }

  driverVmap(pages: number): number {
    this.push({ op: 'driver-vmap', pages });
    const id = this.nextArea++;
    this.areas.set(id, pages);
    return id;
  }

  driverVunmap(area: number): void {
    this.push({ op: 'driver-vunmap', area });
    this.areas.delete(area);
  }

  clientExit(client: number): void {
    this.push({ op: 'client-exit', client });
    for (const h of [...this.handles.values()]) if (h.client === client) this.dropHandle(h);
  }

  purge(): void {
    this.push({ op: 'purge' });
  }

  shrink(): void {
    this.push({ op: 'shrink' });
  }

  /** The stream, cut to exactly opsMax ops (generators may overshoot by one step's ops). */
  finish(): Op[] {
    return this.ops.slice(0, this.opsMax);
  }
}

/** Figures of the profile's boot layout that scale a workload to the machine. */
interface MachineScale {
  readonly windowPages: number;
  readonly cmaPages: number;
}

function scaleOf(profile: Profile): MachineScale {
  const l = computeLayout(profile);
  return {
    windowPages: Math.floor((l.vmallocEnd - l.vmallocStart) / PAGE_SIZE),
    cmaPages: l.cma ? Math.floor(l.cma.size / PAGE_SIZE) : 0,
  };
}

const rngFor = (id: string, seed: number): Rng => new Rng(`ionck-workload:${id}:${seed}`);

/** A page-rounded size in [lo, hi] bytes on a `step`-byte grid. */
function sizeBetween(rng: Rng, lo: number, hi: number, step: number): number {
  return rng.int(Math.ceil(lo / step), Math.floor(hi / step)) * step;
}

// --- seed-product ------------------------------------------------------------------------------

/** A long-lived buffer of the seed's product: its handle, its fd and the device it is mapped to. */
interface ProductBuffer {
  readonly handle: number;
  readonly fd: number | null;
  readonly device: string | null;
}

const PRODUCT_DEVICES = ['vpu', 'isp', 'gpu', 'dsp'] as const;
/** Sizes of the product's buffers: "1 MiB-ish" (weights in parallel). */
const PRODUCT_SIZES = [512 * KiB, 768 * KiB, 1 * MiB, 1 * MiB + 256 * KiB] as const;
const PRODUCT_SIZE_WEIGHTS = [1, 2, 6, 1] as const;
/** The other driver's vmaps: 256..2048 discontiguous pages each (the seed). */
const DRIVER_VMAP_PAGES = { min: 256, max: 2048 } as const;
/** Share of the CMA area the product keeps allocated at its plateau (leaves room for alignment). */
const PRODUCT_CMA_SHARE = 0.62;
/** Share of the vmalloc window the other driver keeps vmapped at its plateau. */
const PRODUCT_DRIVER_WINDOW_SHARE = 0.48;
const PRODUCT_BUFFERS_MAX = 200;
/** The media server: allocates, shares with devices. */
const PRODUCT_MEDIA = 0;

function seedProduct(seed: number, nOps: number, profile: Profile): Op[] {
  const p = new ProductStream(seed, nOps, scaleOf(profile));
  while (!p.s.full) p.step();
  return p.s.finish();
}

/** The seed's product: the media server's buffers and the other driver's vmaps, ramp then plateau. */
class ProductStream {
  private readonly rng: Rng;
  readonly s: StreamBuilder;
  private readonly vmapMin: number;
  private readonly vmapMax: number;
  private readonly bufferTarget: number;
  private readonly areaTarget: number;
  private readonly buffers: ProductBuffer[] = [];

  constructor(seed: number, nOps: number, scale: MachineScale) {
    this.rng = rngFor('seed-product', seed);
    this.s = new StreamBuilder(nOps);
    this.vmapMax = Math.max(1, Math.min(DRIVER_VMAP_PAGES.max, Math.floor(scale.windowPages / 16)));
    this.vmapMin = Math.max(1, Math.min(DRIVER_VMAP_PAGES.min, Math.floor(this.vmapMax / 2)));
    this.bufferTarget = Math.max(
      4,
      Math.min(PRODUCT_BUFFERS_MAX, Math.floor(((scale.cmaPages * PAGE_SIZE) / MiB) * PRODUCT_CMA_SHARE)),
    );
    const meanArea = (this.vmapMin + this.vmapMax) / 2 + 1;
    this.areaTarget = Math.max(2, Math.floor((scale.windowPages * PRODUCT_DRIVER_WINDOW_SHARE) / meanArea));
  }

  step(): void {
    const { rng, s, buffers, bufferTarget, areaTarget } = this;
    const rampBuf = buffers.length < bufferTarget;
    const rampArea = s.areas.size < areaTarget;
    if (rampBuf || rampArea) {
      // ramp: both reach their plateau together, as the product boots its pipelines
      const wantBuf = rampBuf ? (bufferTarget - buffers.length) / bufferTarget : 0;
      const wantArea = rampArea ? (areaTarget - s.areas.size) / areaTarget : 0;
      if (rng.float() * (wantBuf + wantArea) < wantBuf) this.allocBuffer();
      else this.vmapArea();
      return;
    }
    // plateau: slow turnover of buffers; the driver's working set breathes around its size
    switch (rng.weighted([4, 3, 2])) {
      case 0:
        this.freeBuffer();
        this.allocBuffer();
        break;
      case 1:
        this.vunmapArea();
        this.vmapArea();
        break;
      default:
        if (s.areas.size > areaTarget) this.vunmapArea();
        else this.vmapArea();
        break;
    }
  }

  private allocBuffer(): void {
    const { rng, s } = this;
    const len = PRODUCT_SIZES[rng.weighted(PRODUCT_SIZE_WEIGHTS)]!;
    const handle = s.alloc(PRODUCT_MEDIA, 'cma', len);
    // the product only needs the physical address: most buffers go to a device, none is kmapped
    if (rng.chance(0.6)) {
      const fd = s.share(handle);
      const device = rng.pick(PRODUCT_DEVICES);
      s.dmaMap(fd, device);
      this.buffers.push({ handle, fd, device });
    } else this.buffers.push({ handle, fd: null, device: null });
  }

  private freeBuffer(): void {
    const { rng, s, buffers } = this;
    // long-lived: the oldest quarter is what gets replaced
    const i = rng.int(0, Math.max(0, Math.floor(buffers.length / 4) - 1));
    const b = buffers.splice(i, 1)[0]!;
    if (b.fd !== null && b.device !== null) {
      s.dmaUnmap(b.fd, b.device);
      s.close(b.fd);
    }
    s.free(b.handle);
  }

  private vmapArea(): void {
    this.s.driverVmap(this.rng.int(this.vmapMin, this.vmapMax));
  }

  private vunmapArea(): void {
    const live = [...this.s.areas.keys()];
    if (live.length > 0) this.s.driverVunmap(this.rng.pick(live));
  }
}

// --- camera ------------------------------------------------------------------------------------

interface CamBuffer {
  readonly handle: number;
  readonly fd: number;
  readonly vma: number;
}

function camera(seed: number, nOps: number, profile: Profile): Op[] {
  const scale = scaleOf(profile);
  const cmaBytes = scale.cmaPages * PAGE_SIZE;
  // the large sizes of the issue (2-8 MiB), scaled down on machines with a small CMA area
  const capMax = Math.max(64 * KiB, Math.min(8 * MiB, Math.floor(cmaBytes / 24)));
  const c: CameraStream = {
    rng: rngFor('camera', seed),
    s: new StreamBuilder(nOps),
    capMax,
    capMin: Math.max(16 * KiB, Math.min(2 * MiB, Math.floor(capMax / 4))),
    previewLen: Math.max(16 * KiB, Math.min(3 * MiB, Math.floor(cmaBytes / 40))),
  };
  while (!c.s.full) cameraSession(c);
  return c.s.finish();
}

/** The camera workload's generator state: its draws, its stream, its frame sizes. */
interface CameraStream {
  readonly rng: Rng;
  readonly s: StreamBuilder;
  readonly capMin: number;
  readonly capMax: number;
  readonly previewLen: number;
}

/** camera HAL (cameraserver): allocates every buffer */
const CAMERA_HAL = 1;
/** the camera app: imports captured frames */
const CAMERA_APP = 2;

function newCamBuffer({ s }: CameraStream, len: number, device: string): CamBuffer {
  const handle = s.alloc(CAMERA_HAL, 'cma', Math.ceil(len / PAGE_SIZE) * PAGE_SIZE);
  const fd = s.share(handle);
  s.dmaMap(fd, device);
  const vma = s.mmap(fd);
  return { handle, fd, vma };
}

function releaseCamBuffer({ s }: CameraStream, b: CamBuffer, device: string): void {
  s.munmap(b.vma);
  s.dmaUnmap(b.fd, device);
  s.close(b.fd);
  s.free(b.handle);
}

/** A camera session: open the camera, stream preview, take bursts, close. */
function cameraSession(c: CameraStream): void {
  const { rng, s } = c;
  const ring: CamBuffer[] = [];
  const ringSize = rng.int(4, 6);
  for (let i = 0; i < ringSize && !s.full; i++) ring.push(newCamBuffer(c, c.previewLen, 'isp'));
  const frames = rng.int(8, 24);
  for (let f = 0; f < frames && !s.full; f++) {
    const b = rng.pick(ring);
    s.write(b.vma); // the HAL draws the preview overlay into the frame the ISP filled
    if (rng.chance(0.15)) {
      // the preview frame goes to the GPU for composition, and comes back
      s.dmaMap(b.fd, 'gpu');
      s.dmaUnmap(b.fd, 'gpu');
    }
    if (rng.chance(0.2)) captureBurst(c);
  }
  if (rng.chance(0.25)) {
    // cameraserver dies: its handles go, the fds and mappings stay until closed
    s.clientExit(CAMERA_HAL);
    for (const b of ring) {
      s.munmap(b.vma);
      s.dmaUnmap(b.fd, 'isp');
      s.close(b.fd);
    }
  } else for (const b of ring) releaseCamBuffer(c, b, 'isp');
}

/** A capture burst: 3-8 large frames held at once, handed to the app, then freed. */
function captureBurst(c: CameraStream): void {
  const { rng, s } = c;
  const n = rng.int(3, 8);
  const burst: CamBuffer[] = [];
  for (let i = 0; i < n && !s.full; i++) {
    const b2 = newCamBuffer(c, sizeBetween(rng, c.capMin, c.capMax, 64 * KiB), 'isp');
    s.write(b2.vma); // the HAL post-processes the raw frame in place
    burst.push(b2);
  }
  for (const b2 of burst) {
    if (rng.chance(0.5)) {
      // the app gets the JPEG: import, then drop its handle
      const h = s.import(CAMERA_APP, b2.fd);
      if (h >= 0) s.free(h);
    }
    releaseCamBuffer(c, b2, 'isp');
  }
}

// --- display -----------------------------------------------------------------------------------

interface Scanout {
  readonly handle: number;
  readonly fd: number;
  readonly device: string;
}

function display(seed: number, nOps: number, profile: Profile): Op[] {
  const d = new DisplayStream(seed, nOps, scaleOf(profile));
  while (!d.s.full) {
    d.composeFrame();
    d.event();
  }
  return d.s.finish();
}

/** SurfaceFlinger / hwcomposer */
const DISPLAY_COMPOSER = 0;
const DISPLAY_APP = 3;
const pageLen = (b: number): number => Math.ceil(b / PAGE_SIZE) * PAGE_SIZE;

/** The display path: scanout buffers per display, app layers, the boot console's kmap. */
class DisplayStream {
  private readonly rng: Rng;
  readonly s: StreamBuilder;
  private readonly primaryModes: number[];
  private readonly externalLen: number;
  private mode: number;
  private primary: Scanout[] = [];
  /** The framebuffer the boot console keeps kmapped, until a mode change frees it. */
  private fbcon: number | null;
  private external: Scanout[] = [];
  /** App layers: cached system-heap buffers the composer imports and reads through a kmap. */
  private readonly layers: { handle: number; fd: number; imported: number }[] = [];
  private frame = 0;

  constructor(seed: number, nOps: number, scale: MachineScale) {
    this.rng = rngFor('display', seed);
    this.s = new StreamBuilder(nOps);
    const cmaBytes = scale.cmaPages * PAGE_SIZE;
    const fitCma = (bytes: number) => Math.max(16 * KiB, Math.min(bytes, Math.floor(cmaBytes / 32)));
    this.primaryModes = [1280 * 720 * 4, 1920 * 1080 * 4, 1024 * 600 * 4].map((b) => fitCma(b));
    this.externalLen = fitCma(1920 * 1080 * 4);
    this.mode = this.primaryModes[0]!;
    this.bring();
    // the boot console keeps the first framebuffer kmapped
    this.fbcon = this.primary[0]!.handle;
    this.s.kmap(this.fbcon);
  }

  private scanout(len: number, device: string): Scanout {
    const handle = this.s.alloc(DISPLAY_COMPOSER, 'cma', pageLen(len));
    const fd = this.s.share(handle);
    this.s.dmaMap(fd, device);
    return { handle, fd, device };
  }

  private drop(b: Scanout): void {
    this.s.dmaUnmap(b.fd, b.device);
    this.s.close(b.fd);
    this.s.free(b.handle);
  }

  /** The primary framebuffers at the current mode. */
  private bring(): void {
    const n = this.rng.chance(0.5) ? 3 : 2; // triple or double buffering
    this.primary = [];
    for (let i = 0; i < n; i++) this.primary.push(this.scanout(this.mode, 'display'));
  }

  /** One frame: composed into the back buffer, sometimes rendered in software, external displays. */
  composeFrame(): void {
    const { rng, s } = this;
    const back = this.primary[this.frame % this.primary.length]!;
    this.frame++;
    // composition: the kernel composes into the back buffer through a kernel mapping
    s.kmap(back.handle);
    for (const l of this.layers) {
      if (!rng.chance(0.3)) continue;
      s.kmap(l.imported);
      s.kunmap(l.imported);
    }
    s.kunmap(back.handle);
    if (rng.chance(0.12)) {
      // software rendering / screenshot: the composer mmaps the buffer and writes it
      const vma = s.mmap(back.fd);
      s.write(vma);
      s.munmap(vma);
    }
    for (const e of this.external) {
      if (!rng.chance(0.5)) continue;
      s.kmap(e.handle);
      s.kunmap(e.handle);
    }
  }

  /** What may happen between frames: hotplug, a mode change, an app layer coming or going. */
  event(): void {
    const event = this.rng.float();
    if (event < 0.05) this.hotplug();
    else if (event < 0.08) this.modeChange();
    else if (event < 0.14 && this.layers.length < 4) this.addLayer();
    else if (event < 0.2 && this.layers.length > 0) this.removeLayer();
  }

  /** HDMI hotplug */
  private hotplug(): void {
    if (this.external.length === 0)
      this.external = [this.scanout(this.externalLen, 'hdmi'), this.scanout(this.externalLen, 'hdmi')];
    else {
      for (const e of this.external) this.drop(e);
      this.external = [];
    }
  }

  /** Mode change: the primary framebuffers are reallocated at the new size. */
  private modeChange(): void {
    const fbcon = this.fbcon;
    if (fbcon !== null && this.primary.some((b) => b.handle === fbcon)) {
      this.s.kunmap(fbcon);
      this.fbcon = null;
    }
    for (const b of this.primary) this.drop(b);
    this.mode = this.rng.pick(this.primaryModes);
    this.bring();
  }

  private addLayer(): void {
    const { rng, s } = this;
    const len = pageLen(rng.int(256 * KiB, 2 * MiB));
    const h = s.alloc(DISPLAY_APP, 'system', len, true);
    const fd = s.share(h);
    this.layers.push({ handle: h, fd, imported: s.import(DISPLAY_COMPOSER, fd) });
  }

  private removeLayer(): void {
    const l = this.layers.splice(this.rng.int(0, this.layers.length - 1), 1)[0]!;
    this.s.free(l.imported);
    this.s.close(l.fd);
    this.s.free(l.handle);
  }
}

// --- random ------------------------------------------------------------------------------------

const RANDOM_HEAPS: readonly HeapName[] = ['system', 'system-contig', 'carveout', 'cma'];
const RANDOM_DEVICES = ['isp', 'gpu', 'display'] as const;
const RANDOM_CLIENTS = 4;
/** Weights of alloc, free, share, import, close, kmap, kunmap, mmap, munmap, write, dma-map,
 * dma-unmap, driver-vmap, driver-vunmap, client-exit, purge, shrink. */
const RANDOM_WEIGHTS = [16, 8, 10, 6, 6, 8, 6, 8, 5, 6, 6, 4, 4, 3, 1, 2, 2] as const;
/** Chance that an op names an id the stream never made, or one already gone. */
const RANDOM_STALE_ID = 0.08;

function random(seed: number, nOps: number, profile: Profile): Op[] {
  const scale = scaleOf(profile);
  const c: RandomStream = {
    rng: rngFor('random', seed),
    s: new StreamBuilder(nOps),
    lenMax: Math.max(8 * KiB, Math.min(4 * MiB, Math.floor((scale.cmaPages * PAGE_SIZE) / 16))),
    vmapMax: Math.max(2, Math.min(2048, Math.floor(scale.windowPages / 16))),
  };
  while (!c.s.full) randomOp(c, applicable(c, c.rng.weighted(RANDOM_WEIGHTS)));
  return c.s.finish();
}

/** The random workload's generator state: its draws, its stream, its size bounds. */
interface RandomStream {
  readonly rng: Rng;
  readonly s: StreamBuilder;
  readonly lenMax: number;
  readonly vmapMax: number;
}

/** A live id from `live`, or (rarely, or when none) one that may not exist. */
function ref(c: RandomStream, live: readonly number[], next: number): number {
  return live.length > 0 && !c.rng.chance(RANDOM_STALE_ID) ? c.rng.pick(live) : c.rng.int(0, next + 1);
}
const handleRef = (c: RandomStream): number => ref(c, [...c.s.handles.keys()], c.s.counters.handle);
const fdRef = (c: RandomStream): number => ref(c, [...c.s.fds.keys()], c.s.counters.fd);

/** An op kind that needs a live object of a kind the stream has none of becomes its creation. */
function applicable(c: RandomStream, kind: number): number {
  const s = c.s;
  if (c.rng.chance(RANDOM_STALE_ID)) return kind;
  const needsHandle = [1, 2, 5, 6].includes(kind);
  const needsFd = [3, 4, 7, 10].includes(kind);
  const needsVma = kind === 8 || kind === 9;
  if ((needsHandle || needsFd) && s.handles.size === 0) return 0;
  if (needsFd && s.fds.size === 0) return 2;
  if (needsVma && s.vmas.size === 0) return s.fds.size > 0 ? 7 : 0;
  if (kind === 13 && s.areas.size === 0) return 12;
  return kind;
}

/** One op of the kind drawn (kinds in the order of RANDOM_WEIGHTS). */
function randomOp(c: RandomStream, kind: number): void {
  if (kind === 0) randomAlloc(c);
  else if (kind <= 11) randomBufferOp(c, kind);
  else randomMachineOp(c, kind);
}

function randomAlloc({ rng, s, lenMax }: RandomStream): void {
  const heap = rng.pick(RANDOM_HEAPS);
  const len = rng.chance(0.85)
    ? rng.logInt(1, Math.floor(lenMax / PAGE_SIZE)) * PAGE_SIZE
    : rng.logInt(1, lenMax);
  // 3.18 heaps refuse align > 4 KiB and its CMA heap refuses cached: rare, so that one
  // refusal does not shift every later handle id of the designs that refuse
  const align = rng.chance(0.1) ? (rng.chance(0.1) ? 2 ** rng.int(13, 20) : PAGE_SIZE) : undefined;
  const cached = rng.chance(heap === 'cma' ? 0.05 : 0.4);
  s.alloc(rng.int(0, RANDOM_CLIENTS - 1), heap, len, cached, align);
}

/** Kinds 1..11: ops on a handle, an fd, a mapping or an attachment. */
function randomBufferOp(c: RandomStream, kind: number): void {
  const { rng, s } = c;
  switch (kind) {
    case 1:
      s.free(handleRef(c));
      break;
    case 2:
      s.share(handleRef(c));
      break;
    case 3:
      s.import(rng.int(0, RANDOM_CLIENTS - 1), fdRef(c));
      break;
    case 4:
      s.close(fdRef(c));
      break;
    case 5:
      s.kmap(handleRef(c));
      break;
    case 6:
      s.kunmap(handleRef(c));
      break;
    case 7: {
      const fd = fdRef(c);
      if (rng.chance(0.2)) s.mmap(fd, rng.int(0, 3), rng.int(1, 8));
      else s.mmap(fd);
      break;
    }
    case 8:
      s.munmap(ref(c, [...s.vmas.keys()], s.counters.vma));
      break;
    case 9:
      s.write(ref(c, [...s.vmas.keys()], s.counters.vma));
      break;
    case 10:
      s.dmaMap(fdRef(c), rng.pick(RANDOM_DEVICES));
      break;
    default: {
      const a = s.attachments.length > 0 ? rng.pick(s.attachments) : null;
      if (a) s.dmaUnmap(a.fd, a.device);
      else s.dmaUnmap(fdRef(c), rng.pick(RANDOM_DEVICES));
      break;
    }
  }
}

/** Kinds 12..16: the other driver's vmaps, client exits, purges and shrinks. */
function randomMachineOp(c: RandomStream, kind: number): void {
  const { rng, s } = c;
  switch (kind) {
    case 12:
      s.driverVmap(rng.logInt(1, c.vmapMax));
      break;
    case 13:
      s.driverVunmap(ref(c, [...s.areas.keys()], s.counters.area));
      break;
    case 14:
      s.clientExit(rng.int(0, RANDOM_CLIENTS - 1));
      break;
    case 15:
      s.purge();
      break;
    default:
      s.shrink();
      break;
  }
}

export const WORKLOADS: readonly Workload[] = [
  {
    id: 'seed-product',
    summary:
      'many long-lived uncached ~1 MiB CMA buffers used by physical address, while another driver vmaps 256..2048 discontiguous pages at a time',
    standsFor:
      'The product in the seed (Yang Wei, LKML 2016-09-01): media pipelines keep ~60% of the CMA area in ~1 MiB buffers whose CPU address nobody uses (they are shared with the VPU/ISP/GPU/DSP by dma-buf or kept by physical address), while another driver maps many discontiguous pages into kernel space with vmap and keeps about half of the vmalloc window, unmapping and remapping some over time. On 3.18 every highmem CMA buffer also holds a window area of its size + 4 KiB for its life, so the window runs out.',
    heaps: ['cma'],
    generate: seedProduct,
  },
  {
    id: 'camera',
    summary:
      'camera sessions: a preview ring and bursts of 2-8 MiB uncached CMA frames, shared with the ISP (share + dma-map), mmapped and written by user space, freed',
    standsFor:
      'An Android camera HAL on a 3.18 board: per session a ring of 4-6 preview buffers (1080p NV21, 3 MiB) the ISP fills and the HAL reads through mmap, capture bursts of 3-8 large frames held at once and handed to the app (dma-buf import), the GPU borrowing preview frames, and cameraserver sometimes dying with its buffers still mapped.',
    heaps: ['cma'],
    generate: camera,
  },
  {
    id: 'display',
    summary:
      'double/triple-buffered uncached CMA scanout buffers kmapped for composition every frame, some mmapped and written; hotplug and mode changes reallocate them',
    standsFor:
      'The display path: the composer (SurfaceFlinger / hwcomposer with kernel composition, or an fbdev/ADF driver) keeps 2-3 scanout buffers per display in CMA, maps the back buffer into the kernel to compose each frame, imports app layers from the system heap and reads them through kernel maps, sometimes renders in software through an mmap, and reallocates its framebuffers on HDMI hotplug and mode changes; the boot console keeps one framebuffer kmapped.',
    heaps: ['cma', 'system'],
    generate: display,
  },
  {
    id: 'random',
    summary: 'the whole op vocabulary with random arguments, mostly on live ids, sometimes on stale ones',
    standsFor:
      'No one use: a fuzzing baseline over every op (all heaps, cached and uncached, odd sizes and alignments, imports, client exits, purges, shrinks), so that paths the realistic workloads never take are exercised on every design.',
    heaps: HEAP_NAMES,
    generate: random,
  },
];

export const WORKLOAD_IDS = WORKLOADS.map((w) => w.id);

export function workloadById(id: string): Workload | undefined {
  return WORKLOADS.find((w) => w.id === id);
}
