import type { NetworkInterfaceInfo } from "node:os";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/log.js";
import { createWakeRouter, detectClockJump, networkFingerprint, watchForWake, type ClockSample } from "../../src/agent/wake.js";

const log = createLogger({ level: "silent" });
const INTERVAL = 5_000;
const TOLERANCE = 5_000;

describe("detectClockJump (pure: both clocks passed in)", () => {
  const start: ClockSample = { wall: 1_700_000_000_000, mono: 1_000 };
  const after = (wall: number, mono: number): ClockSample => ({ wall: start.wall + wall, mono: start.mono + mono });
  const cases: Array<[string, ClockSample, RegExp | undefined]> = [
    ["an ordinary tick", after(5_000, 5_000), undefined],
    ["a tick a little late (a busy event loop)", after(9_000, 9_000), undefined],
    ["a tick early by a few ms", after(4_990, 4_995), undefined],
    ["SIGSTOP for 20 s: both clocks advanced", after(25_000, 25_000), /jumped 20\.0 s ahead/],
    ["a suspend of one hour: only the wall clock advanced", after(3_605_000, 5_000), /jumped 3600\.0 s ahead/],
    ["the wall clock set back an hour", after(-3_595_000, 5_000), /wall clock moved -3600\.0 s/],
    ["the wall clock stepped by NTP within the tolerance", after(8_000, 5_000), undefined],
  ];
  it.each(cases)("%s", (_what, current, expected) => {
    const jump = detectClockJump(start, current, INTERVAL, TOLERANCE);
    if (expected === undefined) expect(jump).toBeUndefined();
    else expect(jump).toMatch(expected);
  });
});

function iface(address: string, internal = false): NetworkInterfaceInfo {
  return { address, netmask: "255.255.255.0", family: "IPv4", mac: "00:00:00:00:00:00", internal, cidr: `${address}/24` };
}

describe("networkFingerprint", () => {
  it("ignores loopback and the order of interfaces", () => {
    const a = networkFingerprint({ lo: [iface("127.0.0.1", true)], eth0: [iface("10.0.0.2")], wlan0: [iface("192.168.1.5")] });
    const b = networkFingerprint({ wlan0: [iface("192.168.1.5")], eth0: [iface("10.0.0.2")] });
    expect(a).toBe(b);
  });

  it("changes with an address", () => {
    const before = networkFingerprint({ wlan0: [iface("192.168.1.5")] });
    expect(networkFingerprint({ wlan0: [iface("172.16.0.9")] })).not.toBe(before);
    expect(networkFingerprint({ wlan0: [iface("192.168.1.5")], tun0: [iface("10.8.0.2")] })).not.toBe(before);
  });
});

describe("watchForWake (the coarse timer)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A clock that follows the fake timers, plus a jump the test can add to one or both clocks. */
  function fakeClock() {
    const skew = { wall: 0, mono: 0 };
    return { skew, read: (): ClockSample => ({ wall: Date.now() + skew.wall, mono: Date.now() + skew.mono }) };
  }

  it("stays quiet while nothing happens, for hours", async () => {
    const wakes: string[] = [];
    const clock = fakeClock();
    const stop = watchForWake({ log, onWake: (r) => wakes.push(r), clock: clock.read, interfaces: () => ({ eth0: [iface("10.0.0.2")] }) });
    await vi.advanceTimersByTimeAsync(3 * 3_600_000);
    expect(wakes).toEqual([]);
    stop();
  });

  it("reports a suspend once, at the first tick after it", async () => {
    const wakes: string[] = [];
    const clock = fakeClock();
    const stop = watchForWake({ log, onWake: (r) => wakes.push(r), clock: clock.read, interfaces: () => ({}) });
    await vi.advanceTimersByTimeAsync(12_000);
    clock.skew.wall += 3_600_000;
    await vi.advanceTimersByTimeAsync(3_000);
    expect(wakes).toHaveLength(1);
    expect(wakes[0]).toMatch(/clock jumped 3600\.0 s ahead/);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(wakes).toHaveLength(1);
    stop();
  });

  it("reports a change of the network interfaces once", async () => {
    const wakes: string[] = [];
    let current = { wlan0: [iface("192.168.1.5")] };
    const stop = watchForWake({ log, onWake: (r) => wakes.push(r), clock: fakeClock().read, interfaces: () => current });
    await vi.advanceTimersByTimeAsync(12_000);
    current = { wlan0: [iface("172.16.0.9")] };
    await vi.advanceTimersByTimeAsync(30_000);
    expect(wakes).toEqual(["the network interfaces changed"]);
    stop();
  });

  it("does not report when the interfaces cannot be listed", async () => {
    const wakes: string[] = [];
    let fail = false;
    const interfaces = () => {
      if (fail) throw new Error("EPERM");
      return { wlan0: [iface("192.168.1.5")] };
    };
    const stop = watchForWake({ log, onWake: (r) => wakes.push(r), clock: fakeClock().read, interfaces });
    await vi.advanceTimersByTimeAsync(6_000);
    fail = true;
    await vi.advanceTimersByTimeAsync(20_000);
    fail = false;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(wakes).toEqual([]);
    stop();
  });
});

describe("createWakeRouter", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("cuts a backoff wait short on a wake, and routes later wakes to the connected session", async () => {
    const router = createWakeRouter({ log, options: { intervalMs: INTERVAL, toleranceMs: TOLERANCE } });
    // The router's timer reads Date.now(), which the fake timers let a test set: a suspend of an hour.
    let slept = false;
    const wait = router.sleep(600_000, new AbortController().signal).then(() => (slept = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(slept).toBe(false);
    vi.setSystemTime(Date.now() + 3_600_000);
    await vi.advanceTimersByTimeAsync(5_000);
    await wait;
    expect(slept).toBe(true);

    const probes: string[] = [];
    const unroute = router.route((reason) => probes.push(reason));
    vi.setSystemTime(Date.now() + 3_600_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probes).toHaveLength(1);
    unroute();
    vi.setSystemTime(Date.now() + 3_600_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probes).toHaveLength(1);
    router.stop();
  });
});
