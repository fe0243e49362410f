// The client kit against a real sequencer. internal/e2e/tsclient_test.go
// (run by `make test`) starts serve on a migrated database with funded
// accounts and a test-only control server, then runs `npm test` here with:
//   SEQ_URL                  the public API
//   SEQ_CONTROL_URL          POST /control/recover: revoke the newest sealed batch and everything after it
//   SEQ_TEST_PRIVATE_KEY     a funded wallet account
//   SEQ_TEST_RECIPIENT       where the transfers go
//   SEQ_TEST_RECEIPT_ADDRESS the address of the receipt key serve was given
//   SEQ_TEST_CATCHUP_WINDOW  the most entries the feed replays on a resume (more: 410)
// The tests run in order and share the server's state.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";

import { type Address, type Hex, getAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import {
  type FeedEntry,
  type Receipt,
  SequencerClient,
  SequencerError,
  type TxRequest,
  type TxResult,
  encodeTransfer,
  receiptSigner,
  receiptStanding,
  verifyReceipt,
} from "../src/client.js";
import { FeedFollower } from "../src/feed.js";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through internal/e2e/tsclient_test.go (make test)`);
  return v;
}

const client = new SequencerClient(env("SEQ_URL"));
const controlUrl = env("SEQ_CONTROL_URL");
const account = privateKeyToAccount(env("SEQ_TEST_PRIVATE_KEY") as Hex);
const recipient = getAddress(env("SEQ_TEST_RECIPIENT"));
const expectedReceiptKey = getAddress(env("SEQ_TEST_RECEIPT_ADDRESS"));
const catchUpWindow = Number(env("SEQ_TEST_CATCHUP_WINDOW"));

const slow = 60_000;

interface Sent {
  request: TxRequest;
  result: TxResult;
}

/** Every op this file sent, in order. */
const sent: Sent[] = [];

/** Sends a transfer, retrying while the sequencer is briefly offline (503, after a recovery). */
async function transfer(amount = 1n): Promise<Sent> {
  const deadline = Date.now() + slow;
  for (;;) {
    try {
      const s = await client.send(account, encodeTransfer(amount, recipient));
      sent.push(s);
      return s;
    } catch (err) {
      if (!(err instanceof SequencerError && err.status === 503) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function receiptOf(s: Sent): Receipt {
  assert.ok(s.result.receipt, "POST /tx carries no receipt: the server has no receipt key, or lacks signed receipts");
  return s.result.receipt;
}

function assertOrdered(view: FeedEntry[]): void {
  for (let i = 1; i < view.length; i++) {
    assert.ok(view[i].offset > view[i - 1].offset, `offset ${view[i].offset} follows ${view[i - 1].offset}`);
  }
}

function assertNoAnomaly(f: FeedFollower): void {
  assert.deepEqual(f.events.filter((e) => e.type === "anomaly" || e.type === "fatal"), []);
}

async function recoverNow(): Promise<void> {
  const res = await fetch(`${controlUrl}/control/recover`, { method: "POST", signal: AbortSignal.timeout(slow) });
  assert.equal(res.status, 200, `control/recover: ${await res.text()}`);
}

test("a signed op is sequenced and its receipt verifies with viem against GET /receipt_key", async () => {
  const domain = await client.domain();
  assert.equal(domain.name, "CartesiAppSequencer");
  assert.equal(domain.version, "1");
  const fee = await client.fee();
  assert.ok(fee.suggested_max_fee >= fee.fee, `suggested ${fee.suggested_max_fee} covers the fee ${fee.fee}`);

  const s = await transfer();
  assert.equal(s.result.ok, true);
  assert.equal(getAddress(s.result.sender), account.address);
  assert.equal(s.result.nonce, s.request.message.nonce);
  assert.ok(s.result.offset > 0);

  const receiptKey = await client.receiptKey();
  assert.equal(receiptKey, expectedReceiptKey, "GET /receipt_key names the configured receipt key");
  const receipt = receiptOf(s);
  assert.equal(receipt.primaryType, "SoftConfirmation");
  assert.equal(await receiptSigner(receipt), receiptKey);
  await verifyReceipt(receipt, { receiptKey, domain, request: s.request, offset: s.result.offset });

  // The check is not vacuous: a receipt altered anywhere no longer verifies.
  const moved = structuredClone(receipt);
  moved.message.offset += 1;
  await assert.rejects(verifyReceipt(moved, { receiptKey, domain, request: s.request, offset: s.result.offset + 1 }),
    /signed by/);
  const otherKey = privateKeyToAccount(`0x${"11".repeat(32)}`).address as Address;
  await assert.rejects(verifyReceipt(receipt, { receiptKey: otherKey, domain, request: s.request, offset: s.result.offset }),
    /signed by/);
});

let live: FeedFollower | undefined;

test("the feed delivers every entry in order, at the offsets POST /tx acknowledged", async () => {
  live = new FeedFollower(client).start();
  for (let i = 0; i < 6; i++) await transfer();
  const last = sent[sent.length - 1].result.offset;
  await live.waitUntil((f) => f.cursor >= last, slow, `offset ${last} on the feed`);

  assertNoAnomaly(live);
  assertOrdered(live.view);
  assert.equal(live.view[0].offset, 1, "offsets start at 1");
  for (const s of sent) {
    const e: FeedEntry | undefined = live.view.find((x) => x.offset === s.result.offset);
    assert.ok(e, `offset ${s.result.offset} is on the feed`);
    assert.equal(e.kind, "user_op");
    assert.equal(getAddress(e.sender), account.address);
    assert.equal(e.nonce, s.request.message.nonce);
    assert.equal(e.data?.toLowerCase(), s.request.message.data.toLowerCase());
    assert.equal(e.generation, receiptOf(s).message.generation, "the entry's generation is its receipt's");
  }
  const history = await client.historyAll(0);
  assert.deepEqual(live.view, history.entries, "the feed and GET /history agree");
  assert.ok(live.events.some((e) => e.type === "connected" && e.compressed), "permessage-deflate was negotiated");
  const tail = await client.historyAll(last - 10, 4);
  assert.deepEqual(tail.entries, live.view.filter((e) => e.offset > last - 10), "GET /history paged by 4");
  if (history.entries.length > catchUpWindow) {
    assert.ok(live.events.some((e) => e.type === "caught_up" && e.entries > catchUpWindow),
      "a resume beyond the feed's catch-up window was refused (410) and caught up over GET /history");
  }
});

test("followers resume across a recovery (4001 live, 409 STALE_GENERATION after being away) and match /history", async (t) => {
  assert.ok(live, "the previous test started the live follower");
  // A client that stops here and comes back after the recovery.
  const away = { view: structuredClone(live.view), cursor: live.cursor, generation: live.generation };
  assert.ok(away.generation !== undefined);
  const before = [...sent];

  await recoverNow();
  await live.waitUntil((f) => f.events.some((e) => e.type === "rewound"), slow, "a rewind");
  const rewound = live.events.find((e) => e.type === "rewound");
  assert.ok(rewound && rewound.type === "rewound");
  assert.ok(rewound.via === "close_4001" || rewound.via === "stale_generation", `rewound via ${rewound.via}`);
  assert.ok(rewound.dropped > 0, "the live view held revoked entries");
  assert.ok(rewound.lastValidOffset < away.cursor);

  // A new op after the recovery: the nonce of the first revoked one again.
  const after = await transfer();
  const lastValid = rewound.lastValidOffset;
  const revoked = before.filter((s) => s.result.offset > lastValid);
  assert.ok(revoked.length > 0);
  assert.equal(after.request.message.nonce, revoked[0].request.message.nonce, "the revoked ops' nonces are free again");
  assert.ok(after.result.offset > away.cursor, "offsets are never reused");
  const generation = receiptOf(after).message.generation;
  assert.ok(generation > away.generation, `generation ${generation} after the recovery, ${away.generation} before`);

  await live.waitUntil((f) => f.cursor >= after.result.offset, slow, `offset ${after.result.offset} on the live feed`);
  const history = await client.historyAll(0, 1000);
  assert.equal(history.generation, generation);
  assertNoAnomaly(live);
  assertOrdered(live.view);
  assert.deepEqual(live.view, history.entries, "the live follower's view is the server's history");
  await live.stop();
  t.diagnostic(`live follower: ${JSON.stringify(live.events.filter((e) => e.type !== "entry"))}`);

  // The same refusal over HTTP, then the follower that was away.
  await assert.rejects(client.history({ fromOffset: away.cursor, generation: away.generation }), (err: unknown) => {
    assert.ok(err instanceof SequencerError);
    assert.equal(err.status, 409);
    assert.equal(err.code, "STALE_GENERATION");
    assert.equal(err.body.last_valid_offset, lastValid);
    assert.equal(err.body.generation, generation);
    return true;
  });
  const back = new FeedFollower(client, { fromOffset: away.cursor, generation: away.generation, view: away.view }).start();
  await back.waitUntil((f) => f.cursor >= after.result.offset, slow, `offset ${after.result.offset} after coming back`);
  await back.stop();
  t.diagnostic(`returning follower: ${JSON.stringify(back.events.filter((e) => e.type !== "entry"))}`);
  const stale = back.events.find((e) => e.type === "rewound");
  assert.ok(stale && stale.type === "rewound");
  assert.equal(stale.via, "stale_generation");
  assert.equal(stale.lastValidOffset, lastValid);
  assert.equal(stale.generation, generation);
  assertNoAnomaly(back);
  assert.deepEqual(back.view, history.entries, "the returning follower's view is the server's history");

  // What the receipts say now: the revoked ones are revoked, the rest stand.
  for (const s of before) {
    const want = s.result.offset > lastValid ? "revoked" : "valid";
    assert.equal(await receiptStanding(client, receiptOf(s)), want, `receipt at offset ${s.result.offset}`);
  }
  assert.equal(await receiptStanding(client, receiptOf(after)), "valid", "the receipt given after the recovery");
});

test("the example script sends a transfer, verifies its receipt and sees it on the feed", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "src/example.ts"], {
    env: { ...process.env, SEQ_URL: client.baseUrl, PRIVATE_KEY: env("SEQ_TEST_PRIVATE_KEY"), TO: recipient, AMOUNT: "2" },
    timeout: slow,
  });
  assert.match(stdout, /^sequenced: sender .* at offset (\d+)/m);
  assert.match(stdout, new RegExp(`^receipt verified: signed by ${expectedReceiptKey}`, "m"));
  const offset = Number(/at offset (\d+)/.exec(stdout)?.[1]);
  const entries = stdout.split("\n").filter((l) => l.startsWith("entry ")).map((l) => JSON.parse(l.slice(6)) as FeedEntry);
  const mine = entries.find((e) => e.offset === offset);
  assert.ok(mine, `the op at offset ${offset} shows up on the feed`);
  assert.equal(mine.kind, "user_op");
  assert.equal(getAddress(mine.sender), account.address);
});
