import { AwsClients } from '../../../src/aws/clients';

describe('the SDK clients', () => {
  const settings = { region: 'us-east-1', credentials: { accessKeyId: 'home', secretAccessKey: 'secret' } };

  it('builds each client once', () => {
    const aws = new AwsClients(settings);
    expect(aws.iam).toBe(aws.iam);
  });

  it("gives a member account's clients its own credentials over the same kept-alive connections", async () => {
    const home = new AwsClients(settings);
    const member = home.withCredentials({ accessKeyId: 'member', secretAccessKey: 'secret', sessionToken: 'token' });

    expect(member.iam).not.toBe(home.iam);
    expect(member.iam.config.requestHandler).toBe(home.iam.config.requestHandler);
    expect(member.sts.config.requestHandler).toBe(home.iam.config.requestHandler);
    await expect(member.iam.config.credentials()).resolves.toMatchObject({ accessKeyId: 'member' });
    await expect(home.iam.config.credentials()).resolves.toMatchObject({ accessKeyId: 'home' });
  });

  it("instruments each service client once (the Lambdas' tracer), member accounts' too; the document client sends through DynamoDB's", () => {
    const instrumented: string[] = [];
    const home = new AwsClients({
      ...settings,
      instrument: (client) => {
        instrumented.push(client.constructor.name);
        return client;
      },
    });

    void [home.iam, home.iam, home.documents, home.dynamodb, home.withCredentials({ accessKeyId: 'member', secretAccessKey: 'secret' }).iam];

    expect(instrumented).toEqual(['IAMClient', 'DynamoDBClient', 'IAMClient']);
    expect(home.documents.middlewareStack).toBe(home.dynamodb.middlewareStack);
  });
});
