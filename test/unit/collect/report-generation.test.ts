import {
  CredentialReportExpiredException,
  CredentialReportNotPresentException,
  CredentialReportNotReadyException,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  LimitExceededException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { fetchCredentialReport } from '../../../src/collect/report-generation';
import { RuntimeError } from '../../../src/errors';

const iamMock = mockClient(IAMClient);
const CSV =
  'user,arn,password_enabled,password_last_used,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,' +
  'access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date\n' +
  'nancy,arn:aws:iam::111111111111:user/nancy,false,N/A,false,true,2024-01-01T00:00:00+00:00,N/A,false,N/A,N/A\n';
const REPORT = { Content: new TextEncoder().encode(CSV), GeneratedTime: new Date('2026-01-01T00:00:00Z'), ReportFormat: 'text/csv' as const };
const meta = { $metadata: {}, message: 'test' };

describe('fetching the credential report', () => {
  let iam: IAMClient;
  let slept: number[];
  const wait = () => ({ sleep: async (ms: number) => void slept.push(ms) });

  beforeEach(() => {
    iamMock.reset();
    iam = new IAMClient({ region: 'us-east-1' });
    slept = [];
  });

  it('takes a report IAM already has in two calls and one round trip, without waiting', async () => {
    iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
    iamMock.on(GetCredentialReportCommand).resolves(REPORT);
    const report = await fetchCredentialReport(iam, wait());
    expect(report.users.get('arn:aws:iam::111111111111:user/nancy')?.keySlots).toHaveLength(1);
    expect(report.generatedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(iamMock.calls().length).toBe(2);
    expect(slept).toEqual([]);
  });

  it('waits with growing pauses while the report is in progress', async () => {
    iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'STARTED' });
    iamMock
      .on(GetCredentialReportCommand)
      .rejectsOnce(new CredentialReportNotReadyException(meta))
      .rejectsOnce(new CredentialReportNotReadyException(meta))
      .rejectsOnce(new CredentialReportNotReadyException(meta))
      .resolves(REPORT);
    await fetchCredentialReport(iam, wait());
    expect(slept).toEqual([250, 500, 1000]);
    expect(iamMock.commandCalls(GenerateCredentialReportCommand)).toHaveLength(1);
    expect(iamMock.calls().length).toBe(5);
  });

  it('takes a report under 4 hours old even when generation is refused', async () => {
    iamMock.on(GenerateCredentialReportCommand).rejects(new LimitExceededException(meta));
    iamMock.on(GetCredentialReportCommand).resolves(REPORT);
    const report = await fetchCredentialReport(iam, { ...wait(), now: () => Date.parse('2026-01-01T03:00:00Z') });
    expect(report.users.size).toBe(1);
    expect(slept).toEqual([]);
  });

  it('waits for the new report when IAM started one and only has an old one', async () => {
    iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'STARTED' });
    const fresh = { ...REPORT, GeneratedTime: new Date('2026-01-01T05:00:01Z') };
    iamMock.on(GetCredentialReportCommand).resolvesOnce(REPORT).resolves(fresh);
    const report = await fetchCredentialReport(iam, { ...wait(), now: () => Date.parse('2026-01-01T05:00:00Z') });
    expect(report.generatedAt).toBe('2026-01-01T05:00:01.000Z');
    expect(slept).toEqual([250]);
    expect(iamMock.calls().length).toBe(3);
  });

  it('backs off and asks again when the generation limit is exceeded', async () => {
    iamMock
      .on(GenerateCredentialReportCommand)
      .rejectsOnce(new LimitExceededException(meta))
      .resolves({ State: 'COMPLETE' });
    iamMock.on(GetCredentialReportCommand).resolves(REPORT);
    await fetchCredentialReport(iam, { ...wait(), now: () => Date.parse('2026-01-01T05:00:00Z') });
    expect(slept).toEqual([250]);
    expect(iamMock.commandCalls(GenerateCredentialReportCommand)).toHaveLength(2);
  });

  it('generates again when the report expired or went missing', async () => {
    iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
    iamMock
      .on(GetCredentialReportCommand)
      .rejectsOnce(new CredentialReportExpiredException(meta))
      .rejectsOnce(new CredentialReportNotPresentException(meta))
      .resolves(REPORT);
    await fetchCredentialReport(iam, wait());
    expect(iamMock.commandCalls(GenerateCredentialReportCommand)).toHaveLength(2);
    expect(slept).toEqual([250]);
  });

  it('gives up with a clear error when the report never becomes ready', async () => {
    let clock = 0;
    iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'INPROGRESS' });
    iamMock.on(GetCredentialReportCommand).rejects(new CredentialReportNotReadyException(meta));
    const fetching = fetchCredentialReport(iam, {
      sleep: async (ms) => void (clock += ms),
      now: () => clock,
      timeoutMs: 60_000,
    });
    await expect(fetching).rejects.toThrow(RuntimeError);
    await expect(fetching).rejects.toThrow('credential report not ready after 60 s (generation in progress)');
    expect(clock).toBeLessThanOrEqual(60_000);
  });

  it('lets any other error through', async () => {
    iamMock.on(GenerateCredentialReportCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDenied' }));
    await expect(fetchCredentialReport(iam, wait())).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
