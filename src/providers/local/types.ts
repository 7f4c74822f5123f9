/** What the local provider observes and plans; the reconciler treats both as opaque. */
import type { DiscoveredTool } from '../../manifest/types.ts';
import type { DesiredServer, PlannedAction } from '../provider.ts';
import type { LaunchSummary } from './launch.ts';

/** How a server process last ended. */
export interface ExitInfo {
  /** Exit code when the process exited by itself; null when a signal ended it or it is unknown. */
  code: number | null;
  /** Signal that ended it, e.g. "SIGKILL". */
  signal: string | null;
  /** RFC 3339 time it was noticed. */
  at: string;
  /** How long it had run, ms. */
  ranForMs?: number;
  /** exited: by itself; unhealthy: Berth ended it after failed health checks; spawn-failed: it never started; vanished: an adopted process disappeared. */
  cause: 'exited' | 'unhealthy' | 'spawn-failed' | 'vanished';
  /** One sentence, e.g. "exited with code 3 after 40 ms". */
  message: string;
  /** Last lines the process wrote to stderr. */
  stderrTail: string[];
}

/**
 * What `observe(name)` found.
 * - `supervision: 'supervised'`: this provider instance runs and watches the process.
 * - `supervision: 'orphaned'`: the state file names a process started by an earlier
 *   Berth process (crashed or stopped without retiring); `plan` decides to adopt,
 *   restart or stop it.
 * - `supervision: 'none'`: nothing is known.
 */
export interface LocalObservation {
  name: string;
  /** `exited` while a restart is pending (supervised) or when a recorded process is gone (orphaned). */
  process: 'running' | 'exited' | 'absent';
  supervision: 'supervised' | 'orphaned' | 'none';
  pid?: number;
  pgid?: number;
  port?: number;
  /** MCP URL of the process. */
  endpoint?: string;
  specHash?: string;
  launchHash?: string;
  generation?: number;
  startedAt?: string;
  /** Launch the process runs (no secret values), to say what a change would change. */
  summary?: LaunchSummary;
  health: { status: 'Healthy' | 'Unhealthy' | 'Unknown'; lastChecked?: string; message?: string };
  /** Tools from the last successful tools/list. */
  tools?: DiscoveredTool[];
  /** Restarts after crashes or failed health checks since the spec last changed. */
  restarts: number;
  /** True after several quick crashes in a row; cleared when a process runs long enough. */
  crashLoop: boolean;
  lastExit?: ExitInfo;
  /** Time until the pending restart, when one is pending. */
  nextRestartInMs?: number;
  /** Anything the observation noticed that status should mention (a reused pid, unresolved secrets). */
  notes?: string[];
  /**
   * Pids of processes marked as this server's that no record names: an earlier
   * Berth died between spawning and recording them. Every apply ends them.
   */
  strays?: number[];
}

/** A step of a local plan. */
export interface LocalAction extends PlannedAction {
  /**
   * start: spawn a process. restart: stop, then start with the new spec.
   * stop: end the process tree and forget it. adopt: supervise a process an earlier
   * Berth started. retag: record a spec change that does not affect the process.
   */
  op: 'start' | 'restart' | 'stop' | 'adopt' | 'retag';
  /** Desired server, for every op but stop. */
  desired?: DesiredServer;
  /** The pid the plan was made for (adopt and stop check it is still that process). */
  pid?: number;
  /** adopt: the health and tools observe() just saw, so the server stays Ready across a Berth restart. */
  seen?: { health: LocalObservation['health']; tools?: DiscoveredTool[] };
}
