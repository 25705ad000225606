// D19 backup drift — rules in lib/rules/D19.ts.
import { defineGate } from '../lib/gates/define-gate.js';
import { evaluateD19 } from '../lib/rules/D19.js';

defineGate('D19', evaluateD19);
