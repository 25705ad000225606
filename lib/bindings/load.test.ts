import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, assert, describe, expect, it } from 'vitest';
import { loadBindings } from './load.js';
import { formatBindingError, type Bindings } from './types.js';
import { NO_REFERENCE, REFERENCE, skipNamed } from '../testing/skip.js';

// Third-party reference bindings live next to the project, never inside it.

/** Strips the common indentation of a template literal, so test YAML can be indented with the code. */
function dedent(text: string): string {
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n[ ]*$/, '')
    .split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
}

/** `text` with `from` replaced by `to`; throws when `from` is absent, so a patch can never silently miss. */
function patch(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`patch: ${JSON.stringify(from)} not found`);
  return text.replace(from, to);
}

const SSH = dedent(`
  ssh:
    defaults:
      user: root
    targets:
      - id: pve
        host: 192.0.2.10
      - id: nas
        host: 100.102.199.111
        user: ronadmin
`);

// The target list starts on line 5, so the first target's fields are on lines 5-11.
const INVENTORY_HEAD = 'version: 1\ndefaults:\n  stale_after_hours: 26\ntargets:\n';
const TARGET =
  [
    '  - name: vm-204-primary',
    '    enabled: true',
    '    kind: file_glob',
    '    host: pve',
    '    base_path: /tank/backups/vzdump/dump',
    '    glob: vzdump-qemu-204-*.vma.zst',
    '    classification: critical',
  ].join('\n') + '\n';
const INVENTORY = INVENTORY_HEAD + TARGET;

const LIFECYCLE = dedent(`
  version: 1
  defaults:
    proxmox_host: pve
  vms:
    - id: 204
      hostname: infra-core
      status: active
`);

const CALENDAR = dedent(`
  version: 1
  events:
    - id: pve-vzdump-daily
      summary: Proxmox vzdump daily
      freq: DAILY
      byhour: 2
      byminute: 0
      duration_minutes: 180
`);

const MINIMAL: Record<string, string> = {
  'ssh.targets.yaml': SSH,
  'backup.inventory.yaml': INVENTORY,
  'vm.lifecycle.yaml': LIFECYCLE,
  'backup.calendar.yaml': CALENDAR,
};

const tempDirs: string[] = [];
afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A bindings folder: the minimal valid set with some files replaced (a string) or removed (null). */
async function bindingsDir(files: Record<string, string | null> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bindings-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries({ ...MINIMAL, ...files })) {
    if (text !== null) await writeFile(join(dir, name), text);
  }
  return dir;
}

async function loaded(dir: string): Promise<Bindings> {
  const result = await loadBindings(dir);
  if (!result.ok) throw new Error(`expected ok, got:\n${result.errors.map(formatBindingError).join('\n')}`);
  return result.bindings;
}

/** The formatted errors of loading the minimal set with `files` changed. */
async function errorsOf(files: Record<string, string | null>): Promise<string[]> {
  const result = await loadBindings(await bindingsDir(files));
  if (result.ok) throw new Error('expected errors, but the bindings loaded');
  return result.errors.map(formatBindingError);
}

describe(skipNamed('reference bindings', NO_REFERENCE), () => {
  it('2026-03-05 loads with model, runtime units and schedule', async (ctx) => {
    ctx.skip(NO_REFERENCE !== null, NO_REFERENCE ?? '');
    const dir = join(REFERENCE, '2026-03-05');
    const b = await loaded(dir);

    const { targets } = b.inventory;
    expect(targets).toHaveLength(34);
    expect(targets.filter((t) => t.enabled)).toHaveLength(28);
    expect(b.inventory.defaults).toEqual({ timezone: 'America/New_York', staleAfterHours: 26, sshTimeoutSec: 6 });
    expect(targets.find((t) => t.name === 'vm-offsite-critical')).toMatchObject({
      host: 'nas',
      basePath: '/volume1/backups/proxmox/vzdump/critical',
      staleAfterHours: 48,
      classification: 'important',
      description: 'Covers VMs 204-210. VM 200 excluded (186GB, bandwidth prohibitive).',
      restoreSop: null,
      offsite: null,
    });
    // Each target's source line is the line of its `- name:` in the real file.
    const inventoryLines = (await readFile(join(dir, 'backup.inventory.yaml'), 'utf8')).split('\n');
    for (const t of targets) expect(inventoryLines[t.source.line - 1]).toContain(`name: ${t.name}`);
    // The lists as a whole: their key lines (where run-level findings about them are located).
    expect(inventoryLines[b.inventory.targetsSource.line - 1]).toMatch(/^targets:/);
    assert.isNotNull(b.calendar);
    expect(
      (await readFile(join(dir, 'backup.calendar.yaml'), 'utf8')).split('\n')[b.calendar.eventsSource.line - 1],
    ).toMatch(/^events:/);

    expect(b.inventory.model).toMatchObject({
      profile_version: 'systemic-v1',
      backup_admission_states: ['planned', 'production_ready'],
    });
    const units = b.inventory.runtimeUnits ?? [];
    expect(units).toHaveLength(31);
    expect(units.filter((u) => u.kind === 'container-fleet')).toHaveLength(13);
    expect(units.find((u) => u.unitId === 'machine-proxmox-home')).toMatchObject({
      kind: 'machine',
      hostname: 'proxmox-home',
      backupProfile: 'home-hypervisor',
      dataClass: 'tier1_critical',
      destinationLane: 'pve-vzdump-primary',
      scheduleClass: 'daily-primary-est',
      restoreClass: 'vm-dry-run-quarterly',
      backupAdmissionState: 'production_ready',
      inventoryTargets: ['home-vm-100-ha-primary', 'home-lxc-105-pihole-primary'],
    });

    assert.isNotNull(b.lifecycle);
    assert.isNotNull(b.ssh);
    assert.isNotNull(b.calendar);
    const guests = new Map(b.lifecycle.guests.map((g) => [g.id, g]));
    expect(b.lifecycle.updated).toBe('2026-02-28');
    expect(guests.get(105)).toMatchObject({
      vmType: 'lxc',
      proxmoxHost: 'proxmox-home',
      status: 'active',
      backupTarget: 'home-lxc-105-pihole-primary',
    });
    expect(guests.get(9000)).toMatchObject({ vmType: 'qemu', status: 'template', backupTarget: null });
    expect(guests.get(201)?.decommissionedAt).toBe('2026-02-12');

    const ssh = new Map(b.ssh.targets.map((t) => [t.id, t]));
    expect(ssh.get('nas')).toMatchObject({ host: '100.102.199.111', user: 'ronadmin', port: 22, probeVia: null });
    expect(ssh.get('communications-stack')).toMatchObject({ user: 'ubuntu', probeVia: 'pve', connectTimeoutSec: 5 });

    expect(b.calendar).toMatchObject({
      updated: '2026-03-01',
      timezone: 'America/New_York',
      calendarName: 'Spine Backups',
    });
    expect(b.calendar.events).toHaveLength(13);
    expect(b.calendar.events.find((e) => e.id === 'backup-monitor-hourly')).toMatchObject({
      freq: 'HOURLY',
      byhour: null,
      byminute: 15,
    });

    const jobs = new Map(b.schedule?.jobs.map((j) => [j.id, j]));
    expect(jobs.size).toBe(8);
    expect(jobs.get('vm-214-vzdump-daily')?.inventoryTargets).toEqual(['vm-214-communications-stack-primary']);
    expect(jobs.get('media-config-backup-daily')).toMatchObject({
      host: 'spine-control',
      scheduleCron: '45 3 * * *',
      inventoryTargets: ['app-media-config-download-stack', 'app-media-config-streaming-stack'],
    });
    expect(b.calendarHome).toEqual({
      host: 'communications-stack',
      baseUrl: 'http://127.0.0.1:5232',
      calendarCollection: '/spine_calendar_admin/spine/',
    });
    expect(b.policy).toEqual({
      thresholds: { critical: 26, important: 48, rebuildable: 168 },
      pveHosts: null,
      repositoryRoot: null,
      d19: {
        storageFullPercent: 90,
        verifyMaxAgeDays: { critical: 7 },
        restoreDrillMaxAgeDays: { critical: 90 },
        minSizeRatio: 0.5,
        retention: { minRestorePoints: { critical: 3, important: 2, rebuildable: 1 }, allowUnbounded: [] },
      },
      d69: {
        restoreSopRequiredFor: ['critical'],
        offsiteRequiredFor: ['critical'],
        sshTargetRequiredFor: 'all',
        storageHosts: {},
        offsiteStorages: {},
      },
      relay: null,
      calendar: null,
      notify: { from: null, cooldownHours: 24 },
    });
    expect(Object.keys(b.digests).sort()).toEqual([
      'backup.calendar.yaml',
      'backup.inventory.yaml',
      'backup.schedule.yaml',
      'calendar.home.contract.yaml',
      'ssh.targets.yaml',
      'vm.lifecycle.yaml',
    ]);
    expect(Object.values(b.digests).every((d) => /^[0-9a-f]{64}$/.test(d))).toBe(true);
  });

  it('2026-02-24 loads without model, runtime units or schedule', async (ctx) => {
    ctx.skip(NO_REFERENCE !== null, NO_REFERENCE ?? '');
    const b = await loaded(join(REFERENCE, '2026-02-24'));
    expect(b.inventory.targets).toHaveLength(30);
    expect(b.inventory.model).toBeNull();
    expect(b.inventory.runtimeUnits).toBeNull();
    expect(b.schedule).toBeNull();
    assert.isNotNull(b.lifecycle);
    assert.isNotNull(b.ssh);
    assert.isNotNull(b.calendar);
    expect(b.lifecycle.updated).toBe('2026-02-22');
    expect(b.calendar.updated).toBe('2026-02-11');
    expect(b.ssh.targets.find((t) => t.id === 'udr-home')?.probeVia).toBe('proxmox-home');
    expect(Object.keys(b.digests)).not.toContain('backup.schedule.yaml');
  });
});

describe('normalisation', () => {
  it('accepts the variants history shows and the D69 fields', async () => {
    const dir = await bindingsDir({
      'ssh.targets.yaml': patch(
        SSH,
        '      user: ronadmin\n',
        '      port: 2222\n      probe_via: pve\n      notes: the NAS\n',
      ),
      'backup.inventory.yaml': patch(
        INVENTORY,
        '    classification: critical\n',
        '    notes: older free text\n    restore_sop: docs/sop/infra-core.md\n    offsite: {required: false, reason: rebuilt from git}\n',
      ),
      'vm.lifecycle.yaml': dedent(`
        version: 1
        updated_at: "2026-03-01"
        vms:
          - vmid: 105
            proxmox_host: nas
            status: planned
            vm_type: lxc
            notes: pihole
            offsite: {required: true}
      `),
      'backup.schedule.yaml': dedent(`
        version: 1
        jobs:
          - {id: a, enabled: true, kind: vm-vzdump, inventory_target: t1, inventory_targets: [t2, t3]}
      `),
      'drift.gates.yaml':
        "version: 1\nthresholds: {important: 30}\npve_hosts: [pve]\nrelay: {host: Mail.Example.com, allowed_recipients: [alerts@example.com, '@ops.example.com'], mail: {pve: disabled}}\nrepository_root: ..\n" +
        'd69: {restore_sop_required_for: all, offsite_required_for: [critical, important], storage_hosts: {pve: nas}}\n',
    });
    const b = await loaded(dir);
    expect(b.dir).toBe(dir);
    assert.isNotNull(b.ssh);
    assert.isNotNull(b.lifecycle);
    expect(b.ssh.defaults).toEqual({ user: 'root', port: 22, connectTimeoutSec: null });
    expect(b.ssh.targets[1]).toMatchObject({
      id: 'nas',
      user: 'root',
      port: 2222,
      probeVia: 'pve',
      source: { file: 'ssh.targets.yaml', line: 7 },
    });
    expect(b.inventory.targets[0]).toMatchObject({
      staleAfterHours: null,
      classification: null,
      description: 'older free text',
      restoreSop: 'docs/sop/infra-core.md',
      offsite: { required: false, reason: 'rebuilt from git' },
      source: { file: 'backup.inventory.yaml', line: 5 },
    });
    expect(b.lifecycle).toMatchObject({ updated: '2026-03-01', defaults: { proxmoxHost: null } });
    expect(b.lifecycle.guests).toEqual([
      {
        id: 105,
        hostname: null,
        proxmoxHost: 'nas',
        status: 'planned',
        vmType: 'lxc',
        backupTarget: null,
        sshTarget: null,
        description: 'pihole',
        restoreSop: null,
        offsite: { required: true, reason: null },
        decommissionedAt: null,
        source: { file: 'vm.lifecycle.yaml', line: 4 },
      },
    ]);
    expect(b.schedule?.jobs[0]).toMatchObject({ host: null, scheduleCron: null, inventoryTargets: ['t1', 't2', 't3'] });
    expect(b.policy).toEqual({
      thresholds: { critical: 26, important: 30, rebuildable: 168 },
      pveHosts: ['pve'],
      repositoryRoot: '..',
      d19: {
        storageFullPercent: 90,
        verifyMaxAgeDays: { critical: 7 },
        restoreDrillMaxAgeDays: { critical: 90 },
        minSizeRatio: 0.5,
        retention: { minRestorePoints: { critical: 3, important: 2, rebuildable: 1 }, allowUnbounded: [] },
      },
      d69: {
        restoreSopRequiredFor: 'all',
        offsiteRequiredFor: ['critical', 'important'],
        sshTargetRequiredFor: 'all',
        storageHosts: { pve: 'nas' },
        offsiteStorages: {},
      },
      relay: {
        host: 'mail.example.com',
        port: 465,
        tls: 'implicit',
        hosts: null,
        allowedRecipients: ['alerts@example.com', '@ops.example.com'],
        senderDomain: null,
        maxQueueAgeMinutes: 60,
        failOnDeferred: false,
        mail: { pve: 'disabled' },
        source: { file: 'drift.gates.yaml', line: 4 },
      },
      calendar: null,
      notify: { from: null, cooldownHours: 24 },
    });
    expect(Object.keys(b.digests)).toContain('drift.gates.yaml');
  });
});

describe('bad bindings', () => {
  it('reports broken YAML with its position, in every file', async () => {
    expect(
      await errorsOf({
        'backup.inventory.yaml': patch(INVENTORY, 'kind: file_glob', 'kind: file_glob: note'),
        'backup.calendar.yaml': patch(CALENDAR, 'freq: DAILY', 'freq: "DAILY'),
      }),
    ).toEqual([
      'backup.calendar.yaml:9:1: expected valid YAML, found a syntax error: Missing closing "quote',
      'backup.inventory.yaml:7:11: expected valid YAML, found a syntax error: Nested mappings are not allowed in compact mappings',
    ]);
  });

  it('says one syntax error once, where it is: an unclosed [ at the bracket, not at the lines after it', async () => {
    const inventory = patch(
      INVENTORY,
      '    classification: critical',
      '    notes: [first, second\n    classification: critical',
    );
    const line = inventory.split('\n').findIndex((l) => l.includes('notes: [')) + 1;
    expect(await errorsOf({ 'backup.inventory.yaml': inventory })).toEqual([
      `backup.inventory.yaml:${line}:12: expected a ] closing this [, found none (a syntax error: Flow sequence in block collection must be sufficiently indented and end with a ])`,
    ]);
  });

  it('suggests the known field nearest to a misspelled one (hots: → host)', async () => {
    const inventory = patch(INVENTORY, '    host: ', '    hots: ');
    expect((await errorsOf({ 'backup.inventory.yaml': inventory })).join('\n')).toContain(
      '.hots: expected a known field (name, enabled, kind, host, base_path, glob, storage, vmid, stale_after_hours, classification, min_size_bytes, description, notes, ssh_timeout_sec, restore_sop, offsite), found an unknown field (did you mean host?)',
    );
  });

  it('reports wrong types once per field, with the value found', async () => {
    let inventory = patch(INVENTORY, 'enabled: true', 'enabled: "yes"');
    inventory = patch(inventory, 'kind: file_glob', `kind: file_glob_${'x'.repeat(60)}`);
    inventory = patch(inventory, '    classification: critical', '    stale_after_hours: "26h"\n    classification: 5');
    expect(await errorsOf({ 'backup.inventory.yaml': inventory })).toEqual([
      'backup.inventory.yaml:6:14: targets[0] (vm-204-primary).enabled: expected a boolean, found "yes" (a string)',
      `backup.inventory.yaml:7:11: targets[0] (vm-204-primary).kind: expected one of file_glob, pve_storage, found "file_glob_${'x'.repeat(47)}..." (a string)`,
      'backup.inventory.yaml:11:24: targets[0] (vm-204-primary).stale_after_hours: expected an integer greater than 0, found "26h" (a string)',
      'backup.inventory.yaml:12:21: targets[0] (vm-204-primary).classification: expected one of critical, important, rebuildable, found 5 (an integer)',
    ]);
  });

  it('reports a duplicate target name at the second use, naming the first', async () => {
    expect(await errorsOf({ 'backup.inventory.yaml': INVENTORY + TARGET })).toEqual([
      'backup.inventory.yaml:12:11: targets[1] (vm-204-primary).name: expected a unique target name, found "vm-204-primary" (a string), already used at line 5',
    ]);
  });

  it('reports an unknown host id, listing at most ten known ids', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `host-${i + 1}`);
    const ssh = `ssh:\n  defaults: {user: root}\n  targets:\n${ids.map((id) => `    - {id: ${id}, host: 10.0.0.${id.slice(5)}}\n`).join('')}`;
    expect(
      await errorsOf({
        'ssh.targets.yaml': ssh,
        'vm.lifecycle.yaml': patch(LIFECYCLE, 'proxmox_host: pve', 'proxmox_host: host-1'),
      }),
    ).toEqual([
      'backup.inventory.yaml:8:11: targets[0] (vm-204-primary).host: expected an ssh.targets.yaml target id (one of host-1, host-2, host-3, host-4, host-5, host-6, host-7, host-8, host-9, host-10, and 2 more), found "pve" (a string)',
    ]);
  });

  it('rejects globstar, a relative base_path and a leading / in the glob', async () => {
    const inventory = patch(
      patch(INVENTORY, 'base_path: /tank', 'base_path: tank'),
      'glob: vzdump',
      'glob: /**/vzdump',
    );
    expect(await errorsOf({ 'backup.inventory.yaml': inventory })).toEqual([
      'backup.inventory.yaml:9:16: targets[0] (vm-204-primary).base_path: expected an absolute path (starting with /), found "tank/backups/vzdump/dump" (a string)',
      'backup.inventory.yaml:10:11: targets[0] (vm-204-primary).glob: expected a glob without ** (globstar never matched: * does not cross /), found "/**/vzdump-qemu-204-*.vma.zst" (a string)',
      'backup.inventory.yaml:10:11: targets[0] (vm-204-primary).glob: expected a non-empty relative glob (not starting with /), found "/**/vzdump-qemu-204-*.vma.zst" (a string)',
    ]);
  });

  const STORAGE_TARGET =
    [
      '  - name: vm-204-pbs',
      '    enabled: true',
      '    kind: pve_storage',
      '    host: pve',
      '    storage: pbs-main',
      '    vmid: 204',
      '    stale_after_hours: 26',
      '    classification: critical',
    ].join('\n') + '\n';

  it('loads a pve_storage target with its storage and vmid, beside a file_glob one', async () => {
    const b = await loaded(await bindingsDir({ 'backup.inventory.yaml': INVENTORY + STORAGE_TARGET }));
    expect(b.inventory.targets.map((t) => t.kind)).toEqual(['file_glob', 'pve_storage']);
    expect(b.inventory.targets[1]).toMatchObject({
      name: 'vm-204-pbs',
      kind: 'pve_storage',
      host: 'pve',
      storage: 'pbs-main',
      vmid: 204,
      staleAfterHours: 26,
      source: { line: 12 },
    });
    expect(b.inventory.targets[1]).not.toHaveProperty('basePath');
  });

  it('says which fields a pve_storage target needs and which it must not have, at their lines', async () => {
    const noVmid = patch(STORAGE_TARGET, '    vmid: 204\n', '    base_path: /srv/dump\n');
    expect(await errorsOf({ 'backup.inventory.yaml': INVENTORY_HEAD + noVmid })).toEqual([
      'backup.inventory.yaml:5:5: targets[0] (vm-204-pbs).vmid: expected the VMID of the guest whose backups it holds (required), found no such field',
      'backup.inventory.yaml:10:16: targets[0] (vm-204-pbs).base_path: expected no base_path on a pve_storage target (it names storage and vmid), found "/srv/dump" (a string)',
    ]);
    const badStorage = patch(
      patch(STORAGE_TARGET, 'storage: pbs-main', 'storage: "pbs main; rm -rf /"'),
      'vmid: 204',
      'vmid: 42',
    );
    expect(await errorsOf({ 'backup.inventory.yaml': INVENTORY_HEAD + badStorage })).toEqual([
      'backup.inventory.yaml:9:14: targets[0] (vm-204-pbs).storage: expected a PVE storage id (a letter, then letters, digits, ., _ or -, ending in a letter or digit), e.g. pbs-main, found "pbs main; rm -rf /" (a string)',
      'backup.inventory.yaml:10:11: targets[0] (vm-204-pbs).vmid: expected an integer from 100 to 999999999, found 42 (an integer)',
    ]);
    const fileWithVmid = patch(TARGET, '    classification: critical', '    vmid: 204\n    classification: critical');
    expect(await errorsOf({ 'backup.inventory.yaml': INVENTORY_HEAD + fileWithVmid })).toEqual([
      'backup.inventory.yaml:11:11: targets[0] (vm-204-primary).vmid: expected no vmid on a file_glob target (kind: pve_storage names a PVE storage), found 204 (an integer)',
    ]);
  });

  it('rejects an unknown field on a target (a typo would weaken a gate)', async () => {
    const inventory = patch(
      INVENTORY,
      '    classification: critical',
      '    stale_afer_hours: 48\n    classification: critical',
    );
    expect(await errorsOf({ 'backup.inventory.yaml': inventory })).toEqual([
      'backup.inventory.yaml:11:5: targets[0] (vm-204-primary).stale_afer_hours: expected a known field (name, enabled, kind, host, base_path, glob, storage, vmid, stale_after_hours, classification, min_size_bytes, description, notes, ssh_timeout_sec, restore_sop, offsite), found an unknown field (did you mean stale_after_hours?)',
    ]);
  });

  it('reports a missing required file (only the inventory is) and still checks the others', async () => {
    expect(
      await errorsOf({
        'backup.inventory.yaml': null,
        'backup.calendar.yaml': patch(CALENDAR, 'byhour: 2', 'byhour: 24'),
      }),
    ).toEqual([
      'backup.calendar.yaml:6:13: events[0] (pve-vzdump-daily).byhour: expected an integer from 0 to 23 or null, found 24 (an integer)',
      'backup.inventory.yaml: expected the file to exist, found no such file',
    ]);
  });

  it('names a list item by its name or id as well as its index', async () => {
    const inventory = `${INVENTORY}${patch(patch(TARGET, 'vm-204-primary', 'app-mail-archiver'), 'glob: vzdump-qemu-204-*.vma.zst', 'glob: /abs/*.zst')}`;
    expect(await errorsOf({ 'backup.inventory.yaml': inventory })).toEqual([
      'backup.inventory.yaml:17:11: targets[1] (app-mail-archiver).glob: expected a non-empty relative glob (not starting with /), found "/abs/*.zst" (a string)',
    ]);
    // An item with no name field keeps its index alone.
    expect(
      await errorsOf({
        'backup.calendar.yaml': patch(CALENDAR, '  - id: pve-vzdump-daily\n    summary', '  - summary'),
      }),
    ).toEqual(['backup.calendar.yaml:3:5: events[0].id: expected a non-empty string (required), found no such field']);
  });

  it('requires exactly one of id and vmid', async () => {
    const lifecycle = `${patch(LIFECYCLE, '  - id: 204\n', '  - vmid: 204\n    id: 205\n')}  - hostname: nameless\n    status: active\n`;
    expect(await errorsOf({ 'vm.lifecycle.yaml': lifecycle })).toEqual([
      'vm.lifecycle.yaml:5:5: vms[0] (205): expected exactly one of the fields id, vmid, found id and vmid',
      'vm.lifecycle.yaml:9:5: vms[1]: expected exactly one of the fields id, vmid, found neither',
    ]);
  });

  it('reports a non-mapping guest once, not once per combinator branch', async () => {
    expect(await errorsOf({ 'vm.lifecycle.yaml': `${LIFECYCLE}  - just a string\n` })).toEqual([
      'vm.lifecycle.yaml:8:5: vms[1]: expected a mapping, found "just a string" (a string)',
    ]);
  });

  it('turns an alias bomb into one clear error', async () => {
    const bomb = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [name, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
      ['g', 'f'],
      ['h', 'g'],
      ['i', 'h'],
    ]) {
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    expect(await errorsOf({ 'backup.inventory.yaml': `${bomb.join('\n')}\n` })).toEqual([
      'backup.inventory.yaml:2:8: expected at most 100 alias expansions, found more (a YAML alias bomb?)',
    ]);
  });

  it('reports an alias without an anchor', async () => {
    expect(await errorsOf({ 'backup.calendar.yaml': patch(CALENDAR, 'byhour: 2', 'byhour: *two') })).toEqual([
      'backup.calendar.yaml:6:13: expected an alias to an anchor defined before it, found Unresolved alias (the anchor must be set before the alias): two',
    ]);
  });

  it('reports a duplicate YAML key', async () => {
    expect(
      await errorsOf({
        'backup.inventory.yaml': patch(INVENTORY, '    host: pve\n', '    host: pve\n    host: nas\n'),
      }),
    ).toEqual([
      'backup.inventory.yaml:9:5: expected each key at most once per mapping, found key "host" a second time',
    ]);
  });

  it('requires defaults.stale_after_hours (no built-in default)', async () => {
    const inventory = patch(INVENTORY, '  stale_after_hours: 26\n', '  timezone: America/New_York\n');
    expect(await errorsOf({ 'backup.inventory.yaml': inventory })).toEqual([
      'backup.inventory.yaml:3:3: defaults.stale_after_hours: expected an integer greater than 0 (required), found no such field',
    ]);
  });

  it('checks drift.gates.yaml strictly', async () => {
    const policy = 'version: 1\nthresholds: {critical: 0, urgent: 12}\npve_hosts: [pve, pve-2]\nrelays: {}\n';
    expect(await errorsOf({ 'drift.gates.yaml': policy })).toEqual([
      'drift.gates.yaml:2:24: thresholds.critical: expected an integer greater than 0, found 0 (an integer)',
      'drift.gates.yaml:2:27: thresholds.urgent: expected a known field (critical, important, rebuildable), found an unknown field',
      'drift.gates.yaml:4:1: relays: expected a known field (version, thresholds, pve_hosts, repository_root, d19, d69, relay, notify, calendar), found an unknown field (did you mean relay?)',
    ]);
  });

  it.each([
    [
      'classification lists or "all"',
      'd69:\n  restore_sop_required_for: [critical, urgent]\n  offsite_required_for: some\n',
      [
        'drift.gates.yaml:3:40: d69.restore_sop_required_for[1]: expected one of critical, important, rebuildable, found "urgent" (a string)',
        'drift.gates.yaml:4:25: d69.offsite_required_for: expected a list of classifications (critical, important, rebuildable) or "all", found "some" (a string)',
      ],
    ],
    [
      'storage hosts are ssh target ids',
      'd69: {storage_hosts: {pve: nas-2}}\n',
      [
        'drift.gates.yaml:2:28: d69.storage_hosts.pve: expected an ssh.targets.yaml target id (one of pve, nas), found "nas-2" (a string)',
      ],
    ],
  ])('checks the d69 policy: %s', async (_, policy, errors) => {
    expect(await errorsOf({ 'drift.gates.yaml': `version: 1\n${policy}` })).toEqual(errors);
  });

  it.each([
    [
      'host and allowed_recipients are required',
      'relay: {port: 465}\n',
      [
        'drift.gates.yaml:2:8: relay.host: expected a host name such as mail.example.com (required), found no such field',
        'drift.gates.yaml:2:8: relay.allowed_recipients: expected a list (required), found no such field',
      ],
    ],
    [
      'STARTTLS, a bad port, a recipient that is no address, an unknown key',
      'relay:\n  host: mail.example.com\n  port: 0\n  tls: starttls\n  allowed_recipients: [alerts]\n  smarthost: x\n',
      [
        'drift.gates.yaml:4:9: relay.port: expected an integer from 1 to 65535, found 0 (an integer)',
        'drift.gates.yaml:5:8: relay.tls: expected one of implicit, found "starttls" (a string)',
        'drift.gates.yaml:6:24: relay.allowed_recipients[0]: expected an address (alerts@example.com) or a domain (@example.com), found "alerts" (a string)',
        'drift.gates.yaml:7:3: relay.smarthost: expected a known field (host, port, tls, hosts, allowed_recipients, sender_domain, max_queue_age_minutes, fail_on_deferred, mail), found an unknown field',
      ],
    ],
    [
      'mail values are relay or disabled',
      'relay:\n  host: mail.example.com\n  allowed_recipients: ["@example.com"]\n  hosts: [pve]\n  mail: {pve: off, nas: disabled, pve-9: relay}\n',
      ['drift.gates.yaml:6:15: relay.mail.pve: expected one of relay, disabled, found "off" (a string)'],
    ],
    [
      'mail keys are ssh targets in relay.hosts',
      'relay:\n  host: mail.example.com\n  allowed_recipients: ["@example.com"]\n  hosts: [pve]\n  mail: {nas: disabled, pve-9: relay}\n',
      [
        'drift.gates.yaml:6:10: relay.mail.nas: expected a host in relay.hosts (pve), found "nas" (a string)',
        'drift.gates.yaml:6:25: relay.mail.pve-9: expected a host in relay.hosts (pve), found "pve-9" (a string)',
        'drift.gates.yaml:6:32: relay.mail.pve-9: expected an ssh.targets.yaml target id (one of pve, nas), found "pve-9" (a string)',
      ],
    ],
  ])('checks the relay policy: %s', async (_, policy, errors) => {
    expect(await errorsOf({ 'drift.gates.yaml': `version: 1\n${policy}` })).toEqual(errors);
  });

  it('checks drift.gates.yaml pve_hosts against ssh.targets.yaml', async () => {
    expect(await errorsOf({ 'drift.gates.yaml': 'version: 1\npve_hosts: [pve, pve-2]\n' })).toEqual([
      'drift.gates.yaml:2:18: pve_hosts[1]: expected an ssh.targets.yaml target id (one of pve, nas), found "pve-2" (a string)',
    ]);
  });

  it('checks lifecycle ids and hypervisors', async () => {
    const lifecycle = `${LIFECYCLE}  - id: 204\n    status: ""\n  - id: 99\n    proxmox_host: pve-home\n    status: active\n`;
    expect(await errorsOf({ 'vm.lifecycle.yaml': lifecycle })).toEqual([
      'vm.lifecycle.yaml:9:13: vms[1] (204).status: expected a non-empty string, found "" (a string)',
      'vm.lifecycle.yaml:10:9: vms[2] (99).id: expected an integer from 100 to 999999999, found 99 (an integer)',
    ]);
    const valid = `${LIFECYCLE}  - id: 204\n    status: active\n  - id: 205\n    proxmox_host: pve-home\n    status: active\n`;
    expect(await errorsOf({ 'vm.lifecycle.yaml': valid })).toEqual([
      'vm.lifecycle.yaml:8:9: vms[1] (204).id: expected a unique VMID, found 204 (an integer), already used at line 5',
      'vm.lifecycle.yaml:11:19: vms[2] (205).proxmox_host: expected an ssh.targets.yaml target id (one of pve, nas), found "pve-home" (a string)',
    ]);
    expect(
      await errorsOf({ 'vm.lifecycle.yaml': patch(LIFECYCLE, 'proxmox_host: pve', 'proxmox_host: pve-home') }),
    ).toEqual([
      'vm.lifecycle.yaml:3:17: defaults.proxmox_host: expected an ssh.targets.yaml target id (one of pve, nas), found "pve-home" (a string)',
    ]);
    expect(await errorsOf({ 'vm.lifecycle.yaml': patch(LIFECYCLE, 'defaults:\n  proxmox_host: pve\n', '') })).toEqual([
      'vm.lifecycle.yaml:3:5: vms[0] (204).proxmox_host: expected a proxmox_host here or in defaults.proxmox_host, found neither',
    ]);
  });

  it('checks ssh target ids and probe_via', async () => {
    const ssh = `${SSH}    - id: pve\n      host: 10.0.0.1\n      probe_via: pve-2\n    - id: switch\n      host: 10.0.0.2\n      probe_via: switch\n`;
    expect(await errorsOf({ 'ssh.targets.yaml': ssh })).toEqual([
      'ssh.targets.yaml:10:11: ssh.targets[2] (pve).id: expected a unique target id, found "pve" (a string), already used at line 5',
      'ssh.targets.yaml:12:18: ssh.targets[2] (pve).probe_via: expected the id of another ssh target (one of pve, nas, switch), found "pve-2" (a string)',
      'ssh.targets.yaml:15:18: ssh.targets[3] (switch).probe_via: expected the id of another ssh target (one of pve, nas, switch), found "switch" (a string)',
    ]);
  });

  it('collects errors of all files, sorted by file then line, without cascading', async () => {
    const errors = await errorsOf({
      'ssh.targets.yaml': patch(SSH, '      host: 192.0.2.10', '      host: 192.0.2.10\n      port: "22"'),
      'backup.inventory.yaml': patch(INVENTORY, 'host: pve', 'host: nowhere'),
      'vm.lifecycle.yaml': patch(LIFECYCLE, 'status: active', 'status: 1'),
      'backup.calendar.yaml': patch(CALENDAR, 'freq: DAILY', 'freq: [DAILY]'),
    });
    // ssh.targets.yaml is invalid, so the unknown inventory host is not judged against it.
    expect(errors).toEqual([
      'backup.calendar.yaml:5:11: events[0] (pve-vzdump-daily).freq: expected a non-empty string, found a list of 1 item',
      'ssh.targets.yaml:7:13: ssh.targets[0] (pve).port: expected an integer from 1 to 65535, found "22" (a string)',
      'vm.lifecycle.yaml:7:13: vms[0] (204).status: expected a non-empty string, found 1 (an integer)',
    ]);
  });

  it('rejects a file over 5 MiB before parsing it', async () => {
    expect(await errorsOf({ 'backup.calendar.yaml': `# ${'x'.repeat(5 * 1024 * 1024)}\n` })).toEqual([
      'backup.calendar.yaml: expected a file of at most 5 MiB, found 5.0 MiB',
    ]);
  });

  it('reports an empty file as a missing mapping', async () => {
    expect(await errorsOf({ 'backup.calendar.yaml': '' })).toEqual([
      'backup.calendar.yaml:1:1: expected a mapping, found null',
    ]);
  });
});

describe('drift.waivers.yaml', () => {
  const WAIVER = dedent(`
    version: 1
    waivers:
      - gate: D19
        check: D19.freshness
        subject: "home-vm-*"
        justification: the home NAS is being replaced
        owner: alice@example.com
        expires: 2026-04-30
  `);

  it('is optional, and loads each waiver with its line', async () => {
    expect((await loaded(await bindingsDir())).waivers).toEqual([]);
    const bindings = await loaded(await bindingsDir({ 'drift.waivers.yaml': WAIVER }));
    expect(bindings.waivers).toEqual([
      {
        gate: 'D19',
        check: 'D19.freshness',
        subject: 'home-vm-*',
        justification: 'the home NAS is being replaced',
        owner: 'alice@example.com',
        expires: '2026-04-30',
        source: { file: 'drift.waivers.yaml', line: 3 },
      },
    ]);
    expect(Object.keys(bindings.digests)).toContain('drift.waivers.yaml');
  });

  it('requires every field, a real UTC date, a known gate, and each gate, check and subject once', async () => {
    const waivers =
      WAIVER +
      dedent(`
      - gate: D91
        check: freshness
        subject: x
        justification: ""
        owner: bob
        expires: 2026-02-30
        ticket: OPS-12
      - gate: D19
        check: D19.freshness
        subject: "home-vm-*"
        justification: again
        owner: bob
        expires: 2026-04-31T00:00Z
      - gate: D69
        check: D69.status
        subject: qemu/9000
        owner: bob
    `).replace(/^/gm, '  ');
    expect(await errorsOf({ 'drift.waivers.yaml': waivers })).toEqual([
      'drift.waivers.yaml:10:12: waivers[1].check: expected a check id such as D19.freshness, found "freshness" (a string)',
      'drift.waivers.yaml:12:20: waivers[1].justification: expected a non-empty string, found "" (a string)',
      'drift.waivers.yaml:15:5: waivers[1].ticket: expected a known field (gate, check, subject, justification, owner, expires), found an unknown field',
      'drift.waivers.yaml:21:14: waivers[2].expires: expected a UTC date YYYY-MM-DD, found "2026-04-31T00:00Z" (a string)',
      'drift.waivers.yaml:22:5: waivers[3].justification: expected a non-empty string (required), found no such field',
      'drift.waivers.yaml:22:5: waivers[3].expires: expected a UTC date YYYY-MM-DD (required), found no such field',
    ]);
    const semantic =
      WAIVER +
      dedent(`
      - gate: D91
        check: D19.freshness
        subject: x
        justification: typo in the gate
        owner: bob
        expires: 2026-02-30
      - gate: D19
        check: D19.freshness
        subject: "home-vm-*"
        justification: again
        owner: bob
        expires: 2026-05-31
    `).replace(/^/gm, '  ');
    expect(await errorsOf({ 'drift.waivers.yaml': semantic })).toEqual([
      'drift.waivers.yaml:9:11: waivers[1].gate: expected a gate id (one of D19, D69, relay-stalwart, radicale-calendar), found "D91" (a string)',
      'drift.waivers.yaml:14:14: waivers[1].expires: expected a real UTC date YYYY-MM-DD, found "2026-02-30" (a string)',
      'drift.waivers.yaml:17:14: waivers[2].subject: expected a unique gate, check and subject, found "D19 D19.freshness home-vm-*" (a string), already used at line 5',
    ]);
  });

  it('checks the notify sender against relay.sender_domain', async () => {
    const policy =
      'version: 1\nrelay:\n  host: mail.example.com\n  allowed_recipients: [ops@example.com]\n  sender_domain: example.com\nnotify: {from: gates@example.org, cooldown_hours: 6}\n';
    expect(await errorsOf({ 'drift.gates.yaml': policy })).toEqual([
      'drift.gates.yaml:6:16: notify.from: expected an address @example.com (relay.sender_domain), found "gates@example.org" (a string)',
    ]);
    const ok = await loaded(await bindingsDir({ 'drift.gates.yaml': policy.replace('example.org', 'example.com') }));
    expect(ok.policy.notify).toEqual({ from: 'gates@example.com', cooldownHours: 6 });
    expect((await loaded(await bindingsDir())).policy.notify).toEqual({ from: null, cooldownHours: 24 });
  });
});

describe('restore.drills.yaml', () => {
  const DRILLS = dedent(`
    version: 1
    drills:
      - target: vm-204-primary
        date: 2026-02-10
        result: ok
        by: alice@example.com
        notes: restored into 9204, booted, app login checked
        evidence: OPS-311
  `);

  it('is optional (null), and loads each drill with its line', async () => {
    expect((await loaded(await bindingsDir())).drills).toBeNull();
    const bindings = await loaded(await bindingsDir({ 'restore.drills.yaml': DRILLS }));
    expect(bindings.drills).toEqual([
      {
        target: 'vm-204-primary',
        date: '2026-02-10',
        result: 'ok',
        by: 'alice@example.com',
        notes: 'restored into 9204, booted, app login checked',
        evidence: 'OPS-311',
        source: { file: 'restore.drills.yaml', line: 3 },
      },
    ]);
    expect(Object.keys(bindings.digests)).toContain('restore.drills.yaml');
  });

  it('names the file, line and field of a bad drill: unknown target, unreal date, result, missing by', async () => {
    const drills =
      DRILLS +
      dedent(`
      - target: vm-999-primary
        date: 2026-02-30
        result: passed
      - target: vm-204-primary
        date: 2026-02-30
        result: failed
        by: bob
    `).replace(/^/gm, '  ');
    expect(await errorsOf({ 'restore.drills.yaml': drills })).toEqual([
      'restore.drills.yaml:9:5: drills[1].by: expected a non-empty string (required), found no such field',
      'restore.drills.yaml:11:13: drills[1].result: expected one of ok, failed, found "passed" (a string)',
    ]);
    // Past the schema: the target must exist, the date must be real.
    const semantic = drills.replace('result: passed', 'result: ok\n    by: bob');
    expect(await errorsOf({ 'restore.drills.yaml': semantic })).toEqual([
      'restore.drills.yaml:9:13: drills[1].target: expected a target name of backup.inventory.yaml, found "vm-999-primary" (a string)',
      'restore.drills.yaml:10:11: drills[1].date: expected a real UTC date YYYY-MM-DD, found "2026-02-30" (a string)',
      'restore.drills.yaml:14:11: drills[2].date: expected a real UTC date YYYY-MM-DD, found "2026-02-30" (a string)',
    ]);
  });
});
