/**
 * `--no-dashboard` and `--ui-session-ttl`, taken by `berth up` and `berth
 * registry`: whether the registry serves the dashboard at /ui/ (and accepts its
 * session cookie), and how long a browser session lasts.
 */
import type { ParseArgsConfig } from 'node:util';
import type { DashboardSettings } from '../registry/dashboard/dashboard.ts';
import { DEFAULT_SESSION_TTL_MS } from '../registry/dashboard/sessions.ts';
import { durationFlag } from './config.ts';

/** The flags, for `parseFlags`. */
export const DASHBOARD_FLAGS = {
  'no-dashboard': { type: 'boolean' },
  'ui-session-ttl': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Usage lines for {@link DASHBOARD_FLAGS}. */
export const DASHBOARD_USAGE = `  --no-dashboard       do not serve the web dashboard at <registry>/ui/ (its session cookie is then refused too)
  --ui-session-ttl D   how long a dashboard sign-in lasts (default 8h; never longer than the token it came from)`;

/** The dashboard the flags ask for, or undefined with --no-dashboard. @throws UsageError for a bad duration */
export function dashboardFromFlags(values: { 'no-dashboard'?: boolean | undefined; 'ui-session-ttl'?: string | undefined }): DashboardSettings | undefined {
  const sessionTtlMs = durationFlag(values['ui-session-ttl'], '--ui-session-ttl', DEFAULT_SESSION_TTL_MS);
  return values['no-dashboard'] ? undefined : { sessionTtlMs };
}
