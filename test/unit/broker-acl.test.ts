import { describe, expect, it } from 'vitest';
import {
  type AclSubject,
  canPublish,
  canSubscribe,
  isValidFilter,
  nodeIdOfUpTopic,
} from '../../src/broker/acl.js';

const node: AclSubject = { role: 'node', node: 'pir-07' };
const siren: AclSubject = { role: 'siren', siren: 's-braja-1' };
const viewer: AclSubject = { role: 'viewer' };
const admin: AclSubject = { role: 'admin' };

// Topics nobody but the named role may publish to, and the ones nobody at all may.
const OWN_UP = 'siaga/local/nodes/pir-07/up';
const OTHER_UP = 'siaga/local/nodes/cam-02/up';
const OWN_STATE = 'siaga/local/sirens/s-braja-1/state';
const OTHER_STATE = 'siaga/local/sirens/s-test/state';
const OWN_SET = 'siaga/local/sirens/s-braja-1/set';
const OTHER_SET = 'siaga/local/sirens/s-test/set';
const NEVER_PUBLISH = [
  '',
  '#',
  '+',
  'siaga/local/#',
  'siaga/local/+/pir-07/up',
  'siaga/local/nodes/+/up',
  'siaga/local/nodes/pir-07/#',
  '$SYS/broker/heartbeat',
  '$SYS/siaga/local/x',
  '$share/g/siaga/local/x',
  'siaga/local/nodes/pir-07/up\u0000',
];

describe('canPublish', () => {
  const table: [string, AclSubject, string, boolean][] = [
    ['node own up', node, OWN_UP, true],
    ['node other node up', node, OTHER_UP, false],
    ['node own id other leaf', node, 'siaga/local/nodes/pir-07/down', false],
    ['node own id deeper', node, 'siaga/local/nodes/pir-07/up/x', false],
    ['node prefix of own id', node, 'siaga/local/nodes/pir-0/up', false],
    ['node siren state', node, OWN_STATE, false],
    ['node siren set', node, OWN_SET, false],
    ['node outside local', node, 'siaga/gw/x/readings', false],
    ['node trailing slash', node, `${OWN_UP}/`, false],
    ['siren own state', siren, OWN_STATE, true],
    ['siren other state', siren, OTHER_STATE, false],
    ['siren own set', siren, OWN_SET, false],
    ['siren other set', siren, OTHER_SET, false],
    ['siren node up', siren, OWN_UP, false],
    ['viewer node up', viewer, OWN_UP, false],
    ['viewer siren state', viewer, OWN_STATE, false],
    ['viewer siren set', viewer, OWN_SET, false],
    ['viewer local root', viewer, 'siaga/local', false],
    ['admin node up', admin, OTHER_UP, true],
    ['admin siren set', admin, OTHER_SET, true],
    ['admin local root', admin, 'siaga/local', true],
    ['admin local deep', admin, 'siaga/local/a/b/c', true],
    ['admin outside local', admin, 'siaga/gw/uplink', false],
    ['admin lookalike prefix', admin, 'siaga/localx/y', false],
    ['admin other tree', admin, 'other/topic', false],
    ['admin bare siaga', admin, 'siaga', false],
  ];
  it.each(table)('%s', (_name, user, topic, expected) => {
    expect(canPublish(user, topic)).toBe(expected);
  });

  it.each(NEVER_PUBLISH)('nobody publishes to %j', (topic) => {
    for (const user of [node, siren, viewer, admin]) expect(canPublish(user, topic)).toBe(false);
  });

  it('refuses a node or siren user without its binding', () => {
    expect(canPublish({ role: 'node' }, 'siaga/local/nodes/undefined/up')).toBe(false);
    expect(canPublish({ role: 'siren' }, 'siaga/local/sirens/undefined/state')).toBe(false);
    expect(canPublish({ role: 'node', node: '' }, 'siaga/local/nodes//up')).toBe(false);
  });

  it('refuses a binding that holds wildcards', () => {
    expect(canPublish({ role: 'node', node: '+' }, 'siaga/local/nodes/+/up')).toBe(false);
    expect(canSubscribe({ role: 'siren', siren: '+' }, 'siaga/local/sirens/+/set')).toBe(false);
    expect(canSubscribe({ role: 'siren', siren: '#' }, 'siaga/local/sirens/#')).toBe(false);
  });
});

describe('canSubscribe', () => {
  const table: [string, AclSubject, string, boolean][] = [
    // node: nothing at all
    ['node own up', node, OWN_UP, false],
    ['node own set', node, 'siaga/local/nodes/pir-07/set', false],
    ['node local wildcard', node, 'siaga/local/#', false],
    ['node everything', node, '#', false],
    // siren: exactly its own set topic
    ['siren own set', siren, OWN_SET, true],
    ['siren other set', siren, OTHER_SET, false],
    ['siren own state', siren, OWN_STATE, false],
    ['siren set via +', siren, 'siaga/local/sirens/+/set', false],
    ['siren own subtree', siren, 'siaga/local/sirens/s-braja-1/#', false],
    ['siren own set subtree', siren, `${OWN_SET}/#`, false],
    ['siren everything', siren, '#', false],
    ['siren local', siren, 'siaga/local/#', false],
    // viewer: within siaga/local/#
    ['viewer local all', viewer, 'siaga/local/#', true],
    ['viewer local root', viewer, 'siaga/local', true],
    ['viewer nodes all', viewer, 'siaga/local/nodes/+/up', true],
    ['viewer one node', viewer, OWN_UP, true],
    ['viewer sirens deep', viewer, 'siaga/local/sirens/#', true],
    ['viewer plus levels', viewer, 'siaga/local/+/+/+', true],
    ['viewer everything', viewer, '#', false],
    ['viewer siaga all', viewer, 'siaga/#', false],
    ['viewer plus first', viewer, '+/local/#', false],
    ['viewer plus second', viewer, 'siaga/+/#', false],
    ['viewer plus second exact', viewer, 'siaga/+/nodes/pir-07/up', false],
    ['viewer single plus', viewer, '+', false],
    ['viewer plus then hash', viewer, '+/#', false],
    ['viewer lookalike', viewer, 'siaga/localx/#', false],
    ['viewer bare siaga', viewer, 'siaga', false],
    ['viewer other tree', viewer, 'other/#', false],
    ['viewer uplink tree', viewer, 'siaga/gw/#', false],
    ['viewer SYS', viewer, '$SYS/#', false],
    ['viewer shared', viewer, '$share/g/siaga/local/#', false],
    ['viewer malformed hash', viewer, 'siaga/local/#/x', false],
    ['viewer glued hash', viewer, 'siaga/local/x#', false],
    ['viewer glued plus', viewer, 'siaga/local/x+/y', false],
    // admin: anything # covers
    ['admin everything', admin, '#', true],
    ['admin plus', admin, '+/+', true],
    ['admin local', admin, 'siaga/local/#', true],
    ['admin uplink', admin, 'siaga/gw/#', true],
    ['admin SYS', admin, '$SYS/#', false],
    ['admin shared', admin, '$share/g/#', false],
    ['admin malformed', admin, '#/x', false],
    ['admin empty', admin, '', false],
  ];
  it.each(table)('%s', (_name, user, filter, expected) => {
    expect(canSubscribe(user, filter)).toBe(expected);
  });
});

describe('helpers', () => {
  it('validates filters', () => {
    for (const ok of ['#', '+', 'a/+/b', 'a/#', '/a', 'a//b']) expect(isValidFilter(ok)).toBe(true);
    for (const bad of ['', 'a#', '#/a', 'a/b+', '+a', 'a/\u0000']) expect(isValidFilter(bad)).toBe(false);
  });

  it('extracts the node id of an up topic', () => {
    expect(nodeIdOfUpTopic(OWN_UP)).toBe('pir-07');
    expect(nodeIdOfUpTopic('siaga/local/nodes/+/up')).toBeUndefined();
    expect(nodeIdOfUpTopic('siaga/local/nodes/a/b/up')).toBeUndefined();
    expect(nodeIdOfUpTopic(OWN_STATE)).toBeUndefined();
  });
});
