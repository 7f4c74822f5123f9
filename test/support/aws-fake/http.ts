/**
 * The fake over HTTP, for tests that run Berth as its own process: point
 * AWS_ENDPOINT_URL at {@link serveAwsFake}'s URL and the real SDK clients of the
 * spawned CLI talk to the same simulated account the test seeds and inspects.
 * Serves the AWS JSON 1.1 protocol (ECS, CloudWatch Logs, Secrets Manager, SSM):
 * the operation comes from `X-Amz-Target`, the input is the JSON body, the output
 * is written back as JSON (timestamps as epoch seconds, as the protocol has them)
 * and an error as `{ "__type", "message" }` with its HTTP status, which the SDK's
 * deserializer turns back into the same exception class. ELBv2 (query) and
 * Route 53 (REST-XML) are not served: a call to them gets a 501 naming it.
 * Signatures are not checked.
 *
 * @example
 * const aws = await serveAwsFake(fake);
 * spawnBerth(['logs', 'weather', '--provider', 'ecs', …], { env: { AWS_ENDPOINT_URL: aws.url, … } });
 * await aws.close();
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceName } from './errors.ts';
import type { AwsFake } from './fake.ts';

const SERVICE_BY_TARGET_PREFIX: Record<string, ServiceName> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  Logs_20140328: 'logs',
  secretsmanager: 'secretsmanager',
  AmazonSSM: 'ssm',
};

/** A running HTTP front of a fake. */
export interface ServedAwsFake {
  /** `http://127.0.0.1:<port>`: the value for AWS_ENDPOINT_URL. */
  url: string;
  close(): Promise<void>;
}

/** JSON 1.1 has timestamps as epoch seconds; the fake's outputs hold Date objects. */
function wire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(wire);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([k, v]) => v !== undefined && k !== '$metadata').map(([k, v]) => [k, wire(v)]));
  return value;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Serves `fake` on 127.0.0.1 (a free port). */
export async function serveAwsFake(fake: AwsFake): Promise<ServedAwsFake> {
  const server = createServer((req, res) => {
    void body(req).then((text) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix = '', operation = ''] = target.split('.');
      const service = SERVICE_BY_TARGET_PREFIX[prefix];
      const send = (status: number, payload: unknown, errorType?: string): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake-http', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
        res.end(JSON.stringify(payload));
      };
      if (service === undefined) {
        send(501, { __type: 'NotImplemented', message: `the AWS fake's HTTP front serves JSON 1.1 services (ECS, CloudWatch Logs, Secrets Manager, SSM) only; got target "${target}" ${req.method} ${req.url}` }, 'NotImplemented');
        return;
      }
      try {
        send(200, wire(fake.handle(service, operation, text === '' ? {} : JSON.parse(text))));
      } catch (err) {
        const e = err as Error & { $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode ?? 500;
        send(status, { __type: e.name, message: e.message }, e.name);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
