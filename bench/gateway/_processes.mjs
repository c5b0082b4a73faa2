// Starting and stopping the processes a gateway benchmark measures, shared by run.mjs, profile.mjs,
// websocket.mjs and h2-preflight.mjs. Everything listens on loopback only.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** A port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port; rejects after `timeoutMs`. */
export function waitPort(port, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        if (Date.now() > until) reject(new Error(`port ${port} never opened`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** A `launch(command, args)` that records each child in `started`, so the caller can stop them all. */
export function launcher(started) {
  return (command, args) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    started.push(child);
    return child;
  };
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. */
export async function stop(child, graceMs = 5_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
