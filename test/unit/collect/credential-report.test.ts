import { parseCredentialReport, splitCsvLine } from '../../../src/collect/credential-report';
import { ValidationError } from '../../../src/errors';

const HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,' +
  'access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,' +
  'access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,' +
  'cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

const ROOT = '<root_account>,arn:aws:iam::111111111111:root,2020-01-01T00:00:00+00:00,not_supported,2024-05-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A';
const JENKINS =
  'jenkins,arn:aws:iam::111111111111:user/jenkins,2021-01-01T00:00:00+00:00,true,2024-06-01T10:00:00+00:00,N/A,N/A,false,' +
  'true,2023-03-04T05:06:07+00:00,2024-07-01T00:00:00+00:00,eu-west-1,s3,' +
  'false,2024-01-02T03:04:05+00:00,N/A,N/A,N/A,false,N/A,false,N/A';
const NOBODY = 'nobody,arn:aws:iam::111111111111:user/ops/nobody,2021-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A';

describe('the credential report parser', () => {
  it('reads password, MFA and both key columns of a user', () => {
    const report = parseCredentialReport([HEADER, ROOT, JENKINS].join('\n'));
    expect(report.users.get('arn:aws:iam::111111111111:user/jenkins')).toEqual({
      userName: 'jenkins',
      arn: 'arn:aws:iam::111111111111:user/jenkins',
      passwordEnabled: true,
      passwordLastUsed: '2024-06-01T10:00:00.000Z',
      mfaActive: false,
      keySlots: [
        { slot: 1, active: true, lastRotated: '2023-03-04T05:06:07.000Z', lastUsed: '2024-07-01T00:00:00.000Z', lastUsedRegion: 'eu-west-1', lastUsedService: 's3' },
        { slot: 2, active: false, lastRotated: '2024-01-02T03:04:05.000Z', lastUsed: null, lastUsedRegion: null, lastUsedService: null },
      ],
    });
  });

  it('leaves out the root account and lists no key slots for a user without keys', () => {
    const report = parseCredentialReport([HEADER, ROOT, NOBODY, ''].join('\r\n'));
    expect([...report.users.keys()]).toEqual(['arn:aws:iam::111111111111:user/ops/nobody']);
    expect(report.users.get('arn:aws:iam::111111111111:user/ops/nobody')?.keySlots).toEqual([]);
  });

  it('finds columns by name, whatever their order', () => {
    const columns = HEADER.split(',');
    const values = JENKINS.split(',');
    const order = columns.map((_, i) => i).reverse();
    const csv = [order.map((i) => columns[i]).join(','), order.map((i) => values[i]).join(',')].join('\n');
    expect(parseCredentialReport(csv).users.get('arn:aws:iam::111111111111:user/jenkins')?.keySlots).toHaveLength(2);
  });

  it('keeps a user name with a comma whole, quoted or not', () => {
    const unquoted = NOBODY.replace('nobody,arn:aws:iam::111111111111:user/ops/nobody', 'a,b,arn:aws:iam::111111111111:user/a,b');
    const quoted = NOBODY.replace('nobody,arn:aws:iam::111111111111:user/ops/nobody', '"a,b","arn:aws:iam::111111111111:user/a,b"');
    for (const row of [unquoted, quoted]) {
      const user = parseCredentialReport([HEADER, row].join('\n')).users.get('arn:aws:iam::111111111111:user/a,b');
      expect(user?.userName).toBe('a,b');
    }
  });

  it('names the line and column of a malformed date', () => {
    const bad = JENKINS.replace('2023-03-04T05:06:07+00:00', 'yesterday');
    expect(() => parseCredentialReport([HEADER, ROOT, bad].join('\n'))).toThrow(ValidationError);
    expect(() => parseCredentialReport([HEADER, ROOT, bad].join('\n'))).toThrow('line 3: column access_key_1_last_rotated: not a date: "yesterday"');
  });

  it('rejects a report without the columns it needs', () => {
    expect(() => parseCredentialReport('user,arn\njenkins,arn:aws:iam::1:user/jenkins')).toThrow('line 1: missing column password_enabled');
    expect(() => parseCredentialReport('')).toThrow('credential report: empty');
  });

  it('splits quoted cells with escaped quotes', () => {
    expect(splitCsvLine('a,"b ""c"", d",,e')).toEqual(['a', 'b "c", d', '', 'e']);
  });
});
