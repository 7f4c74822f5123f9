/**
 * The fleet page's compact activity panel: calls and denials, and reconcile
 * failures, of every server together (the server page has each server's own,
 * with latency). Its own file so the fleet view includes it with one line.
 */
import type { ViewProps } from '../views/props.ts';
import { Activity } from './activity.tsx';

/** The panel. */
export function FleetActivity(props: ViewProps) {
  return <Activity session={props.session} compact idPrefix="fleet" />;
}
