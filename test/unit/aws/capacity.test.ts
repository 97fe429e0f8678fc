import { BatchWriteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { Readable } from 'node:stream';
import { AwsClients } from '../../../src/aws/clients';
import { meteringCapacity } from '../../../src/aws/capacity';

/** DynamoDB answering each request with `answer(target)`, recording what was asked. */
function dynamodbAnswering(answer: (target: string) => object) {
  const asked: Array<{ target: string; body: Record<string, unknown> }> = [];
  const handler = {
    metadata: { handlerProtocol: 'http/1.1' },
    handle: async (request: { headers: Record<string, string>; body?: Uint8Array }) => {
      const target = String(request.headers['x-amz-target']).replace('DynamoDB_20120810.', '');
      asked.push({ target, body: JSON.parse(request.body ? new TextDecoder().decode(request.body) : '{}') as Record<string, unknown> });
      const body = JSON.stringify(answer(target));
      return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from(body)]) } };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
  const aws = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, { handler: handler as never });
  return { aws, asked };
}

const CONSUMED: Record<string, object> = {
  GetItem: { ConsumedCapacity: { TableName: 't', CapacityUnits: 0.5 } },
  PutItem: { ConsumedCapacity: { TableName: 't', CapacityUnits: 4 } },
  BatchWriteItem: { UnprocessedItems: {}, ConsumedCapacity: [{ TableName: 't', CapacityUnits: 3 }, { TableName: 'u', CapacityUnits: 2 }] },
  DescribeTable: { Table: { TableName: 't' } },
};

describe('metering DynamoDB capacity', () => {
  it('asks each read and write for its consumed capacity and sums it by side, batches included', async () => {
    const { aws, asked } = dynamodbAnswering((target) => CONSUMED[target] ?? {});

    const { units } = await meteringCapacity(async () => {
      await aws.documents.send(new GetCommand({ TableName: 't', Key: { pk: 'a' } }));
      await aws.documents.send(new PutCommand({ TableName: 't', Item: { pk: 'a' } }));
      await aws.documents.send(new BatchWriteCommand({ RequestItems: { t: [{ PutRequest: { Item: { pk: 'b' } } }] } }));
      await aws.dynamodb.send(new DescribeTableCommand({ TableName: 't' }));
    });

    expect(units).toEqual({ read_units: 0.5, write_units: 4 + 3 + 2 });
    expect(asked.map(({ target, body }) => [target, body.ReturnConsumedCapacity])).toEqual([
      ['GetItem', 'TOTAL'],
      ['PutItem', 'TOTAL'],
      ['BatchWriteItem', 'TOTAL'],
      ['DescribeTable', undefined],
    ]);
  });

  it('counts concurrent work metered separately apart, and work outside any meter nowhere', async () => {
    const { aws } = dynamodbAnswering((target) => CONSUMED[target] ?? {});
    const put = () => aws.documents.send(new PutCommand({ TableName: 't', Item: { pk: 'a' } }));

    const [one, two] = await Promise.all([
      meteringCapacity(async () => {
        await put();
        await put();
      }),
      meteringCapacity(() => put()),
      put(),
    ]);

    expect(one.units.write_units).toBe(8);
    expect(two.units.write_units).toBe(4);
  });
});
