import { describe, expect, it } from 'vitest';
import { arrivalEpoch, parsePostqueue } from './postqueue.js';

const QUEUE = `-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
4C1F82A0E3      1893 Wed Feb 25 03:14:10  root@pve-home.example.net
(connect to mx01.example.net[198.51.100.25]:25: Connection timed out)
                                         owner@example.net

8C2F41A0D91*    2148 Mon Mar  2 11:02:44  root@pve1.example.com
                                         alerts@example.com
                                         it@example.com

91AB41A0E02!    1902 Mon Mar  2 11:20:31  MAILER-DAEMON
(host mx1.example.net[203.0.113.25] refused to talk to me:
 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked)
                                         ops@example.net

4Q6Xk52Zq8z9sKB#     712 Tue Mar  3 23:59:59  root@pve1.example.com
(delivery temporarily suspended: connect to mail.example.com[192.0.2.25]:465: Connection refused)
                                         alerts@example.com
(host mail.example.com[192.0.2.25] said: 450 4.2.0 mailbox busy (in reply to RCPT TO command))
                                         it@example.com

-- 6 Kbytes in 4 Requests.
`;

describe('parsePostqueue', () => {
  it('reads an empty queue', () => {
    expect(parsePostqueue('Mail queue is empty\n')).toEqual({ messages: [], warnings: [] });
    expect(parsePostqueue('')).toEqual({ messages: [], warnings: [] });
  });

  it('reads deferred, active (*), hold (!) and expiring (#) entries with their reasons and recipients', () => {
    const { messages, warnings } = parsePostqueue(QUEUE);
    expect(warnings).toEqual([]);
    expect(messages).toEqual([
      {
        id: '4C1F82A0E3',
        status: 'deferred',
        size: 1893,
        arrival: 'Wed Feb 25 03:14:10',
        sender: 'root@pve-home.example.net',
        recipients: ['owner@example.net'],
        reasons: ['connect to mx01.example.net[198.51.100.25]:25: Connection timed out'],
      },
      {
        id: '8C2F41A0D91',
        status: 'active',
        size: 2148,
        arrival: 'Mon Mar 2 11:02:44',
        sender: 'root@pve1.example.com',
        recipients: ['alerts@example.com', 'it@example.com'],
        reasons: [],
      },
      {
        id: '91AB41A0E02',
        status: 'hold',
        size: 1902,
        arrival: 'Mon Mar 2 11:20:31',
        sender: 'MAILER-DAEMON',
        recipients: ['ops@example.net'],
        reasons: [
          'host mx1.example.net[203.0.113.25] refused to talk to me: 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked',
        ],
      },
      {
        id: '4Q6Xk52Zq8z9sKB',
        status: 'expiring',
        size: 712,
        arrival: 'Tue Mar 3 23:59:59',
        sender: 'root@pve1.example.com',
        recipients: ['alerts@example.com', 'it@example.com'],
        reasons: [
          'delivery temporarily suspended: connect to mail.example.com[192.0.2.25]:465: Connection refused',
          'host mail.example.com[192.0.2.25] said: 450 4.2.0 mailbox busy (in reply to RCPT TO command)',
        ],
      },
    ]);
  });

  it('reports lines it does not understand instead of guessing', () => {
    expect(
      parsePostqueue('postqueue: warning: Mail system is down -- accessing queue directly\n').warnings,
    ).toHaveLength(1);
  });
});

describe('arrivalEpoch', () => {
  const at = (iso: string) => Date.parse(iso) / 1000;

  it('reads the arrival in the host zone, in the capture year', () => {
    // 03:14:10 in Berlin on 25 Feb 2026 (CET, UTC+1) is 02:14:10 UTC.
    expect(arrivalEpoch('Wed Feb 25 03:14:10', '2026-03-04T07:30:00Z', 'Europe/Berlin')).toBe(
      at('2026-02-25T02:14:10Z'),
    );
    expect(arrivalEpoch('Mon Mar 2 11:02:44', '2026-03-04T07:30:00Z', 'UTC')).toBe(at('2026-03-02T11:02:44Z'));
  });

  it('crosses the new year backwards: a December arrival captured in January is last year', () => {
    expect(arrivalEpoch('Wed Dec 31 23:00:00', '2026-01-02T08:00:00Z', 'UTC')).toBe(at('2025-12-31T23:00:00Z'));
  });

  it('allows a host clock up to a day ahead, and reads summer time', () => {
    // Captured 2026-06-30 22:30 UTC; the host already says 1 July 00:40 (CEST, UTC+2).
    expect(arrivalEpoch('Wed Jul 1 00:40:00', '2026-06-30T22:30:00Z', 'Europe/Berlin')).toBe(
      at('2026-06-30T22:40:00Z'),
    );
  });

  it('uses UTC without a zone or with one Intl does not know; null for text that is no arrival time', () => {
    expect(arrivalEpoch('Wed Feb 25 03:14:10', '2026-03-04T07:30:00Z', null)).toBe(at('2026-02-25T03:14:10Z'));
    expect(arrivalEpoch('Wed Feb 25 03:14:10', '2026-03-04T07:30:00Z', 'Mars/Olympus')).toBe(
      at('2026-02-25T03:14:10Z'),
    );
    expect(arrivalEpoch('yesterday', '2026-03-04T07:30:00Z', 'UTC')).toBeNull();
  });
});
