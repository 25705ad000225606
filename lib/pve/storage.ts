// PVE storages: the status list, storage.cfg, and the backups on one storage, as pvesh and the
// file print them. Shapes follow pve-storage (0c56bad): API2/Storage/Status.pm index (the status
// list), API2/Storage/Content.pm index with Storage/Plugin.pm get_subdir_files (file storages) and
// Storage/PBSPlugin.pm list_volumes (PBS). pvesh prints Perl booleans as 0/1 and numbers as numbers.

import type { BackupVolume, PveStorage, StorageConfig } from '../model.js';
import { PveParseError } from './errors.js';
import { parseSectionConfig } from './section-config.js';

/** pve-common JSONSchema.pm parse_storage_id (case-insensitive there too). */
const STORAGE_ID = /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i;
/** pve-common JSONSchema.pm pve_verify_node_name. */
const NODE_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

export const isStorageId = (id: string): boolean => STORAGE_ID.test(id);

/**
 * The PVE node name from `hostname` output: its first label, as PVE::INotify::nodename takes it
 * from uname; null when that is not a name PVE accepts (it must never reach a shell then).
 */
export function nodeName(hostnameOutput: string): string | null {
  const node = hostnameOutput.trim().split('.')[0] ?? '';
  return NODE_NAME.test(node) ? node : null;
}

export function parseStorageStatus(json: string): PveStorage[] {
  return jsonArray(json, 'storage-status').map((item, i) => {
    const { storage, type } = item;
    if (typeof storage !== 'string' || !isStorageId(storage) || typeof type !== 'string') {
      throw new PveParseError('storage-status', `entry ${i} lacks a storage id or a type`);
    }
    return {
      id: storage,
      type,
      enabled: flag(item.enabled, `${storage}.enabled`),
      active: flag(item.active, `${storage}.active`),
      content:
        typeof item.content === 'string'
          ? item.content
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean)
          : [],
      total: bytes(item.total, `${storage}.total`),
      used: bytes(item.used, `${storage}.used`),
      avail: bytes(item.avail, `${storage}.avail`),
    };
  });
}

/** /etc/pve/storage.cfg: one section per storage (`pbs: pbs-main`, keys indented). */
export function parseStorageCfg(text: string): StorageConfig[] {
  return parseSectionConfig(text).sections.map((s) => ({
    id: s.id,
    type: s.type,
    line: s.line,
    // A bare `disable` line is how PVE writes the flag; `disable 0` is not set.
    disabled: s.keys['disable'] !== undefined && s.keys['disable'] !== '0',
    nodes: s.keys['nodes'] ? splitList(s.keys['nodes']) : null,
    path: s.keys['path'] ?? null,
    contentDirs: contentDirs(s.keys['content-dirs']),
    datastore: s.keys['datastore'] ?? null,
    namespace: s.keys['namespace'] ?? null,
    server: s.keys['server'] ?? null,
    pruneBackups: s.keys['prune-backups'] ?? null,
    maxfiles: s.keys['maxfiles'] ?? null,
  }));
}

/** pve-common Tools.pm split_list: items separated by commas, semicolons or spaces. */
const splitList = (value: string): string[] => value.split(/[,;\s]+/).filter(Boolean);

/** `content-dirs backup=dumps,iso=isos` (Plugin.pm decode_value); entries without `=` are dropped. */
function contentDirs(value: string | undefined): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const item of splitList(value ?? '')) {
    const [content, dir] = item.split(/=(.*)/s);
    if (content && dir) dirs[content] = dir;
  }
  return dirs;
}

export function parseBackupContent(json: string): BackupVolume[] {
  return jsonArray(json, 'storage-content').map((item, i) => {
    const { volid, format } = item;
    if (typeof volid !== 'string' || typeof format !== 'string') {
      throw new PveParseError('storage-content', `entry ${i} lacks a volid or a format`);
    }
    return {
      volid,
      format,
      vmid: integer(item.vmid, `${volid} vmid`),
      ctime: integer(item.ctime, `${volid} ctime`),
      size: integer(item.size, `${volid} size`),
      protected: item.protected === undefined ? false : flag(item.protected, `${volid} protected`),
      notes: typeof item.notes === 'string' ? item.notes : null,
      verification: verification(item.verification, volid),
    };
  });
}

// PBS hands its SnapshotVerifyState through verbatim: {state: ok|failed, upid}.
function verification(v: unknown, volid: string): BackupVolume['verification'] {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v) || typeof (v as { state?: unknown }).state !== 'string') {
    throw new PveParseError('storage-content', `${volid}: verification is not {state, upid}`);
  }
  const { state, upid } = v as { state: string; upid?: unknown };
  return { state, upid: typeof upid === 'string' ? upid : null };
}

// proxmox-rs proxmox-schema/src/upid.rs PROXMOX_UPID_REGEX: the worker id is systemd-escaped
// (`\x2d` for -, `-` for /), so it holds no `:`; the start time is 8 hex digits of epoch seconds.
const UPID =
  /^UPID:[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8,16}:([0-9A-Fa-f]{8}):[^:\s]+:[^:\s]*:[^:\s]+:$/;

/** When the task a PBS UPID names started (epoch seconds); null when it is no UPID. */
export function upidStartTime(upid: string): number | null {
  const m = UPID.exec(upid);
  return m ? parseInt(m[2]!, 16) : null;
}

function jsonArray(json: string, source: string): Record<string, unknown>[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw new PveParseError(source, `invalid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw new PveParseError(source, 'expected a JSON array');
  return data.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new PveParseError(source, `entry ${i} is not an object`);
    return item as Record<string, unknown>;
  });
}

function flag(v: unknown, what: string): boolean {
  if (v === undefined || v === 0 || v === false) return false;
  if (v === 1 || v === true) return true;
  throw new PveParseError('storage', `${what}: expected 0 or 1, found ${JSON.stringify(v)}`);
}

function integer(v: unknown, what: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new PveParseError('storage-content', `${what}: expected a whole number, found ${JSON.stringify(v)}`);
}

const bytes = (v: unknown, what: string): number | null => {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  throw new PveParseError('storage-status', `${what}: expected a byte count, found ${JSON.stringify(v)}`);
};
