// Test-only: the bundled demo site's bindings and snapshot, read as `ops verify` reads them.

import path from 'node:path';
import { loadBindings } from '../../bindings/load.js';
import type { Bindings } from '../../bindings/types.js';
import type { HostState } from '../../model.js';
import { DEMO_SITE } from '../../package-root.js';
import { readSnapshot } from '../../snapshot/read.js';

export async function loadDemo(): Promise<{ bindings: Bindings; state: HostState }> {
  const loaded = await loadBindings(path.join(DEMO_SITE, 'bindings'));
  if (!loaded.ok) throw new Error(`demo bindings: ${JSON.stringify(loaded.errors)}`);
  const read = await readSnapshot(path.join(DEMO_SITE, 'snapshot'), loaded.bindings);
  if (!read.ok) throw new Error(`demo snapshot: ${JSON.stringify(read.errors)}`);
  return { bindings: loaded.bindings, state: read.state };
}
