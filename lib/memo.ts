// Memoising a pure function of a string (a glob's compiled matcher, its parse): the rules see the same
// few globs thousands of times. Bounded, so a long-lived process (the benchmark, a test run) that
// judges many binding sets does not grow without end.

const LIMIT = 10_000;

/**
 * `fn`, computed once per distinct text; the memory is emptied when it holds LIMIT entries. Callers must not change a
 * result.
 */
export function memoByText<T>(fn: (text: string) => T): (text: string) => T {
  const known = new Map<string, T>();
  return (text) => {
    if (known.has(text)) return known.get(text)!;
    if (known.size >= LIMIT) known.clear();
    const value = fn(text);
    known.set(text, value);
    return value;
  };
}
