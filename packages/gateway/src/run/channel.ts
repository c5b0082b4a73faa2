/** The cluster primary's line to its workers: fork them, list them, ask one a question over IPC. */
import cluster, { type Worker } from 'node:cluster';

/** How long the primary waits for a worker's answer before it answers with an error object. */
const WORKER_ANSWER_TIMEOUT_MS = 5_000;

export class WorkerChannel {
  readonly listening = new Map<number, string>();
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();
  /** Called with each worker that starts listening: a first one, or one started after a crash. */
  private readonly listeningHooks: ((worker: Worker) => void)[] = [];

  constructor(
    private readonly onAllListening: (url: string) => void,
    private readonly count: number,
  ) {}

  workers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  }

  /** Asks a worker; an answer that does not come in time resolves to an error object. */
  ask(worker: Worker, op: string, extra: object = {}): Promise<unknown> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ error: 'worker did not answer' });
      }, WORKER_ANSWER_TIMEOUT_MS);
      timer.unref();
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      worker.send({ cg: 'req', id, op, ...extra });
    });
  }

  askAll(op: string, extra: object = {}): Promise<unknown[]> {
    return Promise.all(this.workers().map((w) => this.ask(w, op, extra)));
  }

  onListening(hook: (worker: Worker) => void): void {
    this.listeningHooks.push(hook);
  }

  fork(): void {
    const worker = cluster.fork();
    worker.on('message', (message: unknown) => {
      const m = message as { cg?: string; id?: number; result?: unknown; url?: string };
      if (m?.cg === 'res' && m.id !== undefined) this.pending.get(m.id)?.(m.result);
      else if (m?.cg === 'listening' && m.url !== undefined) {
        this.listening.set(worker.id, m.url);
        for (const hook of this.listeningHooks) hook(worker);
        if (this.listening.size === this.count) this.onAllListening(m.url);
      }
    });
  }
}
