// Grouping in one pass, for the places that index a list by a key (guests by target, backups by
// VMID, findings by host): a search of the whole list per item made large estates quadratic.

/** `list.filter(keep)` grouped by `keyOf`, the groups in order of first appearance, each in list order. */
export function groupBy<T, K>(
  list: readonly T[],
  keyOf: (item: T) => K,
  keep: (item: T) => boolean = () => true,
): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of list) {
    if (!keep(item)) continue;
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
