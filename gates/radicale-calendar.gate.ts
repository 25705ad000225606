// radicale-calendar: every backup window is in the Radicale calendar home, exactly — rules in
// lib/rules/radicale-calendar.ts.
import { defineGate } from '../lib/gates/define-gate.js';
import { evaluateRadicaleCalendar } from '../lib/rules/radicale-calendar.js';

defineGate('radicale-calendar', evaluateRadicaleCalendar);
