import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A throwaway CA and a server certificate it signed, as PEM files in a directory. */
export interface TestPki {
  /** The CA certificate: what a client trusts (`ca_file`). */
  ca: string;
  /** The server certificate (CN localhost, SAN localhost and 127.0.0.1), signed by the CA. */
  cert: string;
  /** The server's private key. */
  key: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/**
 * Makes a one-day CA (`<name>-ca.pem`) and a server certificate for 127.0.0.1 signed by it
 * (`<name>-server.pem`, `<name>-server.key`) in `dir` with openssl. Two calls with different
 * names give two unrelated CAs: a client trusting one refuses the other's server.
 */
export function makeTestPki(dir: string, name = 'test'): TestPki {
  const p = (f: string) => join(dir, `${name}-${f}`);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${name} test CA`,
    '-days',
    '1',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
  ]);
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    p('server.key'),
    '-out',
    p('server.csr'),
  ]);
  writeFileSync(p('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl([
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    p('server.ext'),
    '-out',
    p('server.pem'),
  ]);
  return { ca: p('ca.pem'), cert: p('server.pem'), key: p('server.key') };
}
