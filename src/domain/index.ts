export * from './clock.js';
export * from './errors.js';
export * from './event.js';
export * from './level.js';
export * from './reading.js';
export * from './result.js';
