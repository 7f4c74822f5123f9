/**
 * A free TCP port on 127.0.0.1, for servers that must be told their port (they read
 * `PORT` and cannot report a port 0 picked for them).
 */
import net from 'node:net';

/**
 * Binds port 0, reads the port the system picked, and releases it. Another process may
 * take it before the caller binds it; that race is accepted in tests.
 * @example const port = await freePort(); spawn(node, [server], { env: { PORT: String(port) } });
 */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
