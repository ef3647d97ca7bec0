/** A module's URL relative to `base`: `x.ts` in a checkout (run by tsx), `x.js` in the built package. */
export const moduleUrl = (rel: string, base: string): string =>
  new URL(base.endsWith('.ts') ? rel : rel.replace(/\.ts$/, '.js'), base).href;
