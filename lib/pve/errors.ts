// One error type for every unparseable host input, so callers can turn it into a finding
// that names which probe output was bad.

export class PveParseError extends Error {
  constructor(
    /** What was being parsed: `guests`, `schedule`, … */
    public readonly source: string,
    message: string,
  ) {
    super(message);
    this.name = 'PveParseError';
  }
}
