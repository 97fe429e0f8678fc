// The cost benchmark's meter: an HTTP proxy in front of moto that counts every AWS request by
// service and operation, and prices DynamoDB requests in read and write units by DynamoDB's own
// rules (moto answers ConsumedCapacity with a constant, so the units are worked out here from the
// items' sizes: a write is billed on the larger of the item before and after, per 1 KB; a read per
// 4 KB, half for an eventually consistent one; a Query or Scan on every item it reads, whatever
// its projection). To know those sizes it asks moto on the side (GetItem before and after a write,
// the same Query without its projection); those side requests are not counted.
import { createServer, request as httpRequest } from 'node:http';

const KEY_ATTRIBUTES = ['pk', 'sk']; // every cloudsweep table is keyed pk/sk (lib/constructs/tables.ts)

export async function startMeter(target) {
  const counts = {};
  const units = { read: 0, write: 0, byOperation: {} };
  const targetUrl = new URL(target);

  const send = (path, headers, body) =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: targetUrl.hostname, port: targetUrl.port, method: 'POST', path, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const dynamo = async (headers, operation, input) => {
    const answer = await send('/', { ...headers, 'x-amz-target': `DynamoDB_20120810.${operation}` }, JSON.stringify(input));
    return JSON.parse(answer.body.toString('utf8') || '{}');
  };
  const sizeOfKey = async (headers, table, key) => itemSize((await dynamo(headers, 'GetItem', { TableName: table, Key: key, ConsistentRead: true })).Item);

  const charge = (operation, kind, n) => {
    units[kind] += n;
    const entry = (units.byOperation[operation] ??= { read: 0, write: 0 });
    entry[kind] += n;
  };

  /** Writes are priced around the forwarded request; reads from its answer. */
  async function meterDynamo(headers, operation, input, forward) {
    const writeUnits = (before, after) => Math.max(1, Math.ceil(Math.max(before, after) / 1024));
    switch (operation) {
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem': {
        const key = operation === 'PutItem' ? keyOf(input.Item) : input.Key;
        const before = await sizeOfKey(headers, input.TableName, key);
        const answer = await forward();
        const after = operation === 'DeleteItem' ? 0 : await sizeOfKey(headers, input.TableName, key);
        charge(operation, 'write', writeUnits(before, after));
        return answer;
      }
      case 'BatchWriteItem': {
        const requests = Object.entries(input.RequestItems ?? {}).flatMap(([table, list]) => list.map((r) => ({ table, r })));
        const befores = [];
        for (const { table, r } of requests) befores.push(await sizeOfKey(headers, table, r.PutRequest ? keyOf(r.PutRequest.Item) : r.DeleteRequest.Key));
        const answer = await forward();
        const unprocessed = new Set(
          Object.values(JSON.parse(answer.body.toString('utf8') || '{}').UnprocessedItems ?? {}).flatMap((list) => list.map((r) => JSON.stringify(r))),
        );
        requests.forEach(({ r }, i) => {
          if (unprocessed.has(JSON.stringify(r))) return;
          charge(operation, 'write', writeUnits(befores[i] ?? 0, r.PutRequest ? itemSize(r.PutRequest.Item) : 0));
        });
        return answer;
      }
      case 'TransactWriteItems': {
        let total = 0;
        for (const item of input.TransactItems ?? []) {
          const [kind, request] = Object.entries(item)[0];
          const key = kind === 'Put' ? keyOf(request.Item) : request.Key;
          const before = await sizeOfKey(headers, request.TableName, key);
          total += writeUnits(before, kind === 'Put' ? itemSize(request.Item) : before);
        }
        const answer = await forward();
        charge(operation, 'write', 2 * total);
        return answer;
      }
      case 'GetItem': {
        const answer = await forward();
        const item = JSON.parse(answer.body.toString('utf8') || '{}').Item;
        charge(operation, 'read', readUnits(itemSize(item), input.ConsistentRead));
        return answer;
      }
      case 'BatchGetItem': {
        const answer = await forward();
        const responses = JSON.parse(answer.body.toString('utf8') || '{}').Responses ?? {};
        for (const [table, items] of Object.entries(responses)) {
          const consistent = input.RequestItems?.[table]?.ConsistentRead;
          for (const item of items) charge(operation, 'read', readUnits(itemSize(item), consistent));
        }
        // Keys not found still cost the minimum read.
        const asked = Object.values(input.RequestItems ?? {}).reduce((n, r) => n + (r.Keys?.length ?? 0), 0);
        const found = Object.values(responses).reduce((n, items) => n + items.length, 0);
        charge(operation, 'read', (asked - found) * 0.5);
        return answer;
      }
      case 'Query':
      case 'Scan': {
        const answer = await forward();
        const whole = { ...input };
        for (const field of ['ProjectionExpression', 'FilterExpression', 'Select', 'AttributesToGet']) delete whole[field];
        // Only the names and values the key condition still uses: DynamoDB refuses unused ones.
        for (const field of ['ExpressionAttributeNames', 'ExpressionAttributeValues']) {
          const used = Object.entries(whole[field] ?? {}).filter(([token]) => whole.KeyConditionExpression?.includes(token));
          if (used.length > 0) whole[field] = Object.fromEntries(used);
          else delete whole[field];
        }
        const full = await dynamo(headers, operation, whole);
        const bytes = (full.Items ?? []).reduce((n, item) => n + itemSize(item), 0);
        charge(operation, 'read', readUnits(bytes, input.ConsistentRead));
        return answer;
      }
      default:
        return forward();
    }
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers };
      delete headers['content-length'];
      const { service, operation } = identify(req.headers, body);
      const name = `${service}:${operation}`;
      counts[name] = (counts[name] ?? 0) + 1;
      const forward = () =>
        new Promise((resolve, reject) => {
          const out = httpRequest({ host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: { ...headers, 'content-length': body.length } }, (answer) => {
            const parts = [];
            answer.on('data', (c) => parts.push(c));
            answer.on('end', () => resolve({ status: answer.statusCode, headers: answer.headers, body: Buffer.concat(parts) }));
          });
          out.on('error', reject);
          out.end(body);
        });
      try {
        const answer =
          service === 'dynamodb' && body.length > 0 ? await meterDynamo(headers, operation, JSON.parse(body.toString('utf8')), forward) : await forward();
        res.writeHead(answer.status ?? 500, answer.headers);
        res.end(answer.body);
      } catch (error) {
        res.writeHead(502);
        res.end(String(error));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    snapshot: () => ({ counts: { ...counts }, units: structuredClone(units) }),
    reset: () => {
      for (const key of Object.keys(counts)) delete counts[key];
      units.read = 0;
      units.write = 0;
      units.byOperation = {};
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The service from the signature's credential scope, the operation from the JSON target or the query's Action. */
function identify(headers, body) {
  const scope = /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''));
  const service = scope?.[1] ?? 'unknown';
  const target = headers['x-amz-target'];
  if (target) return { service, operation: String(target).split('.').pop() };
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'));
  return { service, operation: action?.[1] ?? 'unknown' };
}

function keyOf(item) {
  return Object.fromEntries(KEY_ATTRIBUTES.filter((name) => item?.[name]).map((name) => [name, item[name]]));
}

function readUnits(bytes, consistent) {
  return Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
}

/** An item's size as DynamoDB bills it: attribute names plus values (DynamoDB's documented rules). */
export function itemSize(item) {
  if (!item) return 0;
  return Object.entries(item).reduce((n, [name, value]) => n + Buffer.byteLength(name) + valueSize(value), 0);
}

function valueSize(value) {
  const [type, v] = Object.entries(value)[0];
  switch (type) {
    case 'S':
      return Buffer.byteLength(v);
    case 'N':
      return Math.ceil(String(v).replace(/[-.]/g, '').replace(/^0+/, '').length / 2) + 1;
    case 'B':
      return Buffer.from(v, 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return v.reduce((n, s) => n + Buffer.byteLength(s), 0);
    case 'NS':
      return v.reduce((n, s) => n + valueSize({ N: s }), 0);
    case 'BS':
      return v.reduce((n, s) => n + Buffer.from(s, 'base64').length, 0);
    case 'M':
      return 3 + Object.entries(v).reduce((n, [k, x]) => n + Buffer.byteLength(k) + valueSize(x) + 1, 0);
    case 'L':
      return 3 + v.reduce((n, x) => n + valueSize(x) + 1, 0);
    default:
      return 0;
  }
}
