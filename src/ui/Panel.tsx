import type { ReactNode } from 'react';
import { ErrorBoundary, getErrorMessage } from 'react-error-boundary';

/**
 * One panel of the lab behind its own error boundary: a panel that fails to render (a damaged
 * import, a bug) shows what went wrong in its place, and every other panel and every stored run
 * keeps working. "Try again" re-renders it, e.g. after the bad file was replaced.
 */
export function Panel({ name, children }: { name: string; children: ReactNode }) {
  return (
    <ErrorBoundary
      fallbackRender={({ error, resetErrorBoundary }) => (
        <section className="banner error" role="alert" aria-label={`${name}: error`}>
          <p>
            <strong>The {name} panel could not be shown:</strong> {(getErrorMessage(error) ?? String(error)).slice(0, 300)}
          </p>
          <p>The rest of the lab and your stored runs are not affected.</p>
          <button type="button" onClick={() => resetErrorBoundary()}>
            Try again
          </button>
        </section>
      )}
    >
      {children}
    </ErrorBoundary>
  );
}
