/** Finding a free TCP port on the loopback interface for a server to listen on. */
import { createServer } from 'node:net';

/**
 * Returns `preferred` when it can be bound on `host` right now, otherwise a port
 * the kernel picks. Another process could take the port before the server binds
 * it; the server then exits and its restart picks a new one.
 *
 * @example const port = await findFreePort('127.0.0.1', previous?.port);
 */
export async function findFreePort(host: string, preferred?: number): Promise<number> {
  if (preferred !== undefined) {
    const got = await tryListen(host, preferred).catch(() => undefined);
    if (got !== undefined) return got;
  }
  return tryListen(host, 0);
}

function tryListen(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host, port, exclusive: true }, () => {
      const addr = srv.address();
      const bound = typeof addr === 'object' && addr ? addr.port : port;
      srv.close(() => resolve(bound));
    });
  });
}
