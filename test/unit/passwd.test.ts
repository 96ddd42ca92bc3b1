import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/broker/password.js';
import { checkPassword, passwdOutput, readLine } from '../../src/cli/commands/passwd.js';
import { UsageError } from '../../src/domain/index.js';

describe('siaga passwd', () => {
  it('prints a hash that verifies, and a hint naming local_broker.users', async () => {
    const { hash, hint } = await passwdOutput('gajah-liar-2026');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('gajah-liar-2026', hash)).toBe(true);
    expect(await verifyPassword('gajah-liar-2027', hash)).toBe(false);
    expect(hint).toContain('local_broker.users');
    expect(hint).toContain(`password_hash: "${hash}"`);
  });

  it('refuses fewer than 8 characters with exit 64 and a sentence', async () => {
    expect(() => checkPassword('1234567')).toThrow(UsageError);
    await expect(passwdOutput('short')).rejects.toMatchObject({ exitCode: 64 });
    expect(() => checkPassword('')).toThrow(/at least 8/);
    expect(checkPassword('12345678')).toBe('12345678');
    // characters, not bytes: 8 emoji are 8 characters
    expect(checkPassword('🐘🐘🐘🐘🐘🐘🐘🐘')).toHaveLength(16);
    expect(() => checkPassword('🐘🐘🐘🐘')).toThrow(UsageError);
  });

  it('reads one line from a non-TTY stdin, without the newline or CR', async () => {
    const s = new PassThrough();
    s.end('secret-pass\r\nignored\n');
    expect(await readLine(s)).toBe('secret-pass');
    const t = new PassThrough();
    t.end('no-newline-at-end');
    expect(await readLine(t)).toBe('no-newline-at-end');
  });
});
