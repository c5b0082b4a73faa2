/**
 * Who may do what on the admin listener (docs/console.md "Security"):
 * - a state change whose `Origin` or `Sec-Fetch-Site` says another site is refused (403), so no
 *   page on another origin can make a browser write, whatever cookies or tokens it holds;
 * - writes always need a token; reads need one when the listener is not on loopback;
 * - a token is presented as `Authorization: Bearer`, or once at the console's sign-in form, which
 *   opens a session held in an HttpOnly, SameSite=Strict cookie.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type AdminToken, verifyBearer, verifyToken } from '../config/admin-tokens.js';
import { cookie } from './http.js';

export const SESSION_COOKIE = 'corsgate_session';
const SESSION_MS = 12 * 3600_000;
const MAX_SESSIONS = 1000;

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export function isStateChange(method: string | undefined): boolean {
  return !SAFE_METHODS.has(method ?? 'GET');
}

/**
 * Why a state change is cross-site, or undefined when it is not. A client that sends neither
 * header (curl, a script) is not a browser page of another site. The listener's own origin is
 * `http://` (or `https://`, behind a TLS proxy) + the Host it was reached by; the Host check runs
 * first, so that Host is the listener's own address or a configured name.
 */
export function crossSiteReason(req: IncomingMessage): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site: ${site}`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  // https too: behind a TLS-terminating proxy the page is https and the listener sees the same Host.
  const host = req.headers.host ?? '';
  if (origin !== `http://${host}` && origin !== `https://${host}`) return `Origin: ${origin.slice(0, 200)}`;
  return undefined;
}

/** Console sessions: random ids to token names, bounded in number and time. */
export class Sessions {
  private readonly byId = new Map<string, { name: string; expires: number }>();

  open(name: string): string {
    const id = randomBytes(32).toString('base64url');
    if (this.byId.size >= MAX_SESSIONS) this.byId.delete(this.byId.keys().next().value as string);
    this.byId.set(id, { name, expires: Date.now() + SESSION_MS });
    return id;
  }

  name(id: string | undefined): string | undefined {
    if (id === undefined) return undefined;
    const s = this.byId.get(id);
    if (s === undefined) return undefined;
    if (s.expires < Date.now()) {
      this.byId.delete(id);
      return undefined;
    }
    return s.name;
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.byId.delete(id);
  }

  static cookieFor(id: string): string {
    return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}`;
  }

  static clearCookie(): string {
    return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }
}

export class AdminAuth {
  readonly sessions = new Sessions();

  constructor(
    readonly tokens: readonly AdminToken[],
    /** True when the listener is on loopback: reads need no token there. */
    readonly loopback: boolean,
  ) {}

  /** The token name behind the request (bearer first, then the console session), or undefined. */
  who(req: IncomingMessage): string | undefined {
    const bearer = verifyBearer(this.tokens, req.headers.authorization);
    if (bearer !== undefined) return bearer;
    return this.sessions.name(cookie(req, SESSION_COOKIE));
  }

  /** Checks a token typed into the sign-in form; opens a session for it. */
  signIn(token: string): { name: string; sessionId: string } | undefined {
    const name = verifyToken(this.tokens, token);
    return name === undefined ? undefined : { name, sessionId: this.sessions.open(name) };
  }

  signOut(req: IncomingMessage): void {
    this.sessions.close(cookie(req, SESSION_COOKIE));
  }
}
