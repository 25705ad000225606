// `ops calendar publish` prints what the CalDAV server holds (hrefs, UIDs, error texts): a server
// cannot write terminal escapes or forge a line into that output.

import { describe, expect, it } from 'vitest';
import type { PublishAction } from '../calendar/publish.js';
import { actionLines } from './calendar.js';

describe('ops calendar publish output', () => {
  it('escapes control characters from the server in every action line, and still redacts the password', () => {
    const remote: PublishAction = {
      kind: 'delete',
      id: 'old\u001b[2Jjob',
      uid: 'x',
      href: '/cal/evil\r\nOK: 0 to create.ics',
      etag: '"1"',
      why: 'no longer in backup.calendar.yaml',
    };
    const [line] = actionLines(
      [remote],
      true,
      [{ action: remote, ok: false, reason: 'http_error', message: 'HTTP 500 \u0007hunter2\u009b' }],
      'hunter2',
    );
    expect(line).toBe(
      'FAILED to delete old\\u001b[2Jjob /cal/evil\\u000d\\u000aOK: 0 to create.ics: no longer in backup.calendar.yaml (http_error: HTTP 500 \\u0007[redacted]\\u009b)\n',
    );
  });
});
