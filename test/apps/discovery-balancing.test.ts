// Balancer choice, back-off growth and ejection rules: pure functions, called directly.
import assert from "node:assert/strict";
import { MAX_DEBT, pickTarget, type Candidate } from "../../apps/hello/src/discovery/balancer";
import {
  ejectionDurationMs,
  HEALTHY,
  isEjected,
  maxEjectable,
  recordFailure,
  recordSuccess,
  type EjectionPolicy,
  type OutlierState,
} from "../../apps/hello/src/discovery/outlier";

const idle = (n: number): Candidate[] =>
  Array.from({ length: n }, () => ({ outstanding: 0, eligible: true }));

describe("discovery: balancer", () => {
  it("spreads exactly evenly over equal targets (round robin)", () => {
    const counts = [0, 0, 0];
    const rotation = { cursor: 0 };
    for (let i = 0; i < 30_000; i++) counts[pickTarget(idle(3), rotation, 4)] += 1;
    assert.deepEqual(counts, [10_000, 10_000, 10_000]);
  });

  it("stays even when requests overlap (outstanding counts within the slack)", () => {
    const candidates = idle(3);
    const counts = [0, 0, 0];
    const inFlight: number[] = [];
    const rotation = { cursor: 0 };
    for (let i = 0; i < 30_000; i++) {
      const index = pickTarget(candidates, rotation, 4);
      counts[index] += 1;
      candidates[index].outstanding += 1;
      inFlight.push(index);
      if (inFlight.length > 8) candidates[inFlight.shift() as number].outstanding -= 1; // FIFO completions
    }
    assert.deepEqual(counts, [10_000, 10_000, 10_000]);
  });

  it("passes over a target whose outstanding requests exceed the least busy one's by more than the slack", () => {
    const candidates: Candidate[] = [
      { outstanding: 9, eligible: true }, // stuck
      { outstanding: 2, eligible: true },
      { outstanding: 3, eligible: true },
    ];
    const seen = new Set<number>();
    const rotation = { cursor: 0 };
    for (let i = 0; i < 6; i++) seen.add(pickTarget(candidates, rotation, 4));
    assert.deepEqual([...seen].sort(), [1, 2]);
    assert.equal(candidates[0].debt, 3); // its turn in each of the three rounds is owed
  });

  it("gives a task that only lagged its passed-over turns back, so equal tasks keep exact shares", () => {
    // Task 0 is descheduled for a moment now and then: its in-flight count jumps past the slack.
    const candidates = idle(3);
    const counts = [0, 0, 0];
    const rotation = { cursor: 0 };
    for (let i = 0; i < 30_000; i++) {
      candidates[0].outstanding = i % 100 < 10 ? 20 : 0; // lagging 10 % of the time
      counts[pickTarget(candidates, rotation, 8)] += 1;
    }
    assert.deepEqual(counts, [10_000, 10_000, 10_000]);
  });

  it("repays owed turns only within the slack, and never more than MAX_DEBT", () => {
    const candidates: Candidate[] = [
      { outstanding: 50, eligible: true, debt: MAX_DEBT },
      { outstanding: 0, eligible: true },
    ];
    const rotation = { cursor: 0 };
    assert.equal(pickTarget(candidates, rotation, 8), 1);
    assert.equal(candidates[0].debt, MAX_DEBT); // capped
    assert.equal(rotation.cursor, 2);
    candidates[0].outstanding = 8;
    assert.equal(pickTarget(candidates, rotation, 8), 0); // within the slack: an owed turn first
    assert.equal(candidates[0].debt, MAX_DEBT - 1);
    assert.equal(rotation.cursor, 2); // the rotation did not move for it
  });

  it("never picks an ineligible target, and says so when none is left", () => {
    const candidates: Candidate[] = [
      { outstanding: 0, eligible: false },
      { outstanding: 50, eligible: true },
    ];
    assert.equal(pickTarget(candidates, { cursor: 0 }, 0), 1);
    assert.equal(pickTarget([{ outstanding: 0, eligible: false }], { cursor: 0 }, 4), -1);
    assert.equal(pickTarget([], { cursor: 7 }, 4), -1);
  });
});

const policy: EjectionPolicy = {
  consecutiveFailures: 3,
  baseMs: 1000,
  maxMs: 8000,
  maxEjectionPercent: 50,
  jitter: 0.2,
};

describe("discovery: back-off", () => {
  it("doubles with each ejection and stops at the cap", () => {
    const noJitter = () => 0;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 40].map((n) => ejectionDurationMs(n, policy, noJitter)),
      [1000, 2000, 4000, 8000, 8000, 8000, 8000],
    );
  });

  it("jitter only shortens, by at most the jitter fraction", () => {
    assert.equal(
      ejectionDurationMs(2, policy, () => 0.999999),
      1600,
    );
    for (let i = 0; i < 200; i++) {
      const d = ejectionDurationMs(4, policy, Math.random);
      assert.ok(d > 6400 - 1 && d <= 8000, String(d));
    }
  });
});

describe("discovery: ejection rules", () => {
  const ctx = (now: number, total = 3, ejectedNow = 0) => ({ now, total, ejectedNow, random: () => 0 });

  function failTimes(
    state: OutlierState,
    n: number,
    now: number,
    total = 3,
    ejectedNow = 0,
  ): { state: OutlierState; ejected: boolean } {
    let result = { state, ejected: false };
    for (let i = 0; i < n; i++) result = recordFailure(result.state, policy, ctx(now, total, ejectedNow));
    return result;
  }

  it("ejects after the configured number of consecutive failures, not before", () => {
    assert.equal(failTimes(HEALTHY, 2, 0).ejected, false);
    const third = failTimes(HEALTHY, 3, 0);
    assert.equal(third.ejected, true);
    assert.equal(third.state.ejectedUntil, 1000);
    assert.ok(isEjected(third.state, 999));
    assert.ok(!isEjected(third.state, 1000));
  });

  it("a success in between resets the streak and the back-off", () => {
    const two = failTimes(HEALTHY, 2, 0).state;
    assert.deepEqual(recordSuccess(), HEALTHY);
    assert.equal(failTimes(recordSuccess(), 2, 0).ejected, false);
    assert.equal(two.consecutiveFailures, 2);
  });

  it("re-ejects at the first failure after coming back, for twice as long", () => {
    const first = failTimes(HEALTHY, 3, 0).state;
    const again = recordFailure(first, policy, ctx(1500));
    assert.equal(again.ejected, true);
    assert.equal(again.state.ejectedUntil, 1500 + 2000);
    assert.equal(again.state.ejections, 2);
  });

  it("does not extend an ejection for failures of requests already in flight", () => {
    const first = failTimes(HEALTHY, 3, 0).state;
    const late = recordFailure(first, policy, ctx(10));
    assert.equal(late.ejected, false);
    assert.equal(late.state.ejectedUntil, first.ejectedUntil);
  });

  it("never ejects all targets: max ejection percent, at least one target always in", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 10].map((n) => maxEjectable(n, 50)),
      [0, 1, 1, 2, 5],
    );
    assert.deepEqual(
      [2, 3, 10].map((n) => maxEjectable(n, 100)),
      [1, 2, 9],
    );
    assert.equal(maxEjectable(10, 0), 0);
    assert.equal(maxEjectable(3, 10), 1); // a small percentage still allows one
    assert.equal(failTimes(HEALTHY, 10, 0, 1).ejected, false); // the only target
    assert.equal(failTimes(HEALTHY, 3, 0, 3, 1).ejected, false); // 1 of 3 already out at 50 %
    assert.equal(failTimes(HEALTHY, 3, 0, 4, 1).ejected, true); // 2 of 4 is allowed
  });
});

describe("discovery: balancer and ejection edge cases", () => {
  it("starts from the cursor, wraps around, and advances the rotation", () => {
    const from = (cursor: number) => {
      const rotation = { cursor };
      return { index: pickTarget(idle(3), rotation, 4), cursor: rotation.cursor };
    };
    assert.deepEqual(from(2), { index: 2, cursor: 3 });
    assert.deepEqual(from(3), { index: 0, cursor: 1 });
    assert.deepEqual(from(7), { index: 1, cursor: 2 });
    const untouched = { cursor: 5 };
    assert.equal(pickTarget([{ outstanding: 0, eligible: false }], untouched, 4), -1);
    assert.equal(untouched.cursor, 5, "no pick, no advance");
  });

  it("the slack is inclusive, and only eligible targets set the least busy count", () => {
    const candidates: Candidate[] = [
      { outstanding: 6, eligible: true },
      { outstanding: 0, eligible: false }, // idle but excluded: does not make the others look busy
      { outstanding: 2, eligible: true },
    ];
    assert.equal(pickTarget(candidates, { cursor: 0 }, 4), 0); // 6 <= 2 + 4
    assert.equal(pickTarget(candidates, { cursor: 0 }, 3), 2); // 6 > 2 + 3
    // An excluded idle target does not make the only eligible one look too busy to pick.
    assert.equal(
      pickTarget(
        [
          { outstanding: 6, eligible: true },
          { outstanding: 0, eligible: false },
        ],
        { cursor: 1 },
        4,
      ),
      0,
    );
    // The least busy count is the minimum, not the last one seen.
    assert.equal(
      pickTarget(
        [
          { outstanding: 2, eligible: true },
          { outstanding: 6, eligible: true },
        ],
        { cursor: 1 },
        3,
      ),
      0,
    );
  });

  it("back-off: the first ejection is the base; n below 1 counts as the first", () => {
    assert.equal(
      ejectionDurationMs(0, policy, () => 0),
      1000,
    );
    assert.equal(
      ejectionDurationMs(1, { ...policy, maxMs: 500 }, () => 0),
      500,
    );
    assert.equal(
      ejectionDurationMs(1, { ...policy, jitter: 0.5 }, () => 0.5),
      750,
    );
    assert.equal(
      ejectionDurationMs(1000, { ...policy, maxMs: Number.MAX_SAFE_INTEGER }, () => 0),
      1000 * 2 ** 30,
    );
  });

  it("ejection state: the streak and the back-off count are kept; the ejection ends at now + duration", () => {
    const ctx = { now: 5000, total: 4, ejectedNow: 0, random: () => 0 };
    const one = recordFailure(HEALTHY, policy, ctx);
    assert.deepEqual(one, {
      state: { consecutiveFailures: 1, ejections: 0, ejectedUntil: 0 },
      ejected: false,
    });
    const state: OutlierState = { consecutiveFailures: 2, ejections: 1, ejectedUntil: 4000 };
    assert.deepEqual(recordFailure(state, policy, ctx), {
      state: { consecutiveFailures: 3, ejections: 2, ejectedUntil: 7000 },
      ejected: true,
    });
    assert.deepEqual(recordFailure(state, { ...policy, consecutiveFailures: 4 }, ctx).ejected, false);
    assert.ok(!isEjected(HEALTHY, 0));
    assert.ok(Object.isFrozen(HEALTHY));
  });

  it("max ejectable: rounds the share down, never below one, never all", () => {
    assert.equal(maxEjectable(3, 50), 1);
    assert.equal(maxEjectable(5, 50), 2);
    assert.equal(maxEjectable(0, 50), 0);
    assert.equal(maxEjectable(4, -5), 0);
    assert.equal(maxEjectable(4, 100), 3);
  });
});

describe("discovery: balancer, SRV weights and priorities", () => {
  /** A deterministic uniform sequence: i/n for i = 0..n-1, repeated. */
  function grid(n: number): () => number {
    let i = 0;
    return () => (i++ % n) / n;
  }

  it("splits requests in proportion to the weights within one priority (RFC 2782)", () => {
    const candidates: Candidate[] = [
      { outstanding: 0, eligible: true, priority: 1, weight: 1 },
      { outstanding: 0, eligible: true, priority: 1, weight: 3 },
    ];
    const counts = [0, 0];
    const random = grid(1000);
    for (let i = 0; i < 4000; i++) counts[pickTarget(candidates, { cursor: i }, 8, random)] += 1;
    assert.deepEqual(counts, [1000, 3000]);
  });

  it("uses a higher priority only when no lower one is eligible", () => {
    const candidates: Candidate[] = [
      { outstanding: 0, eligible: true, priority: 2, weight: 1 },
      { outstanding: 0, eligible: true, priority: 1, weight: 1 },
      { outstanding: 0, eligible: true, priority: 1, weight: 1 },
    ];
    const seen = new Set<number>();
    for (let i = 0; i < 30; i++) seen.add(pickTarget(candidates, { cursor: i }, 8));
    assert.deepEqual([...seen].sort(), [1, 2]);
    candidates[1].eligible = false;
    candidates[2].eligible = false;
    assert.equal(pickTarget(candidates, { cursor: 0 }, 8), 0);
  });

  it("gives weight 0 only the chance RFC 2782 gives it (a draw of 0), and round robin when all weights are equal", () => {
    const zero: Candidate[] = [
      { outstanding: 0, eligible: true, weight: 0 },
      { outstanding: 0, eligible: true, weight: 9 },
    ];
    const counts = [0, 0];
    const random = grid(100);
    for (let i = 0; i < 1000; i++) counts[pickTarget(zero, { cursor: 0 }, 8, random)] += 1;
    assert.deepEqual(counts, [100, 900]); // a draw of 0 out of [0, 9]: one in ten
    const equal: Candidate[] = [
      { outstanding: 0, eligible: true, weight: 5 },
      { outstanding: 0, eligible: true, weight: 5 },
    ];
    assert.deepEqual(
      [0, 1, 2, 3].map((cursor) => pickTarget(equal, { cursor }, 8, () => 0)),
      [0, 1, 0, 1],
    );
  });

  it("applies the busy guard before the weights", () => {
    const candidates: Candidate[] = [
      { outstanding: 20, eligible: true, weight: 100 }, // stuck
      { outstanding: 0, eligible: true, weight: 1 },
    ];
    for (const r of [0, 0.5, 0.99])
      assert.equal(
        pickTarget(candidates, { cursor: 0 }, 8, () => r),
        1,
      );
  });
});

describe("discovery: balancer, what counts and what does not", () => {
  it("the least busy count comes from the chosen priority only", () => {
    const candidates: Candidate[] = [
      { outstanding: 10, eligible: true, priority: 1 },
      { outstanding: 0, eligible: true, priority: 2 }, // idle, but a fallback: not the yardstick
    ];
    assert.equal(pickTarget(candidates, { cursor: 0 }, 2), 0);
    assert.equal(pickTarget(candidates, { cursor: 1 }, 2), 0);
  });

  it("a turn owed to a target is not repaid while it is excluded, nor to one of another priority", () => {
    const candidates: Candidate[] = [
      { outstanding: 0, eligible: false, debt: 3 },
      { outstanding: 0, eligible: true, priority: 1, debt: 3 },
      { outstanding: 0, eligible: true },
    ];
    assert.equal(pickTarget(candidates, { cursor: 0 }, 8), 2);
    assert.equal(candidates[0].debt, 3);
    assert.equal(candidates[1].debt, 3);
  });

  it("an excluded target of a lower priority does not hide the eligible ones", () => {
    const candidates: Candidate[] = [
      { outstanding: 0, eligible: false, priority: 0 },
      { outstanding: 0, eligible: true, priority: 1 },
    ];
    assert.equal(pickTarget(candidates, { cursor: 0 }, 8), 1);
  });

  it("weighted choice draws only among eligible targets of the chosen priority within the slack (the edge included)", () => {
    const candidates: Candidate[] = [
      { outstanding: 0, eligible: false, weight: 50 }, // excluded
      { outstanding: 0, eligible: true, weight: 1 },
      { outstanding: 0, eligible: true, priority: 5, weight: 50 }, // a fallback
      { outstanding: 8, eligible: true, weight: 3 }, // at the slack's edge: still in
      { outstanding: 9, eligible: true, weight: 50 }, // past it
    ];
    const counts = [0, 0, 0, 0, 0];
    let i = 0;
    const random = () => (i++ % 100) / 100;
    for (let k = 0; k < 400; k++) counts[pickTarget(candidates, { cursor: 0 }, 8, random)] += 1;
    assert.deepEqual(counts, [0, 100, 0, 300, 0]);
  });

  it("weight 0: a draw of 0 picks the first weight-0 target, wherever it stands", () => {
    const candidates: Candidate[] = [
      { outstanding: 0, eligible: true, weight: 5 },
      { outstanding: 0, eligible: true, weight: 0 },
      { outstanding: 0, eligible: true, weight: 0 },
    ];
    assert.equal(
      pickTarget(candidates, { cursor: 0 }, 8, () => 0),
      1,
    );
    assert.equal(
      pickTarget(candidates, { cursor: 0 }, 8, () => 0.5),
      0,
    );
    // The first weight-0 target may also be the first of all: a later weight-0 one never overrides it.
    const zeroFirst: Candidate[] = [
      { outstanding: 0, eligible: true, weight: 0 },
      { outstanding: 0, eligible: true, weight: 5 },
      { outstanding: 0, eligible: true, weight: 0 },
    ];
    assert.equal(
      pickTarget(zeroFirst, { cursor: 0 }, 8, () => 0),
      0,
    );
  });
});
