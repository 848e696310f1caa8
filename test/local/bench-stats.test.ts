import * as assert from "node:assert/strict";
import { median, medianOf, shares, skewPercent, table } from "../../bench/stats";

describe("bench arithmetic (pure)", () => {
  it("shares and skew relative to the even share", () => {
    assert.deepEqual(shares([1, 1, 2]), [0.25, 0.25, 0.5]);
    assert.deepEqual(shares([0, 0]), [0, 0]);
    assert.equal(skewPercent([3333, 3333, 3334]).toFixed(3), "0.020");
    assert.equal(Math.round(skewPercent([3400, 3300, 3300])), 2);
    assert.equal(skewPercent([5, 5]), 0);
    assert.equal(skewPercent([10, 0]), 100);
    assert.equal(skewPercent([]), 0);
  });

  it("median and per-field medians", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.deepEqual(
      medianOf([
        { a: 1, b: 10 },
        { a: 3, b: 30 },
        { a: 2, b: 20 },
      ]),
      { a: 2, b: 20 },
    );
  });

  it("table pads the first column left, the others right", () => {
    assert.equal(
      table([
        ["x", "n"],
        ["steady", "12"],
      ]),
      "x        n\nsteady  12",
    );
  });
});
