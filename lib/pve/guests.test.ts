import { describe, expect, it } from 'vitest';
import { PveParseError } from './errors.js';
import { parseGuests } from './guests.js';

// Shape from platform.md 3.1; 205 sits on an offline node (no name/status/template); the last row is storage.
const RESOURCES = JSON.stringify([
  {
    cpu: 0.012,
    disk: 0,
    id: 'qemu/100',
    maxcpu: 2,
    maxdisk: 34359738368,
    maxmem: 4294967296,
    mem: 1288490188,
    name: 'web1',
    netin: 123,
    netout: 456,
    node: 'pve1',
    pool: 'prod',
    status: 'running',
    tags: 'prod;web',
    template: 0,
    type: 'qemu',
    uptime: 86400,
    vmid: 100,
  },
  { id: 'lxc/210', name: 'dns1', node: 'pve2', status: 'stopped', template: 1, type: 'lxc', vmid: 210 },
  { id: 'qemu/205', node: 'pve3', type: 'qemu', vmid: 205 },
  { id: 'storage/pve1/local', node: 'pve1', storage: 'local', type: 'storage' },
]);

describe('parseGuests', () => {
  it('maps qemu and lxc resources and skips other types', () => {
    expect(parseGuests(RESOURCES)).toEqual([
      { vmid: 100, type: 'qemu', node: 'pve1', name: 'web1', status: 'running', template: false, pool: 'prod' },
      { vmid: 210, type: 'lxc', node: 'pve2', name: 'dns1', status: 'stopped', template: true, pool: null },
      { vmid: 205, type: 'qemu', node: 'pve3', name: null, status: null, template: false, pool: null },
    ]);
  });

  it("keeps status 'unknown' as reported for an offline node", () => {
    const [g] = parseGuests('[{"node":"pve3","status":"unknown","type":"lxc","vmid":301}]');
    expect(g).toMatchObject({ vmid: 301, status: 'unknown', name: null, template: false });
  });

  it('accepts an empty cluster', () => {
    expect(parseGuests('[]\n')).toEqual([]);
  });

  it('throws PveParseError for invalid JSON', () => {
    expect(() => parseGuests('[{"vmid":100,')).toThrow(PveParseError);
    expect(() => parseGuests('')).toThrow(/invalid JSON/);
    expect(() => parseGuests('not json')).toThrow(expect.objectContaining({ source: 'guests' }));
  });

  it('throws PveParseError for JSON that is not an array', () => {
    expect(() => parseGuests('{"data":[]}')).toThrow(new PveParseError('guests', 'expected a JSON array of resources'));
  });

  it('throws PveParseError for a guest without vmid or node, or a non-object entry', () => {
    expect(() => parseGuests('[{"type":"qemu","node":"pve1","vmid":"100"}]')).toThrow(/resource 0 lacks/);
    expect(() => parseGuests('[{"type":"lxc","vmid":100}]')).toThrow(PveParseError);
    expect(() => parseGuests('[null]')).toThrow(/resource 0 is not an object/);
  });
});
