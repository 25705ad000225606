import { it } from 'vitest';
import { loadBindings } from '../bindings/load.js';
import { readSnapshot } from '../snapshot/read.js';
import { DEMO_SITE } from '../package-root.js';
import path from 'node:path';
import { evaluateD19 } from './D19.js';
it('dump', async () => {
  const b = await loadBindings(path.join(DEMO_SITE, 'bindings'));
  if (!b.ok) throw new Error(JSON.stringify(b.errors));
  const s = await readSnapshot(path.join(DEMO_SITE, 'snapshot'), b.bindings);
  if (!s.ok) throw new Error(JSON.stringify(s.errors));
  const f = evaluateD19({ bindings: b.bindings, state: s.state, now: s.state.capturedAt, maxSnapshotAgeHours: 24, bundledDemo: true });
  for (const x of f) console.log(JSON.stringify({ ...x, evidence: undefined }));
});
