/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The live page in a real browser: Debian's Chromium driven by playwright-core (which never
// downloads a browser of its own). Real processes, real DNS, real traffic through hello.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { COMMANDS, type CommandSpec } from "../../local/cli/commands";
import { startLiveServer, type LiveServer } from "../../local/live/server";
import { setTimeout as sleep } from "node:timers/promises";
import { waitUntil } from "../../local/net-util";
import { servedByTask, startTopology, type Topology } from "../../local/topology/topology";
import { helloMetrics } from "./load";

const ROOT = path.resolve(__dirname, "..", "..");
/** Where the test run leaves its screenshots (git-ignored). */
const SCREENSHOT_DIR = path.join(ROOT, "test-results");
const CHROMIUM_CANDIDATES = [
  process.env.CHROMIUM_PATH,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
].filter((p): p is string => Boolean(p));
const CHROMIUM = CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p));
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A fresh profile every time; the caller removes it. */
async function openBrowser(
  executablePath: string,
): Promise<{ context: BrowserContext; page: Page; profile: string }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "live-view-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, profile };
}

interface TileReading {
  id: string;
  state: string;
  rate: number;
  share: number;
}

/** What the page shows in each tile, read from the DOM as a user would see it. */
async function readTiles(page: Page): Promise<Record<string, TileReading>> {
  const tiles = await page.$$eval("#tiles > li", (items) =>
    items.map((li) => ({
      id: li.getAttribute("data-task") ?? "",
      state: li.querySelector(".state")?.textContent ?? "",
      rateText: li.querySelector(".rate")?.textContent ?? "",
    })),
  );
  return Object.fromEntries(
    tiles.map((t) => {
      const m = /^([\d.]+) req\/s · (\d+) %$/.exec(t.rateText);
      assert.ok(m, `tile ${t.id}: unexpected rate text ${JSON.stringify(t.rateText)}`);
      return [t.id, { id: t.id, state: t.state, rate: Number(m[1]), share: Number(m[2]) / 100 }];
    }),
  );
}

const describeBrowser = CHROMIUM ? describe : describe.skip;
const reason = CHROMIUM
  ? ""
  : ` — SKIPPED: no Chromium at ${CHROMIUM_CANDIDATES.join(" or ")} (apt-get install chromium, or set CHROMIUM_PATH)`;

describeBrowser(`live page in Chromium (playwright-core, real processes)${reason}`, function () {
  this.timeout(120_000);
  let topology: Topology | undefined;
  let live: LiveServer | undefined;
  let browser: { context: BrowserContext; page: Page; profile: string } | undefined;
  const pageErrors: string[] = [];

  afterEach(async () => {
    await browser?.context.close();
    if (browser) fs.rmSync(browser.profile, { recursive: true, force: true });
    await live?.close();
    await topology?.stop();
    browser = live = topology = undefined;
    pageErrors.length = 0;
  });

  async function open(
    nameTasks: number,
    commands?: readonly CommandSpec[],
  ): Promise<{ page: Page; topology: Topology; live: LiveServer }> {
    // 50 processes starting at once on a busy machine need more than the default 15 s.
    topology = await startTopology({
      nameTasks,
      ttlSeconds: 1,
      deregisterDelayMs: 1000,
      startTimeoutMs: 60_000,
    });
    live = await startLiveServer({ topology, ttlSeconds: 1, deregisterDelayMs: 1000, commands });
    browser = await openBrowser(CHROMIUM as string);
    const { page } = browser;
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
    page.on(
      "request",
      (r) =>
        !r.url().startsWith(live?.url ?? "-") &&
        !r.url().startsWith("data:") &&
        pageErrors.push(`request outside the topology: ${r.url()}`),
    );
    await page.goto(live.url);
    await page.waitForFunction((n) => document.querySelectorAll("#tiles > li").length === n, nameTasks, {
      timeout: 15_000,
    });
    return { page, topology, live };
  }

  it("three tiles; load on; kill a task from the page (keyboard): its tile and the log show it, traffic moves, zero failures; an added task gets traffic", async () => {
    const { page, topology, live } = await open(3);
    const rate = 100;

    // Three tiles, all running, in DNS and in hello's record set.
    await page.waitForFunction(
      () => document.querySelectorAll('#tiles > li[data-state="running"]').length === 3,
    );
    assert.deepEqual(Object.keys(await readTiles(page)), ["name-1", "name-2", "name-3"]);
    assert.equal(await page.locator("#connection").getAttribute("data-ok"), "true");
    assert.match(await page.locator("#records").innerText(), /name-1\s+name-2\s+name-3/);

    // Start the load through the labelled inputs.
    await page.getByLabel("Rate").fill(String(rate));
    await page.getByLabel("for").fill("60");
    await page.getByRole("button", { name: /Start load/ }).click();
    await page.waitForFunction(() =>
      /^Load: 100 requests\/s/.test(document.getElementById("load-status")?.textContent ?? ""),
    );
    const spread = await waitUntil(
      async () => {
        const t = await readTiles(page);
        return ["name-1", "name-2", "name-3"].every((id) => t[id].share >= 0.25 && t[id].share <= 0.42);
      },
      10_000,
      200,
    );
    assert.ok(spread, `traffic never spread over three tasks: ${JSON.stringify(await readTiles(page))}`);

    // Kill name-2 with the keyboard: focus its Kill button, press Enter.
    const kill = page.getByRole("button", { name: "Kill name-2" });
    await kill.focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      () => document.querySelector('li[data-task="name-2"]')?.getAttribute("data-state") === "killed",
      undefined,
      { timeout: 5000 },
    );
    assert.equal(await page.locator('li[data-task="name-2"] .state').innerText(), "killed (SIGKILL)");
    assert.equal(
      await page.getByRole("button", { name: /name-2$/ }).count(),
      0,
      "a killed task offers no control",
    );
    assert.equal(await page.getByRole("button", { name: "Kill name-1" }).count(), 1);
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute("data-task")),
      "name-2",
      "keyboard focus stays on the killed task's tile",
    );
    await page.waitForFunction(
      () => /name-2 killed \(SIGKILL\)/.test(document.getElementById("event-log")?.textContent ?? ""),
      undefined,
      { timeout: 5000 },
    );
    await page.waitForFunction(
      () => /name-2 deregistered from DNS/.test(document.getElementById("event-log")?.textContent ?? ""),
      undefined,
      { timeout: 5000 },
    );
    assert.equal(await page.locator("#event-log").getAttribute("aria-live"), "polite");
    assert.match(
      await page.locator("#command-status").innerText(),
      /name-2 killed; DNS still lists it for 1 s/,
    );

    // Traffic moves to name-1 and name-3: the page says so, and so do the tasks' own counters.
    const servedAtKill = await servedByTask(topology);
    const moved = await waitUntil(
      async () => {
        const t = await readTiles(page);
        return (
          t["name-2"].rate === 0 &&
          t["name-1"].share >= 0.4 &&
          t["name-3"].share >= 0.4 &&
          t["name-1"].rate + t["name-3"].rate >= rate * 0.8
        );
      },
      10_000,
      200,
    );
    assert.ok(moved, `traffic did not move to name-1 and name-3: ${JSON.stringify(await readTiles(page))}`);
    await sleep(500);
    const servedAfter = await servedByTask(topology);
    assert.deepEqual(Object.keys(servedAfter), ["name-1", "name-3"]);
    for (const id of ["name-1", "name-3"])
      assert.ok(servedAfter[id] > servedAtKill[id], `${id} served nothing after the kill`);
    await page.waitForFunction(
      () => !/name-2/.test(document.getElementById("records")?.textContent ?? ""),
      undefined,
      { timeout: 5000 },
    );

    // Add a task from the page; it joins hello's set within the TTL and gets its share.
    await page.getByRole("button", { name: "Add a name task" }).click();
    await page.waitForFunction(
      () => document.querySelector('li[data-task="name-4"]')?.getAttribute("data-state") === "running",
      undefined,
      { timeout: 15_000 },
    );
    const joined = await waitUntil(async () => (await readTiles(page))["name-4"].share >= 0.2, 10_000, 200);
    assert.ok(joined, `name-4 got no traffic: ${JSON.stringify(await readTiles(page))}`);
    assert.match(await page.locator("#event-log").innerText(), /name-4 started on 127\.0\.0\.5:\d+/);
    assert.ok((await servedByTask(topology))["name-4"] > 0, "name-4's own counter agrees");

    // Zero failed requests, as the page shows it and as hello and the load generator count it.
    assert.equal(await page.locator("#hello-failed").innerText(), "0");
    const metrics = await helloMetrics(topology);
    assert.equal(metrics.failures, 0);
    assert.deepEqual(
      Object.keys(metrics.responses as Record<string, number>),
      ["200"],
      JSON.stringify(metrics.responses),
    );
    const load = live.load.status();
    assert.equal(load.failed, 0, String(load.lastFailure));
    assert.ok(load.ok > rate * 2, `only ${load.ok} requests answered`);
    assert.match(await page.locator("#hello-p50").innerText(), /^\d+(\.\d)? ms$/);

    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "live-view.png"), fullPage: true });
    await page.getByRole("button", { name: "Stop load" }).click();
    await page.waitForFunction(() =>
      /^Load is off/.test(document.getElementById("load-status")?.textContent ?? ""),
    );
    assert.deepEqual(pageErrors, []);
  });

  it("commands added to the command table alone are controls on the page: a tile button and a Controls button", async () => {
    const table: CommandSpec[] = [
      ...COMMANDS,
      {
        name: "pause",
        takesId: true,
        help: "pause a task (SIGSTOP)",
        page: { place: "tile", label: "Pause", states: ["running"] },
        run: ({ topology }, id) => {
          topology.hangTask(id);
          return `${id} paused`;
        },
      },
      {
        name: "count",
        help: "count the tasks",
        page: { place: "controls", label: "Count the tasks" },
        run: ({ topology }) => `${topology.tasks().length} task(s)`,
      },
    ];
    const { page, topology } = await open(2, table);
    await page.waitForFunction(
      () => document.querySelectorAll('#tiles > li[data-state="running"]').length === 2,
    );
    const pause = page.getByRole("button", { name: "Pause name-2" });
    assert.equal(await pause.getAttribute("title"), "pause a task (SIGSTOP)");
    await pause.click();
    await page.waitForFunction(
      () => document.querySelector('li[data-task="name-2"]')?.getAttribute("data-state") === "hung",
    );
    assert.equal(topology.tasks().find((t) => t.id === "name-2")?.state, "hung");
    assert.equal(await page.locator("#command-status").innerText(), "name-2 paused");
    // Offered only in the states the table lists: a hung task can be resumed, not paused again.
    assert.equal(await page.getByRole("button", { name: "Pause name-2" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: "Resume name-2" }).count(), 1);
    assert.equal(await page.getByRole("button", { name: "Pause name-1" }).count(), 1);

    await page.getByRole("button", { name: "Count the tasks" }).click();
    await page.waitForFunction(
      () => document.getElementById("command-status")?.textContent === "2 task(s)",
      undefined,
      { timeout: 5000 },
    );
    assert.equal(await page.getByRole("button", { name: "Add a name task" }).count(), 1);
    assert.deepEqual(pageErrors, []);
  });

  it("is readable: every control has a name, and text keeps at least 4.5:1 contrast", async () => {
    const { page } = await open(3);
    await page.getByRole("button", { name: "Hang name-3" }).click();
    await page.waitForFunction(
      () => document.querySelector('li[data-task="name-3"]')?.getAttribute("data-state") === "hung",
    );
    await page.getByRole("button", { name: "Kill name-1" }).click();
    await page.waitForFunction(
      () => document.querySelector('li[data-task="name-1"]')?.getAttribute("data-state") === "killed",
    );
    const unnamed = await page.$$eval(
      "button, input",
      (els) =>
        els.filter(
          (e) =>
            !(
              e.getAttribute("aria-label") ||
              e.textContent?.trim() ||
              (e as HTMLInputElement).labels?.length
            ),
        ).length,
    );
    assert.equal(unnamed, 0);
    const worst = await page.evaluate(() => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
      const lum = (c: string) => {
        const [r, g, b] = rgb(c).map((v) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const background = (el: Element | null): string => {
        for (let e = el; e; e = e.parentElement) {
          const bg = getComputedStyle(e).backgroundColor;
          if (bg !== "rgba(0, 0, 0, 0)" && bg !== "transparent") return bg;
        }
        return "rgb(255, 255, 255)";
      };
      const results: Array<{ text: string; ratio: number }> = [];
      for (const el of document.querySelectorAll("h1, h2, h3, p, dt, dd, li, time, button, label, span")) {
        const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim());
        if (!own || (el as HTMLElement).offsetParent === null) continue;
        const [a, b] = [lum(getComputedStyle(el).color), lum(background(el))].sort((x, y) => y - x);
        results.push({
          text: `${el.tagName}.${el.className}: ${el.textContent?.trim().slice(0, 30)}`,
          ratio: (a + 0.05) / (b + 0.05),
        });
      }
      return results.sort((x, y) => x.ratio - y.ratio).slice(0, 3);
    });
    assert.ok(worst[0].ratio >= 4.5, `low contrast: ${JSON.stringify(worst)}`);
    assert.deepEqual(pageErrors, []);
  });

  it("stays usable with 50 tasks: 50 compact tiles, no sideways scrolling, updates keep coming", async () => {
    const { page, live } = await open(50);
    const layout = await page.evaluate(() => ({
      sideways: document.documentElement.scrollWidth > document.documentElement.clientWidth,
      tileHeight: document.querySelector("#tiles > li")?.getBoundingClientRect().height ?? 0,
      rows: new Set(
        [...document.querySelectorAll("#tiles > li")].map((li) => Math.round(li.getBoundingClientRect().top)),
      ).size,
    }));
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "live-view-50.png"), fullPage: true });
    assert.equal(layout.sideways, false, "the page scrolls sideways");
    assert.ok(layout.tileHeight <= 150, `tiles are ${layout.tileHeight} px tall`);
    assert.ok(50 / layout.rows >= 4, `only ${(50 / layout.rows).toFixed(1)} tiles per row`);
    // Snapshots drawn by the page (it notes the last one's number on <body>) while 51 processes are sampled.
    const drawn = () => page.evaluate(() => Number(document.body.dataset.seq));
    const [first, start] = [await drawn(), Date.now()];
    await page.waitForTimeout(3000);
    const perSecond = ((await drawn()) - first) / ((Date.now() - start) / 1000);
    assert.ok(
      perSecond >= 2,
      `${perSecond.toFixed(2)} snapshots/s drawn with 50 tasks (feed: ${live.feed.stats.ticks} ticks)`,
    );
    assert.deepEqual(pageErrors, []);
  });
});
