// D69 VM-creation backup onboarding — rules in lib/rules/D69.ts.
import { defineGate } from '../lib/gates/define-gate.js';
import { evaluateD69 } from '../lib/rules/D69.js';

defineGate('D69', evaluateD69);
