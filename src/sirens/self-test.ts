import type { Clock } from '../domain/index.js';
import type { DriverCalls } from './calls.js';
import { decide } from './decide.js';
import type { SirenRecords } from './records.js';
import type { SirenSlot, SirenState } from './state.js';
import type { SirenTimers } from './types.js';

export interface SelfTestResult {
  siren: string;
  ok: boolean;
  skipped?: 'busy' | 'budget';
  fault?: string;
}

/** What the self-test needs from the controller. */
export interface SelfTestHost {
  st: SirenState;
  clock: Clock;
  timers: SirenTimers;
  calls: DriverCalls;
  records: SirenRecords;
  /** The controller's reconcile: switches the sirens to what their state says now. */
  reconcile(now: number): void;
}

/**
 * The weekly self-test (docs/behaviour.md: each siren sounds for self_test_s and is checked). A siren
 * that is sounding or should be is skipped as busy; one without budget left as budget. The test
 * passes when the driver's check is ok and no call failed meanwhile. One `siren_test` event each.
 */
export async function runSelfTest(h: SelfTestHost): Promise<SelfTestResult[]> {
  const { st } = h;
  const now = h.clock.now();
  const results = new Map<string, SelfTestResult>();
  const tested: { slot: SirenSlot; faults: number }[] = [];
  for (const slot of st.sirens.values()) {
    if (slot.on || slot.override || decide(st, slot, now, []).on) {
      results.set(slot.id, { siren: slot.id, ok: true, skipped: 'busy' });
      continue;
    }
    slot.override = { kind: 'self_test', until: now + st.policy.self_test_s * 1000 };
    tested.push({ slot, faults: slot.faults });
  }
  h.reconcile(now);
  for (const t of tested) {
    if (!t.slot.on) {
      delete t.slot.override;
      results.set(t.slot.id, { siren: t.slot.id, ok: false, skipped: 'budget' });
    }
  }
  const running = tested.filter((t) => t.slot.override);
  if (running.length > 0) {
    await new Promise<void>((r) => h.timers.setTimeout(r, st.policy.self_test_s * 1000));
    h.reconcile(h.clock.now());
    await Promise.all(running.map((t) => t.slot.pending));
    await Promise.all(
      running.map(async (t) => {
        const check = await h.calls.check(t.slot);
        const ok = check.ok && t.slot.faults === t.faults;
        const fault = check.fault ?? (ok ? undefined : t.slot.fault);
        results.set(t.slot.id, { siren: t.slot.id, ok, ...(fault ? { fault } : {}) });
      }),
    );
  }
  const out = [...st.sirens.keys()].map((id) => results.get(id) ?? { siren: id, ok: false });
  for (const r of out) h.records.emit('siren_test', { ...r });
  return out;
}

export interface SirenTestStep {
  step: 'on' | 'sound' | 'off' | 'check';
  ok: boolean;
  fault?: string;
}

export interface SirenTestResult {
  siren: string;
  ok: boolean;
  seconds: number;
  steps: SirenTestStep[];
}

/**
 * `siaga siren test`: the controller has switched the siren on for `time.waitMs` more. Waits that
 * long, lets it go off, then checks it; each step passes only if no driver call failed in it,
 * so a siren whose command exits non-zero cannot pass. One `siren_test` event.
 */
export async function finishSirenTest(
  h: SelfTestHost,
  slot: SirenSlot,
  time: { waitMs: number; seconds: number; override?: SirenSlot['override'] },
  faultsBefore: number,
  by?: string,
): Promise<SirenTestResult> {
  const steps: SirenTestStep[] = [];
  const step = (name: SirenTestStep['step'], ok: boolean, since: number) => {
    const failed = !ok || slot.faults !== since;
    steps.push({ step: name, ok: !failed, ...(failed ? { fault: slot.fault ?? 'no fault reported' } : {}) });
    return slot.faults;
  };
  const faults = step('on', slot.on, faultsBefore);
  const onAt = h.clock.now();
  await new Promise<void>((r) => h.timers.setTimeout(r, time.waitMs));
  // The controller itself switches the siren off when the test's time is up (maybe just before
  // this timer), so any fault after ON belongs to OFF; no driver call happens while it sounds.
  // A timer may fire a millisecond before the clock reads its time, and the override would then
  // still hold the siren on: the test's time is up, so its own override ends here.
  if (time.override !== undefined && slot.override === time.override) delete slot.override;
  h.reconcile(h.clock.now());
  await slot.pending;
  const cut = slot.mutedAt >= onAt;
  steps.push({
    step: 'sound',
    ok: steps[0]?.ok === true && !cut,
    ...(cut
      ? { fault: 'switched off early (siren off)' }
      : steps[0]?.ok
        ? {}
        : { fault: 'it never switched on' }),
  });
  if (slot.on) {
    steps.push({
      step: 'off',
      ok: false,
      fault: `still on for zone ${slot.onZone ?? '?'} (an alarm is active)`,
    });
  } else step('off', true, faults);
  const check = await h.calls.check(slot);
  steps.push({
    step: 'check',
    ok: check.ok && check.on !== true,
    ...(check.ok && check.on !== true ? {} : { fault: check.fault ?? 'the siren reports it is still on' }),
  });
  const ok = steps.every((s) => s.ok);
  const fault = steps.find((s) => !s.ok)?.fault;
  h.records.emit('siren_test', {
    siren: slot.id,
    ok,
    manual: true,
    ...(fault ? { fault } : {}),
    ...(by ? { by } : {}),
  });
  return { siren: slot.id, ok, seconds: time.seconds, steps };
}
