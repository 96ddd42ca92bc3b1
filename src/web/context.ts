import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock } from '../domain/index.js';
import type { Live } from '../gateway/control-api.js';
import type { GatewayServices } from '../gateway/services.js';
import type { Db } from '../store/db.js';
import type { Asset } from './assets.js';
import type { WebLogin } from './login.js';
import type { Sessions } from './sessions.js';
import type { SseHub } from './sse.js';

/** What the page's server is given by the gateway: the same services the CLI and socket use. */
export interface WebDeps {
  config(): Config;
  services: GatewayServices;
  /** A read-only connection of its own: an export's long read never holds the writer's. */
  db: Db;
  subscribe(f: (l: Live) => void): () => void;
  clock: Clock;
  log: Logger;
  /** Counts in the `web` scope of `siaga status`. */
  count(name: string): void;
}

/** The parts every route shares. */
export interface WebContext extends WebDeps {
  sessions: Sessions;
  login: WebLogin;
  hub: SseHub;
  assets: Map<string, Asset>;
  secure: boolean;
}
