// How the verify input reaches the gate worker: serialized once (v8's structured-clone format)
// into a SharedArrayBuffer, which the worker thread reads in place. Handed to vitest's `provide`
// as it is, a large estate's input was cloned twice on the way (provide's cloneability check,
// then the message to the worker): a third of a second and its size again in memory.

import { deserialize, serialize } from 'node:v8';
import type { VerifyInput } from '../rules/input.js';

export interface SharedInput {
  bytes: SharedArrayBuffer;
}

export function shareInput(input: VerifyInput): SharedInput {
  const bytes = serialize(input);
  const shared = new SharedArrayBuffer(bytes.length);
  new Uint8Array(shared).set(bytes);
  return { bytes: shared };
}

// The gate files share a worker (isolate: false): the input is read once, not once per gate.
const read = new WeakMap<SharedArrayBuffer, VerifyInput>();

export function inputOf(shared: SharedInput): VerifyInput {
  let input = read.get(shared.bytes);
  if (!input) read.set(shared.bytes, (input = deserialize(new Uint8Array(shared.bytes)) as VerifyInput));
  return input;
}
