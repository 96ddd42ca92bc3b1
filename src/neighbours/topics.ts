import { LOCAL_PREFIX } from '../broker/acl.js';
import { uplinkTopics } from '../uplink/topics.js';

/** A neighbour's events as the centre relays them (its uplink topic; the centre's ACL names the gateway). */
export const centreEventsTopic = (gateway: string): string => uplinkTopics(gateway).events;

/**
 * Where a gateway publishes its own level events on its local broker, for neighbours on the same
 * network that subscribe with a `viewer` user (no centre needed). Within `siaga/local/#`, so the
 * viewer role may read it and nobody but the gateway and an admin may write it.
 */
export const MESH_EVENTS_TOPIC = `${LOCAL_PREFIX}/events`;
