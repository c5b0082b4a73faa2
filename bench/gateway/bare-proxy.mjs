// The ceiling for a node:http proxy on undici: every request forwarded over a keep-alive Pool
// (undici's core dispatch, raw headers both ways), no CORS logic, no header filtering, no metrics.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const pool = new Pool(process.argv[2], { connections: 256, pipelining: 1 });
createServer((req, res) => {
  pool.dispatch(
    { method: req.method, path: req.url, headers: req.rawHeaders, body: null },
    {
      resume: undefined,
      onConnect() {},
      onHeaders(status, raw, resume) {
        this.resume = resume;
        const out = new Array(raw.length);
        for (let i = 0; i < raw.length; i++) out[i] = raw[i].toString('latin1');
        res.writeHead(status, out);
        return true;
      },
      onData(chunk) {
        if (res.write(chunk)) return true;
        res.once('drain', this.resume);
        return false;
      },
      onComplete() {
        res.end();
      },
      onError() {
        res.destroy();
      },
    },
  );
}).listen(Number(process.argv[3]), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
