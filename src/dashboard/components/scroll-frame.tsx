/**
 * A frame a wide table scrolls sideways in (the page itself never does): a
 * labelled region that takes keyboard focus, so the arrow keys scroll it
 * (axe: scrollable-region-focusable).
 */
import type { ComponentChildren } from 'preact';

/** Props of {@link ScrollFrame}. */
export interface ScrollFrameProps {
  /** What the region holds, for screen readers ("Call records"). */
  label: string;
  children: ComponentChildren;
}

/** The frame. */
export function ScrollFrame(props: ScrollFrameProps) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}
