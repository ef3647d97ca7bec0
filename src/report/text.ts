/** Numbers and lists in report text: locale-independent, so reports are the same everywhere. */

/** Thousands separators, independent of the locale. */
export function fmt(n: number): string {
  const s = Math.round(n).toString();
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export const pct = (part: number, whole: number): string =>
  whole === 0 ? '0%' : `${(Math.floor((part / whole) * 1000) / 10).toFixed(1)}%`;

/** `a`, `a and b`, `a, b and c`. */
export function list(xs: readonly string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** Ops whose failure means a resource ran out or was refused (not an id that does not exist). */
export function isResourceFailure(op: string, errnoName: string): boolean {
  if (op === 'alloc' || op === 'driver-vmap') return true;
  if (op === 'kmap' || op === 'mmap') return errnoName !== 'EINVAL' && errnoName !== 'EBADF';
  return false;
}
