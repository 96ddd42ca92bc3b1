import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultGatewayId, initConfig, problemWith, slug, zoneId } from '../../src/cli/init-answers.js';
import { parseConfig } from '../../src/config/load.js';

describe('siaga init answers', () => {
  it('makes a valid gateway and zone id from any village name', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (name) => {
        expect(problemWith('id', defaultGatewayId(name))).toBeUndefined();
        expect(problemWith('id', zoneId(name))).toBeUndefined();
      }),
    );
    expect(slug('Braja Harjosari', 29)).toBe('braja-harjosari');
    expect(slug('Désa Sukadana!', 29)).toBe('desa-sukadana');
  });

  it('writes a config that passes the full check, local-only or with a centre', () => {
    const base = {
      name: 'Braja Harjosari',
      code: '18.07.11.2005',
      lat: -5.02,
      lon: 105.76,
      id: 'gw-braja',
      username: '',
      password: '',
      serial: ['/dev/ttyUSB0'],
      zone: 'Tepi hutan',
      node: 'pir-01',
      nodeType: 'pir',
    };
    const local = parseConfig(stringify(initConfig({ ...base, centre: '' })), '/etc/siaga');
    expect(local.uplink).toBeUndefined();
    expect(local.zones[0]?.id).toBe('z-tepi-hutan');
    // With a centre the command key is a file; it does not exist here, so the check names it.
    expect(() =>
      parseConfig(stringify(initConfig({ ...base, centre: 'mqtt://c:1883' })), '/nonexistent'),
    ).toThrow(/commands\.keys\[0\]\.secret_file: cannot read/);
  });
});
