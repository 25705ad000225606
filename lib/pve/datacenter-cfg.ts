// /etc/pve/datacenter.cfg (pve-cluster PVE/DataCenterConfig.pm): `key: value` lines, `#` comments.
// The mail gate needs `email_from`, the sender of PVE's mail when an endpoint names none.

export function parseDatacenterCfg(text: string): Record<string, string> {
  const keys = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z][a-z0-9_-]*)\s*:\s*(.*?)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith('#')) keys.set(m[1]!, m[2]!);
  }
  return Object.fromEntries(keys);
}
