import { useSession } from '../state/session.ts';

/** Which backend trains, the WebGPU adapter when there is one, and why WebGPU is not used when it is not. */
export function BackendBadge() {
  const { phase, backend, initError, requested } = useSession();
  if (phase === 'failed') {
    return (
      <div className="banner error" role="alert">
        The training worker could not start: {initError}
      </div>
    );
  }
  if (phase === 'connecting' || !backend) {
    return (
      <p className="badge" role="status">
        Starting the {requested === 'auto' ? 'best available' : requested} backend and loading the corpus…
      </p>
    );
  }
  return (
    <>
      <p className="badge" role="status" aria-label={`Backend: ${backend.name}`}>
        <span className="dot" aria-hidden="true" />
        Backend: <strong>{backend.name}</strong>
        {backend.adapter ? <span> · {backend.adapter}</span> : null}
      </p>
      {backend.fallbackReason ? (
        <div className="banner warn" role="alert">
          {backend.requested === 'webgpu' ? 'WebGPU is unavailable' : `${backend.requested} is unavailable`} — training runs on{' '}
          <strong>{backend.name}</strong> instead. Why: {backend.fallbackReason}
        </div>
      ) : null}
    </>
  );
}
