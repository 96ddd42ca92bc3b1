import { describe, expect, it } from 'vitest';
import { checkSecretPermissions } from '../../src/doctor/secrets.js';
import type { FileInfo, Probes } from '../../src/doctor/types.js';

/** Only what the permission check asks: a file's mode and owner, and group names. */
function probes(files: Record<string, FileInfo>): Probes {
  return {
    stat: (p: string) => files[p],
    groupName: (gid: number) => ({ 0: 'root', 20: 'dialout', 999: 'siaga' })[gid],
    userName: (uid: number) => ({ 0: 'root', 999: 'siaga' })[uid],
  } as unknown as Probes;
}

const file = (mode: number, gid: number): FileInfo => ({ kind: 'file', mode, uid: 0, gid });

describe('doctor: secret file permissions', () => {
  it('0640 root:root is fine: group root holds only root, who reads everything anyway', () => {
    const r = checkSecretPermissions(
      [{ key: 'uplink.password_file', path: '/etc/siaga/uplink.pass' }],
      probes({ '/etc/siaga/uplink.pass': file(0o640, 0) }),
    );
    expect(r).toEqual([expect.objectContaining({ level: 'OK' })]);
  });

  it('0640 root:dialout still WARNs: every member of dialout could read the secret', () => {
    const [r] = checkSecretPermissions(
      [{ key: 'uplink.password_file', path: '/etc/siaga/uplink.pass' }],
      probes({ '/etc/siaga/uplink.pass': file(0o640, 20) }),
    );
    expect(r?.level).toBe('WARN');
    expect(r?.detail).toContain('group dialout may read it');
  });

  it('0660 root:root WARNs: group write is never intended', () => {
    const [r] = checkSecretPermissions([{ key: 'k', path: '/k' }], probes({ '/k': file(0o660, 0) }));
    expect(r?.level).toBe('WARN');
    expect(r?.detail).toContain('group root may change it');
  });
});
