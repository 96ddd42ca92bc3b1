/**
 * Where LoRaWAN uplink checks keep each device's last frame counter (docs/wire.md §2): the store
 * implements it inside the group commit, tests and benchmarks with a Map.
 */
export interface FcntStore {
  get(devAddr: string): number | undefined;
  set(devAddr: string, fcnt: number, ts: number): void;
}
