// How the verify input reaches the gate worker: through shared memory, serialized once (v8's
// structured-clone format). The vitest run starts before the input exists, so that its worker
// thread starts and imports the gate files on the other core while this thread loads bindings and
// host state; each gate waits for the input (Atomics.wait) when it first needs it.
//
// Handed to vitest's `provide` as an object, a large estate's input was cloned twice on the way
// (provide's cloneability check, then the message to the worker): a third of a second and its
// size again in memory; and the worker could only start once the input was complete.

import { deserialize, serialize } from 'node:v8';
import type { VerifyInput } from '../rules/input.js';

/** What is provided to the gates: the mailbox's memory, shared by both threads. */
export interface SharedInput {
  /** Int32 state and byte length, then the serialized input from byte HEADER. */
  bytes: SharedArrayBuffer;
}

export interface InputMailbox {
  shared: SharedInput;
  /** Hands the gates their input; once, and never after `abandon`. */
  put(input: VerifyInput): void;
  /** Tells waiting gates there will be no input (bad input: the run judges nothing). */
  abandon(): void;
}

// Growable SharedArrayBuffers (ES2024; in V8 since Node 20) are not in this project's TypeScript lib.
interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  grow(length: number): void;
}
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => GrowableSharedArrayBuffer;

const HEADER = 8;
/** Address space reserved, not memory used: the buffer grows to the input's size. */
const MAX_BYTES = 2 ** 31;
const WAITING = 0;
const READY = 1;
const NONE = 2;

export function inputMailbox(): InputMailbox {
  const bytes = new GrowableSharedArrayBuffer(HEADER, { maxByteLength: MAX_BYTES });
  const head = new Int32Array(bytes, 0, 2);
  const settle = (state: number) => {
    if (Atomics.compareExchange(head, 0, WAITING, state) !== WAITING)
      throw new Error("the gates' input was already settled");
    Atomics.notify(head, 0);
  };
  return {
    shared: { bytes },
    put(input) {
      const data = serialize(input);
      if (HEADER + data.length > MAX_BYTES)
        throw new Error(`the verify input is too large (${data.length} bytes serialized)`);
      bytes.grow(HEADER + data.length);
      new Uint8Array(bytes, HEADER).set(data);
      head[1] = data.length;
      settle(READY);
    },
    abandon() {
      if (Atomics.load(head, 0) === WAITING) settle(NONE);
    },
  };
}

// The gate files share a worker (isolate: false): the input is read once, not once per gate.
const read = new WeakMap<SharedArrayBuffer, VerifyInput>();

/** The input, once the CLI has put it (blocks this worker thread until then). */
export function inputOf(shared: SharedInput): VerifyInput {
  let input = read.get(shared.bytes);
  if (input) return input;
  const head = new Int32Array(shared.bytes, 0, 2);
  Atomics.wait(head, 0, WAITING);
  if (Atomics.load(head, 0) !== READY)
    throw new Error('ops verify had no input for the gates (its bindings or host state did not load)');
  input = deserialize(new Uint8Array(shared.bytes, HEADER, head[1])) as VerifyInput;
  read.set(shared.bytes, input);
  return input;
}
