import type { WorkerEvent, WorkerRequest } from '../worker/protocol.ts';

export interface TrainingWorker {
  send(req: WorkerRequest): void;
  terminate(): void;
}

/**
 * Starts the training worker. Its events are buffered and handed over once per animation frame,
 * so a burst of metrics costs the page one store update and one render; a timer backs the frame
 * up because hidden tabs get no frames and the queue must still move on.
 */
export function createTrainingWorker(onEvents: (events: WorkerEvent[]) => void): TrainingWorker {
  const worker = new Worker(new URL('../worker/train.worker.ts', import.meta.url), { type: 'module' });
  let buffer: WorkerEvent[] = [];
  let frame = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const drain = () => {
    cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
    frame = 0;
    timer = null;
    const events = buffer;
    buffer = [];
    if (events.length) onEvents(events);
  };

  worker.onmessage = (ev: MessageEvent<WorkerEvent>) => {
    buffer.push(ev.data);
    if (timer === null) {
      frame = requestAnimationFrame(drain);
      timer = setTimeout(drain, 250);
    }
  };
  worker.onerror = (ev) => {
    buffer.push({ type: 'init-failed', message: `the training worker crashed: ${ev.message || 'unknown error'}` });
    drain();
  };

  return {
    send: (req) => worker.postMessage(req),
    terminate: () => {
      drain();
      worker.terminate();
    },
  };
}
