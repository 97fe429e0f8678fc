import { DynamoDBDocumentClient, UpdateCommand, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClients } from '../../../src/aws/clients';
import { DynamoJobStore, JOB_KEY_ATTRIBUTES, JOB_RUN_ATTRIBUTES } from '../../../src/jobs/store';

/** Attribute names an expression touches: words that are not placeholders, functions or keywords. */
function attributesOf(input: UpdateCommandInput): string[] {
  const expressions = [input.UpdateExpression, input.ConditionExpression].filter((e): e is string => e !== undefined);
  const names = Object.values(input.ExpressionAttributeNames ?? {});
  const words = expressions.flatMap((e) => e.replace(/[:#]\w+/g, ' ').match(/[A-Za-z_]\w*/g) ?? []);
  const keywords = new Set(['SET', 'REMOVE', 'ADD', 'DELETE', 'AND', 'OR', 'NOT', 'attribute_exists', 'attribute_not_exists', 'if_not_exists', 'list_append']);
  return [...new Set([...words.filter((w) => !keywords.has(w)), ...names, ...Object.keys(input.Key ?? {})])];
}

describe('recording a job run', () => {
  const documents = mockClient(DynamoDBDocumentClient);
  beforeEach(() => documents.reset());

  it('updates only the key and the run fields, the attributes IAM lets the plan function touch', async () => {
    documents.on(UpdateCommand).resolves({});
    const store = new DynamoJobStore(new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), 'jobs');
    await store.recordRun('stale', { started_at: '2026-11-26T10:00:00Z', trigger: 'schedule', matched: 1, flagged: 1, duration_ms: 5 });
    const calls = documents.commandCalls(UpdateCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input as UpdateCommandInput;
    expect(attributesOf(input).sort()).toEqual([...JOB_KEY_ATTRIBUTES, ...JOB_RUN_ATTRIBUTES].sort());
    expect(input.ReturnValues ?? 'NONE').toMatch(/^(NONE|UPDATED_OLD|UPDATED_NEW)$/);
    expect(documents.calls()).toHaveLength(1);
  });
});
