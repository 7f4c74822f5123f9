/** A labelled `<select>` filter whose first option, "All", means no filter (value ''). */

/** Props of {@link FilterSelect}. */
export interface FilterSelectProps {
  /** The element id (the label points at it). */
  id: string;
  label: string;
  value: string;
  options: string[];
  onChange: (value: string) => void;
}

/** The filter control. */
export function FilterSelect(props: FilterSelectProps) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        <option value="">All</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}
