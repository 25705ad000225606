// `ops snapshot --shard i/n`: the hosts one of n runners collects. Every host a collection needs
// (the probe plan, and the calendar's host) is in exactly one shard: sorted by id and dealt round
// robin, so every runner computes the same split from the same bindings without talking to the
// others. A calendar reached directly (no host) is read by shard 1. `ops merge` joins the shards.

import type { Bindings } from '../bindings/types.js';
import { calendarLocation } from '../calendar/location.js';
import { probePlan } from './plan.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** `i/n` with 1 ≤ i ≤ n; null when it is not that. */
export function parseShard(text: string): Shard | null {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && index <= count && count <= 1024 ? { index, count } : null;
}

export function shardHosts(bindings: Bindings, shard: Shard): string[] {
  const via = calendarLocation(bindings)?.via;
  const ids = [...new Set([...probePlan(bindings).map((p) => p.hostId), ...(via ? [via] : [])])].sort();
  return ids.filter((_, i) => i % shard.count === shard.index - 1);
}
