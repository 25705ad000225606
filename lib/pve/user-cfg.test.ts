import { describe, expect, it } from 'vitest';
import { parsePools } from './user-cfg.js';

const USER_CFG = `user:root@pam:1:0:::admin@example.com:::
user:backup@pve:1:0:Backup:Operator:ops@example.com:::
group:admins:root@pam::
pool:prod:Production guests:100,101,112:local-lvm,pbs1:
pool:lab::0200;201 202::
pool:empty::::
pool:dupes::101,300:local:
acl:1:/pool/prod:@admins:PVEVMAdmin:
`;

describe('parsePools', () => {
  it('reads pool members and ignores user, group and acl lines', () => {
    expect(parsePools(USER_CFG).pools).toEqual({
      prod: [100, 101, 112],
      lab: [200, 201, 202],
      empty: [],
      dupes: [300],
    });
  });

  it('keeps a VMID in the first pool that lists it', () => {
    const { pools, warnings } = parsePools('pool:b::300:\npool:a::300,301:\n');
    expect(warnings).toEqual([{ file: 'user.cfg', line: 2, message: "ignore duplicate vmid '300' in pool 'a'" }]);
    expect(pools).toEqual({ b: [300], a: [301] });
  });

  it('skips non-numeric members and tolerates whitespace around fields', () => {
    const { pools, warnings } = parsePools('pool: web : Web : 100, x1 ,101 :\n');
    expect(pools).toEqual({ web: [100, 101] });
    // PVE::AccessControl parse_user_config: "user config - ignore invalid vmid 'x1' in pool 'web'".
    expect(warnings).toEqual([{ file: 'user.cfg', line: 1, message: "ignore invalid vmid 'x1' in pool 'web'" }]);
  });

  it('returns no pools for an empty file', () => {
    expect(parsePools('')).toEqual({ pools: {}, warnings: [] });
  });
});
