export type { DetectionEngineConfig, DetectionEngineDeps, SavedLevels } from './engine.js';
export { DetectionEngine } from './engine.js';
export type { Evidence } from './evidence.js';
export { isFenceOk, scoreReading } from './evidence.js';
export type { ExternalEvidence } from './external.js';
export type { LatLon } from './geo.js';
export { haversineM } from './geo.js';
export type { EngineOutput, LevelChange, Notice, ZoneState } from './types.js';
