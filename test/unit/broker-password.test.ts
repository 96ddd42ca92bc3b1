import { describe, expect, it } from 'vitest';
import { hashPassword, isWellFormedHash, verifyPassword } from '../../src/broker/password.js';

describe('password hashes', () => {
  it('hashes in the documented format and verifies', async () => {
    const hash = await hashPassword('gajah-liar-2026');
    const parts = hash.split('$');
    expect(parts).toHaveLength(6);
    expect(parts.slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
    const [, , , , salt = '', key = ''] = parts;
    expect(Buffer.from(salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(isWellFormedHash(hash)).toBe(true);
    expect(await verifyPassword('gajah-liar-2026', hash)).toBe(true);
    expect(await verifyPassword(Buffer.from('gajah-liar-2026'), hash)).toBe(true);
  });

  it('refuses a wrong password', async () => {
    const hash = await hashPassword('right');
    expect(await verifyPassword('wrong', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    expect(await verifyPassword('right ', hash)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('handles unicode passwords as UTF-8', async () => {
    const hash = await hashPassword('gajah 🐘 Sumatera');
    expect(await verifyPassword('gajah 🐘 Sumatera', hash)).toBe(true);
    expect(await verifyPassword(Buffer.from('gajah 🐘 Sumatera', 'utf8'), hash)).toBe(true);
  });

  it('verifies hashes with other valid parameters', async () => {
    const good = await hashPassword('x');
    const parts = good.split('$');
    // a hash made elsewhere with N=1024: still verifies with its own parameters
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('x', salt, 32, { N: 1024, r: 8, p: 1 });
    const other = `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword('x', other)).toBe(true);
    expect(parts[0]).toBe('scrypt');
  });

  it.each([
    '',
    'scrypt$',
    'plain-text-password',
    'bcrypt$2b$10$abc',
    'scrypt$16384$8$1$c2FsdHNhbHRzYWx0$',
    'scrypt$16384$8$1$$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$16384$8$1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==', // salt too short
    'scrypt$16385$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==', // N not a power of two
    'scrypt$1$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$2097152$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==', // N beyond the bound
    'scrypt$16384$999$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$16384$8$0$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$-16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$16384$8$1$not base64!$aGFzaGhhc2hoYXNoaGFzaA==',
    'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==$extra',
    'SCRYPT$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==',
  ])('a malformed hash %j gives false, never throws', async (hash) => {
    expect(isWellFormedHash(hash)).toBe(false);
    await expect(verifyPassword('anything', hash)).resolves.toBe(false);
  });
});
