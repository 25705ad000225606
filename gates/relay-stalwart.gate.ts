// relay-stalwart: Proxmox mail through Stalwart SMTPS, or not at all — rules in lib/rules/relay-stalwart.ts.
import { defineGate } from '../lib/gates/define-gate.js';
import { evaluateRelay } from '../lib/rules/relay-stalwart.js';

defineGate('relay-stalwart', evaluateRelay);
