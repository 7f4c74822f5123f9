/** A timestamp shown as `YYYY-MM-DD HH:MM:SS UTC`, the full RFC 3339 value in `datetime` and the tooltip. */

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
      {props.iso.slice(0, 19).replace('T', ' ')} UTC
    </time>
  );
}
