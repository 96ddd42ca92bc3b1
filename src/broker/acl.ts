import type { BrokerUser } from '../config/schema.js';

/**
 * The local broker's ACL (docs/wire.md §4), pure:
 *
 * | role   | may publish                         | may subscribe                      |
 * |--------|-------------------------------------|------------------------------------|
 * | node   | `siaga/local/nodes/<its id>/up`     | nothing                            |
 * | siren  | `siaga/local/sirens/<its id>/state` | `siaga/local/sirens/<its id>/set`  |
 * | viewer | nothing                             | filters within `siaga/local/#`     |
 * | operator | nothing (a village-screen login)  | nothing                            |
 * | admin  | `siaga/local/#`                     | `#`                                |
 *
 * "Within" means every topic the filter can match is also matched by the allowed filter, so a
 * viewer's `siaga/+/#`, `+/local/#` or `#` is refused. `#` does not match topics starting with `$`
 * (MQTT 4.7.2), so nobody may subscribe to `$SYS/…` or `$share/…`. Nobody may publish to a topic
 * holding a wildcard or starting with `$`.
 */

export type AclSubject = Pick<BrokerUser, 'role' | 'node' | 'siren'>;

export const LOCAL_PREFIX = 'siaga/local';

export const nodeUpTopic = (nodeId: string): string => `${LOCAL_PREFIX}/nodes/${nodeId}/up`;
export const sirenStateTopic = (sirenId: string): string => `${LOCAL_PREFIX}/sirens/${sirenId}/state`;
export const sirenSetTopic = (sirenId: string): string => `${LOCAL_PREFIX}/sirens/${sirenId}/set`;

const NODE_UP = /^siaga\/local\/nodes\/([^/]+)\/up$/;

/** The node id of a `siaga/local/nodes/<id>/up` topic, or undefined for any other topic. */
export function nodeIdOfUpTopic(topic: string): string | undefined {
  const id = NODE_UP.exec(topic)?.[1];
  return usableId(id) ? id : undefined;
}

// An id usable inside a topic: no level separator, wildcard, `$` or NUL. The config schema already
// restricts ids to [a-z0-9-]; this guards the ACL on its own.
function usableId(id: string | undefined): id is string {
  return id !== undefined && id.length > 0 && !/[/+#$]/.test(id) && !id.includes('\0');
}

/** A topic name a client may publish to at all: non-empty, no wildcard, no `$` prefix, no NUL. */
export function isPlainTopic(topic: string): boolean {
  return topic.length > 0 && !topic.startsWith('$') && !/[+#]/.test(topic) && !topic.includes('\0');
}

/** A syntactically valid MQTT topic filter (`#` only last and alone in its level, `+` alone). */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}

function withinLocal(topicOrFilter: string): boolean {
  return topicOrFilter === LOCAL_PREFIX || topicOrFilter.startsWith(`${LOCAL_PREFIX}/`);
}

/** May `user` publish to `topic`? */
export function canPublish(user: AclSubject, topic: string): boolean {
  if (!isPlainTopic(topic)) return false;
  switch (user.role) {
    case 'node':
      return usableId(user.node) && topic === nodeUpTopic(user.node);
    case 'siren':
      return usableId(user.siren) && topic === sirenStateTopic(user.siren);
    case 'viewer':
      return false;
    case 'admin':
      return withinLocal(topic);
    default:
      return false;
  }
}

/** May `user` subscribe to `filter`? */
export function canSubscribe(user: AclSubject, filter: string): boolean {
  if (!isValidFilter(filter)) return false;
  switch (user.role) {
    case 'node':
      return false;
    case 'siren':
      return usableId(user.siren) && filter === sirenSetTopic(user.siren);
    case 'viewer':
      // The first two levels must be the literal `siaga/local`: a wildcard there reaches beyond.
      return withinLocal(filter);
    case 'admin':
      // `#` covers every topic except those starting with `$` (MQTT 4.7.2).
      return !filter.startsWith('$');
    default:
      return false;
  }
}
