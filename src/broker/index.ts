export type { LocalBus } from '../ports/local-bus.js';
export {
  type AclSubject,
  canPublish,
  canSubscribe,
  isPlainTopic,
  isValidFilter,
  LOCAL_PREFIX,
  nodeIdOfUpTopic,
  nodeUpTopic,
  sirenSetTopic,
  sirenStateTopic,
} from './acl.js';
export { hashPassword, isWellFormedHash, SCRYPT_PARAMS, verifyPassword } from './password.js';
export {
  AUTH_BLOCK_MS,
  AUTH_WINDOW_MS,
  type BrokerRefusal,
  type BrokerRole,
  LocalBroker,
  type LocalBrokerDeps,
  type LocalBrokerStats,
} from './server.js';
