import { trustedAccount } from '../../../src/collect/collect';

describe('the account a collect batch enters', () => {
  it('derives the member role from the account id and the config, whatever the stored batch says', () => {
    expect(trustedAccount({ id: '222222222222', name: 'prod', role_arn: 'arn:aws:iam::999999999999:role/Attacker' }, '123456789012', 'CloudSweepMemberRole')).toEqual({
      id: '222222222222',
      name: 'prod',
      role_arn: 'arn:aws:iam::222222222222:role/CloudSweepMemberRole',
    });
  });

  it('reads the home account with its own credentials, and a member always through its role', () => {
    expect(trustedAccount({ id: '123456789012', name: 'home', role_arn: 'arn:aws:iam::123456789012:role/X' }, '123456789012', 'R')).toEqual({ id: '123456789012', name: 'home' });
    expect(trustedAccount({ id: '222222222222', name: 'prod' }, '123456789012', 'R')).toMatchObject({ role_arn: 'arn:aws:iam::222222222222:role/R' });
  });

  it('refuses an account id that is not 12 digits', () => {
    expect(() => trustedAccount({ id: '2222:role/x', name: 'x' }, '123456789012', 'R')).toThrow(/not a 12-digit account id/);
  });
});
