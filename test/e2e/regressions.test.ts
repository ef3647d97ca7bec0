/**
 * The regression corpus: every test/regressions/*.json replays to its recorded verdict. A file
 * that flips says the model, a design or a checker changed what it finds; see the corpus README.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinDesign } from '../../src/model/designs/index.ts';
import { resolveProfile } from '../../src/model/profile.ts';
import { formatReplayFile, parseReplay, replayInvariants, runReplay } from '../../src/properties/replay.ts';
import { cli, ROOT } from '../helpers/cli.ts';

const DIR = join(ROOT, 'test/regressions');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('test/regressions', () => {
  it('has a corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(files.some((f) => parseReplay(readFileSync(join(DIR, f), 'utf8')).expect === 'held')).toBe(true);
  });

  it.each(files)('%s replays to its recorded verdict', (f) => {
    const text = readFileSync(join(DIR, f), 'utf8');
    const r = parseReplay(text);
    // files are in canonical form (what `ionck replay --save` writes)
    expect(formatReplayFile(r)).toBe(text);
    const design = builtinDesign(r.design);
    expect(design, `design ${r.design}`).toBeDefined();
    const run = runReplay(r, design!, resolveProfile(r.profile), replayInvariants(r, []));
    expect(run.violations.length > 0 ? 'violated' : 'held').toBe(r.expect);
    if (r.expect === 'violated' && r.invariant) {
      // the recorded finding shows at the last op: the trace is no longer than it needs to be
      expect(run.violations[0]).toMatchObject({ invariant: r.invariant, step: r.ops.length - 1 });
    }
  });

  it('through the CLI: exit 1 for violated, 0 for held', async () => {
    for (const f of files.slice(0, 4)) {
      const r = parseReplay(readFileSync(join(DIR, f), 'utf8'));
      const out = await cli(['replay', join(DIR, f)]);
      expect(out.code, f).toBe(r.expect === 'violated' ? 1 : 0);
    }
  });
});
