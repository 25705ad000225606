// Guest inventory from `pvesh get /cluster/resources --type vm --output-format json`.

import type { Guest } from '../model.js';
import { PveParseError } from './errors.js';

export function parseGuests(json: string): Guest[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new PveParseError('guests', `invalid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(data)) throw new PveParseError('guests', 'expected a JSON array of resources');
  return data.flatMap((item: unknown, index) => {
    const resource = asRecord(item, index);
    return resource.type === 'qemu' || resource.type === 'lxc' ? [toGuest(resource, resource.type, index)] : [];
  });
}

function asRecord(item: unknown, index: number): Record<string, unknown> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new PveParseError('guests', `resource ${index} is not an object`);
  }
  return item as Record<string, unknown>;
}

// vmid/node/type come from the cluster vmlist and are always present; name, status and template
// come from the status broadcast and are missing for guests on an offline node.
function toGuest(resource: Record<string, unknown>, type: Guest['type'], index: number): Guest {
  const { vmid, node } = resource;
  if (typeof vmid !== 'number' || !Number.isInteger(vmid) || typeof node !== 'string') {
    throw new PveParseError('guests', `resource ${index} lacks an integer vmid or a node`);
  }
  return {
    vmid,
    type,
    node,
    name: optionalString(resource.name),
    status: optionalString(resource.status),
    template: resource.template === 1,
    pool: optionalString(resource.pool),
  };
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
