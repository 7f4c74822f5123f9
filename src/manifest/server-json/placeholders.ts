/**
 * Values import writes where server.json has nothing Berth can use (no container image,
 * no secret ARN). They are recognisably fake, so a deploy can't mistake them for real ones
 * and export can tell which the user has replaced.
 */

/** Registry of the placeholder image; `.invalid` can never resolve, so a forgotten one fails to pull. */
export const PLACEHOLDER_IMAGE_REGISTRY = 'replace-me.invalid';
const PLACEHOLDER_ACCOUNT = '000000000000';

/** The image the user must replace, named after the server so it is clear which one it stands for. */
export function placeholderImage(name: string, version: string | undefined): string {
  return `${PLACEHOLDER_IMAGE_REGISTRY}/${name}:${version ?? 'latest'}`;
}

/** The secret ARN the user must replace; the value itself is never copied from server.json. */
export function placeholderSecretArn(server: string, variable: string): string {
  return `arn:aws:secretsmanager:us-east-1:${PLACEHOLDER_ACCOUNT}:secret:replace-me/${server}/${variable}`;
}

/** True for an ARN written by import that the user has not replaced yet. */
export function isPlaceholderSecretArn(arn: string): boolean {
  return arn.includes(`:${PLACEHOLDER_ACCOUNT}:secret:replace-me/`);
}
