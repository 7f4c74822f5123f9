/** What every view gets from the app shell. */
import type { SessionInfo } from '../session.tsx';

/** Props of a top-level view: who is signed in (role and team decide which actions are rendered). */
export interface ViewProps {
  session: SessionInfo;
}
