// The pty helper is product code (the demo uses it); tests use the same one.
export * from '../../src/sim/pty.js';
