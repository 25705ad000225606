// Every gate: its id (a contract), what it is about, and the vitest file that runs it.
// A reader finds a gate's rules in lib/rules/<id>.ts (each check in lib/rules/<id>/<check>.ts) and its test file in gates/<id>.gate.ts.

export interface GateInfo {
  id: string;
  title: string;
  /** Gate file, relative to the package root. */
  file: string;
}

export const GATES: readonly GateInfo[] = [
  { id: 'D19', title: 'backup drift', file: 'gates/D19.gate.ts' },
  { id: 'D69', title: 'VM-creation backup onboarding', file: 'gates/D69.gate.ts' },
  { id: 'relay-stalwart', title: 'Proxmox mail through Stalwart SMTPS', file: 'gates/relay-stalwart.gate.ts' },
  {
    id: 'radicale-calendar',
    title: 'backup windows in the Radicale calendar home',
    file: 'gates/radicale-calendar.gate.ts',
  },
];

export const gateIds = (): string[] => GATES.map((g) => g.id);
