/**
 * Approve or refuse one request with a note: a labelled note field and two
 * buttons. Rendered only for people whose role may decide (the view checks);
 * the registry decides again and its refusal is shown as it gives it.
 */
import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';

/** Props of {@link DecisionForm}. */
export interface DecisionFormProps {
  /** Unique per form on the page (the note's id). */
  id: string;
  /** What is decided, for the buttons' accessible names ("Approve quote for approved-dev"). */
  subject: string;
  /** The refusing verb as the API names it: `Reject` (stages) or `Deny` (tool calls). */
  refuse: 'Reject' | 'Deny';
  /** The refusal needs a note (the stage API refuses a rejection without one). */
  noteRequiredToRefuse: boolean;
  /** Sends the decision; rejects with the registry's ApiError. */
  onDecide: (approve: boolean, note: string) => Promise<void>;
}

/** The note and the two buttons. */
export function DecisionForm(props: DecisionFormProps) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const noteId = `${props.id}-note`;
  const errorId = `${props.id}-error`;

  const decide = async (approve: boolean) => {
    if (!approve && props.noteRequiredToRefuse && note.trim() === '') {
      setError(`${props.refuse === 'Reject' ? 'A rejection' : 'A denial'} needs a note saying why.`);
      document.getElementById(noteId)?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await props.onDecide(approve, note.trim());
      setNote('');
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="decision" onSubmit={(e) => e.preventDefault()}>
      <div class="field">
        <label for={noteId}>Note{props.noteRequiredToRefuse ? ` (required to ${props.refuse.toLowerCase()})` : ''}</label>
        <textarea id={noteId} rows={2} maxLength={1000} value={note} aria-describedby={error !== undefined ? errorId : undefined} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
      </div>
      <div class="decision-buttons">
        <button type="button" disabled={busy} aria-label={`Approve ${props.subject}`} onClick={() => decide(true)}>
          Approve
        </button>
        <button type="button" class="danger" disabled={busy} aria-label={`${props.refuse} ${props.subject}`} onClick={() => decide(false)}>
          {props.refuse}
        </button>
      </div>
      {error !== undefined && (
        <p id={errorId} role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}
