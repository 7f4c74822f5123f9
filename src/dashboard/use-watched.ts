/**
 * A preact hook over {@link watchKind}: the live objects of one kind by name,
 * re-rendering once per animation frame however many events arrive (a burst of
 * status writes renders once), and the connection state for a live indicator.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Resource } from '../manifest/resource.ts';
import { watchKind } from './watch.ts';

/** Connection state of a watched list. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'signed-out';

/** What {@link useWatchedKind} returns. */
export interface WatchedKind<T extends Resource> {
  /** The objects by name; mutated in place, so read it when `version` changes. */
  objects: Map<string, T>;
  /** Changes once per rendered batch (use it as a memo dependency). */
  version: number;
  live: LiveState;
  /** The first list has arrived. */
  loaded: boolean;
}

/**
 * Lists and watches `plural` (e.g. `mcpservers`, `accesspolicies`) while the component is mounted.
 * @example const { objects, version } = useWatchedKind<MCPServer>('mcpservers');
 */
export function useWatchedKind<T extends Resource>(plural: string): WatchedKind<T> {
  const objects = useRef(new Map<string, T>()).current;
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState<LiveState>('connecting');
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    const ac = new AbortController();
    let frame: number | undefined;
    const schedule = () => {
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        setVersion((v) => v + 1);
      });
    };
    watchKind<T>(
      plural,
      {
        onList(items) {
          objects.clear();
          for (const o of items) objects.set(o.metadata.name, o);
          setLoaded(true);
          schedule();
        },
        onChange(type, o) {
          if (type === 'DELETED') objects.delete(o.metadata.name);
          else objects.set(o.metadata.name, o);
          schedule();
        },
        onState: setLive,
      },
      ac.signal,
    );
    return () => {
      ac.abort();
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [plural, objects]);
  return { objects, version, live, loaded };
}
