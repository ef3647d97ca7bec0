/**
 * exclusive-ownership: a physical page belongs to at most one live owner, and what ION hands to
 * devices and user space (sg tables, user VMAs) points only at the buffer's own pages. A kernel
 * engineer calls a violation memory corruption by aliasing: two buffers sharing a page after a
 * double release (B15), a device DMAing through an sg table built from the wrong page (B9: 3.18's
 * CMA heap takes virt_to_page of a vmalloc address, GOLD-20), a VMA one page past the buffer (B14).
 *
 * Checked: claims per page ≤ 1; for every live importer attachment, every sg page is owned by the
 * attachment's buffer (ION-10 hands out the buffer's one table); for every live VMA, every mapped
 * page is owned by its buffer.
 * Rests on: CMA-5, HEAP-CMA-1, DMA318-11, DMA41-1, ION-9, ION-10, B9, B13, B14, B15.
 */
import type { Attachment, Vma } from '../model/ion/objects.ts';
import type { Kernel } from '../model/kernel.ts';
import { OWNER_NAMES, Owner } from '../model/pages.ts';
import { mappingsOf, pageName, pfnOf } from './describe.ts';
import type { Invariant, Violation } from './invariant.ts';
import { ionIndex } from './ion-index.ts';
import { Fact } from './page-facts.ts';
import { BadPages, BadSet, minOf, ReportCache } from './tracker.ts';

// a local copy for the page loop: reading the import there measured slower (page-facts.ts)
const F_MULTI_CLAIMED = Fact.MULTI_CLAIMED;

function foreignPage(k: Kernel, pages: Int32Array, bufferId: number): number {
  const ps = k.mm.pages;
  for (const p of pages) {
    if (p < 0 || p >= ps.nPages) return p;
    if (ps.ownerKind[p] !== Owner.BUFFER || ps.ownerId[p] !== bufferId) return p;
  }
  return -1;
}

function describeOwner(k: Kernel, p: number): string {
  const ps = k.mm.pages;
  if (p < 0 || p >= ps.nPages) return 'nobody: it is outside RAM';
  const kind = ps.ownerKind[p]!;
  return kind === Owner.BUFFER || kind === Owner.DRIVER
    ? `${OWNER_NAMES[kind]} ${ps.ownerId[p]}`
    : (OWNER_NAMES[kind] ?? `kind ${kind}`);
}

function attachmentBad(k: Kernel, a: Attachment): number {
  return a.live ? foreignPage(k, a.sg, a.dmabuf.buffer.id) : -1;
}

function vmaBad(k: Kernel, v: Vma): number {
  return v.live && v.mapping ? foreignPage(k, v.mapping.pages, v.dmabuf.buffer.id) : -1;
}

const claims = new BadPages({
  verdicts(k, pages, out) {
    const claimed = k.mm.pages.claims;
    let n = 0;
    for (let i = 0; i < pages.length; i++) {
      const b = claimed[pages[i]!]! > 1 ? 1 : 0;
      out[i] = b;
      n += b;
    }
    return n;
  },
  suspect: Fact.MULTI_CLAIMED,
  fromFacts(_k, pages, facts, out) {
    let n = 0;
    for (let i = 0; i < pages.length; i++) {
      const b = (facts[i]! & F_MULTI_CLAIMED) !== 0 ? 1 : 0;
      out[i] = b;
      n += b;
    }
    return n;
  },
  report: claimViolation,
});
/** Every bad attachment's index, and every bad VMA's id (the full evaluation of a rebuild). */
const badAttachments = (k: Kernel) =>
  k.ion.attachments.flatMap((a, i) => (attachmentBad(k, a) >= 0 ? [i] : []));
const badVmas = (k: Kernel) => k.ion.vmas.flatMap((v, i) => (vmaBad(k, v) >= 0 ? [i] : []));
const attachBad = new BadSet();
const vmasBad = new BadSet();
const attachReports = new ReportCache<Violation>();
const vmaReports = new ReportCache<Violation>();

function claimViolation(k: Kernel, p: number): Violation {
  return {
    invariant: 'exclusive-ownership',
    message: `${pageName(k, p)} is claimed by ${k.mm.pages.claims[p]} live owners (last: ${describeOwner(k, p)})`,
    pfns: [pfnOf(k, p)],
    mappings: mappingsOf(k, p),
  };
}

function attachViolation(k: Kernel, i: number): Violation {
  const a = k.ion.attachments[i]!;
  const p = attachmentBad(k, a);
  return {
    invariant: 'exclusive-ownership',
    message: `device ${a.device} got an sg table of buffer ${a.dmabuf.buffer.id} pointing at ${pageName(k, p)}, owned by ${describeOwner(k, p)}`,
    pfns: [pfnOf(k, p)],
    mappings: p >= 0 && p < k.mm.pages.nPages ? mappingsOf(k, p) : [],
  };
}

function vmaViolation(k: Kernel, i: number): Violation {
  const v = k.ion.vmas[i]!;
  const p = vmaBad(k, v);
  return {
    invariant: 'exclusive-ownership',
    message: `user VMA ${v.id} of buffer ${v.dmabuf.buffer.id} maps ${pageName(k, p)}, owned by ${describeOwner(k, p)}`,
    pfns: [pfnOf(k, p)],
    mappings: mappingsOf(k, p),
  };
}

export const exclusiveOwnership: Invariant = {
  id: 'exclusive-ownership',
  title: 'Exclusive ownership',
  definition:
    "A page belongs to at most one live owner; sg tables handed to devices and user VMAs point only at the buffer's own pages.",
  rests: ['CMA-5', 'HEAP-CMA-1', 'DMA41-1', 'ION-9', 'ION-10', 'B9', 'B14', 'B15'],
  incremental(k) {
    const claimed = claims.incremental(k);
    if (claimed) return claimed;
    // an attachment's or VMA's pages can only stop being its buffer's when the buffer is
    // destroyed, which needs the attachment or VMA gone first: check them when made, drop when gone;
    // and when a reference bug destroys a buffer under them (the zoo), check them at that op
    const gone = k.ion.destroyedThisOp;
    const am = attachBad.memo(k);
    const atts = am ? am.bad : attachBad.reset(k, badAttachments(k));
    if (am && am.at !== k.opsApplied) {
      const made = k.ion.attachedThisOp;
      if (made.length > 0 || gone.length > 0 || atts.size > 0) {
        const idx = ionIndex(k);
        for (const a of made) if (attachmentBad(k, a) >= 0) atts.add(idx.indexOf(a));
        for (const b of gone)
          for (const d of idx.dmabufsOf(b))
            for (const a of idx.attachmentsOf(d)) if (attachmentBad(k, a) >= 0) atts.add(idx.indexOf(a));
        for (const i of atts) if (!k.ion.attachments[i]!.live) atts.delete(i);
      }
      am.at = k.opsApplied;
    }
    if (atts.size > 0) {
      const i = minOf(atts);
      const p = attachmentBad(k, k.ion.attachments[i]!);
      const stale = p < 0 || p >= k.mm.pages.nPages || k.mm.pages.isTouched(p);
      return attachReports.get(k, i, stale, attachViolation);
    }
    const vm = vmasBad.memo(k);
    const vmas = vm ? vm.bad : vmasBad.reset(k, badVmas(k));
    if (vm && vm.at !== k.opsApplied) {
      for (const v of k.ion.mappedThisOp) if (vmaBad(k, v) >= 0) vmas.add(v.id);
      if (gone.length > 0) {
        const idx = ionIndex(k);
        for (const b of gone)
          for (const d of idx.dmabufsOf(b))
            for (const v of idx.vmasOf(d)) if (vmaBad(k, v) >= 0) vmas.add(v.id);
      }
      if (vmas.size > 0) for (const i of vmas) if (!k.ion.vmas[i]!.live) vmas.delete(i);
      vm.at = k.opsApplied;
    }
    if (vmas.size > 0) {
      const i = minOf(vmas);
      const p = vmaBad(k, k.ion.vmas[i]!);
      const stale = p < 0 || p >= k.mm.pages.nPages || k.mm.pages.isTouched(p);
      return vmaReports.get(k, i, stale, vmaViolation);
    }
    return null;
  },
  // claims change only on touched pages, and attachments and VMAs are judged when made or when
  // their buffer is destroyed: none bad stays none; a bad one is looked at again (it may be gone)
  afterQuietOp: (k) => exclusiveOwnership.incremental(k),
  readsFigures: false,
  full(k) {
    const claimed = claims.full(k);
    if (claimed) return claimed;
    for (let i = 0; i < k.ion.attachments.length; i++)
      if (attachmentBad(k, k.ion.attachments[i]!) >= 0) return attachViolation(k, i);
    for (let i = 0; i < k.ion.vmas.length; i++) if (vmaBad(k, k.ion.vmas[i]!) >= 0) return vmaViolation(k, i);
    return null;
  },
};
