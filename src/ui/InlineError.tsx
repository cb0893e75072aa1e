/** An error beside the control that caused it, announced when it appears. */
export function InlineError({ message }: { message: string | null }) {
  return message ? (
    <span role="alert" className="run-message">
      {message}
    </span>
  ) : null;
}
