/**
 * `berth health`: the container health check. Asks one probe URL of a Berth
 * process on this machine and exits 0 when it answers 2xx, 1 otherwise — so an
 * image needs no curl or shell for its health check.
 */
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { durationFlag, parseFlags } from '../config.ts';

const DEFAULT_URL = 'http://127.0.0.1:7070/readyz';

const usage = `Usage: berth health [--url ${DEFAULT_URL}] [--timeout 3s]

Exits 0 when the URL answers HTTP 2xx within the timeout, 1 otherwise (the reason
goes to stderr). For container health checks:
  registry    --url http://127.0.0.1:7070/readyz     (store reachable)
  gateway     --url http://127.0.0.1:8080/-/readyz   (routes loaded)
  reconciler  --url http://127.0.0.1:<metrics-port>/metrics

Options:
  --url URL        http(s) URL to ask (default ${DEFAULT_URL})
  --timeout D      how long to wait for the answer (default 3s)
  -h, --help       show this help`;

const command: Command = {
  name: 'health',
  summary: 'exit 0 when a Berth process answers its probe URL (container health check)',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      url: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const text = values.url ?? DEFAULT_URL;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new UsageError(`--url must be an absolute http(s) URL such as ${DEFAULT_URL} (got "${text}")`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http or https (got ${url.protocol})`);
    const timeoutMs = durationFlag(values.timeout, '--timeout', 3_000);
    try {
      const res = await fetch(url, { signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), io.signal]), redirect: 'manual' });
      await res.body?.cancel();
      if (res.ok) {
        io.stdout.write(`healthy: ${url.href} answered ${res.status}\n`);
        return ExitCode.Ok;
      }
      io.stderr.write(`berth health: ${url.href} answered HTTP ${res.status}; the process is up but not ready (see its log)\n`);
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      io.stderr.write(`berth health: ${url.href}: ${reason}; is the process running and listening there?\n`);
    }
    return ExitCode.Failed;
  },
};

export default command;
