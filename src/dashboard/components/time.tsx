/** A timestamp as the other views show it (local, to the second: time.ts), the full RFC 3339 value in `datetime` and the tooltip. */
import { shortTime } from '../time.ts';

/** Props of {@link Time}. */
export interface TimeProps {
  /** RFC 3339. */
  iso: string | undefined;
}

/** The `<time>` element, or `-` when there is no time. */
export function Time(props: TimeProps) {
  if (props.iso === undefined || props.iso === '') return <>-</>;
  return (
    <time dateTime={props.iso} title={props.iso}>
      {shortTime(props.iso)}
    </time>
  );
}
