/**
 * The scrolling frame a wide table sits in (`.table-wrap`): on a narrow window
 * the table scrolls inside it, not the page. The frame is a labelled region that
 * takes focus, so a keyboard can scroll it even when the table holds no link or
 * button.
 */
import type { ComponentChildren } from 'preact';

/** The frame around `children` (a table), announced as `label`. */
export function TableFrame(props: { label: string; children: ComponentChildren; class?: string; id?: string }) {
  return (
    <div class={`table-wrap${props.class ? ` ${props.class}` : ''}`} role="region" aria-label={props.label} tabIndex={0} {...(props.id !== undefined ? { id: props.id } : {})}>
      {props.children}
    </div>
  );
}
