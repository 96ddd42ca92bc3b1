import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StartupError } from '../../src/domain/index.js';
import { bindError, Rollback } from '../../src/gateway/startup.js';
import { silentLog, tmpDir } from '../helpers/gateway.js';

const errno = (code: string) => Object.assign(new Error(`bind ${code}`), { code });

describe('start-up errors a technician can act on', () => {
  it('names the port, the config key and the fix for each bind failure', () => {
    const udp = { proto: 'udp' as const, key: 'lora.gwmp.port', port: 700, host: '10.9.9.9' };
    expect(bindError(errno('EACCES'), udp).message).toBe(
      'udp/700 (lora.gwmp.port) may not be bound by this user (ports below 1024 need root or CAP_NET_BIND_SERVICE); choose a port from 1024 up',
    );
    expect(bindError(errno('EADDRNOTAVAIL'), udp).message).toBe(
      'udp/700 (lora.gwmp.port): 10.9.9.9 is not an address of this machine; bind 0.0.0.0 or one of its addresses',
    );
    expect(
      bindError(errno('EADDRINUSE'), { proto: 'tcp', key: 'local_broker.port', port: 1883 }),
    ).toBeInstanceOf(StartupError);
  });

  it('tells a missing socket directory from one the user may not write to', () => {
    const dir = tmpDir();
    const here = { proto: 'unix' as const, key: 'control.socket', path: join(dir, 'siaga.sock') };
    expect(bindError(errno('EACCES'), here).message).toBe(
      `control socket ${here.path} (control.socket): this user may not create files in ${dir}; give it to user siaga (sudo chown siaga:siaga ${dir}) or choose another path`,
    );
    const gone = { ...here, path: join(dir, 'run', 'siaga.sock') };
    expect(bindError(errno('EACCES'), gone).message).toMatch(/directory .*run does not exist; create it/);
  });
});

describe('Rollback', () => {
  it('undoes newest first, goes on past a failing or stuck step, and stops a half-started listener', async () => {
    const done: string[] = [];
    const r = new Rollback();
    r.add('store', () => done.push('store'));
    r.add('sirens', async () => {
      done.push('sirens');
      throw new Error('relay gone');
    });
    r.add('serial', () => new Promise(() => done.push('serial (stuck)')));
    await expect(
      r.listen(
        { proto: 'udp', key: 'lora.gwmp.port', port: 1700 },
        () => Promise.reject(errno('EADDRINUSE')),
        'gwmp',
        () => done.push('gwmp stopped after its failed bind'),
      ),
    ).rejects.toThrow(
      'udp/1700 (lora.gwmp.port) is already in use by another process; stop it or choose another port',
    );
    await r.run(silentLog, 50, 1000);
    expect(done).toEqual(['gwmp stopped after its failed bind', 'serial (stuck)', 'sirens', 'store']);
    // Run twice (a second failure path) undoes nothing twice.
    await r.run(silentLog);
    expect(done).toHaveLength(4);
  });
});
