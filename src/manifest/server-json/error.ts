/** Thrown when a document is not a server.json the mapping can read; `problems` lists every one found. */
export class ServerJsonError extends Error {
  override readonly name = 'ServerJsonError';
  /** One `path: message` line per problem, e.g. `packages[0].transport.type: must be one of stdio, …`. */
  readonly problems: string[];
  constructor(problems: string[], options?: ErrorOptions) {
    super(`not a valid server.json:\n  ${problems.join('\n  ')}`, options);
    this.problems = problems;
  }
}
