// FeedFollower follows the sequencer's replay feed (GET /ws/subscribe) from
// an offset and keeps a local view that stays a prefix of the server's valid
// history across reconnects and recoveries:
//
//   - it resumes with from_offset = the last offset it holds and the
//     recovery generation it last saw;
//   - a live connection closed with 4001 ("history rewound:
//     last_valid_offset=<n>") or a resume refused with 409 STALE_GENERATION
//     (body: last_valid_offset, generation) means a recovery revoked entries:
//     it drops what it holds above last_valid_offset and resumes from there
//     (with the current generation when the server named it);
//   - a resume too far behind for the feed's catch-up window (410
//     HISTORY_UNAVAILABLE, or close 1008 "catch-up window exceeded" when no
//     generation was sent) pages GET /history up to the head, with the same
//     generation rules, then subscribes again from there;
//   - 409 AHEAD_OF_HEAD and a 400 are fatal: the view cannot be continued
//     from this server (another database: start a new follower);
//   - anything else (network errors, 429, 503, "slow consumer") is
//     retried with a capped exponential backoff, honouring Retry-After.

import WebSocket from "ws";

import { type FeedEntry, type SequencerClient, SequencerError, refusal } from "./client.js";

/** What the follower reports, in order, to onEvent and waitUntil. */
export type FeedEvent =
  | { type: "connected"; fromOffset: number; generation?: number; compressed: boolean }
  | { type: "entry"; entry: FeedEntry }
  | {
      type: "rewound";
      via: "close_4001" | "stale_generation" | "history_rewound";
      lastValidOffset: number;
      dropped: number;
      generation?: number;
    }
  | { type: "caught_up"; via: "history"; entries: number; cursor: number }
  | { type: "retry"; delayMs: number; reason: string }
  | { type: "fatal"; error: Error }
  | { type: "anomaly"; message: string };

export interface FollowerOptions {
  /** Follow entries after this offset (exclusive; default 0: everything). */
  fromOffset?: number;
  /**
   * The generation the caller's view up to fromOffset was built in. Default:
   * 0 when fromOffset is 0 (nothing can be revoked at or below 0), else
   * unknown: the first request omits it and the server then refuses a
   * revoked from_offset with 409 HISTORY_REWOUND instead.
   */
  generation?: number;
  /** Entries the caller already holds (its view up to fromOffset). */
  view?: FeedEntry[];
  /**
   * Keep the entries in view (default true). A long-running consumer that
   * stores entries itself turns it off, takes them from onEvent, and on
   * "rewound" drops what it stored above lastValidOffset.
   */
  keepView?: boolean;
  onEvent?: (e: FeedEvent) => void;
  /** Retry backoff bounds in milliseconds (default 100 … 5000). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

type Outcome =
  | { kind: "refused"; error: SequencerError }
  | { kind: "closed"; code: number; reason: string; opened: boolean };

const closeHistoryRewound = 4001;
const closePolicyViolation = 1008;

/** Follows the feed; see the file comment for the resume rules. */
export class FeedFollower {
  /** The entries held, in offset order: a prefix of the valid history. */
  readonly view: FeedEntry[];
  /** The last offset held (the next resume's from_offset). */
  cursor: number;
  /** The newest recovery generation seen, if known. */
  generation?: number;
  /** Every event so far except entries (those are in view). */
  readonly events: FeedEvent[] = [];
  /** Set when the follower stopped on a fatal refusal or close. */
  fatal?: Error;

  private readonly client: SequencerClient;
  private readonly onEvent?: (e: FeedEvent) => void;
  private readonly keepView: boolean;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly waiters = new Set<() => void>();
  private ws?: WebSocket;
  private stopped = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  /** Follows client's feed (client.wsUrl; /history for long catch-ups). */
  constructor(client: SequencerClient, opts: FollowerOptions = {}) {
    this.client = client;
    this.cursor = opts.fromOffset ?? 0;
    this.generation = opts.generation ?? (this.cursor === 0 ? 0 : undefined);
    this.view = [...(opts.view ?? [])];
    this.onEvent = opts.onEvent;
    this.keepView = opts.keepView ?? true;
    this.minBackoff = opts.minBackoffMs ?? 100;
    this.maxBackoff = opts.maxBackoffMs ?? 5000;
  }

  /** Starts following in the background; stop() ends it. */
  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /** Closes the connection (1000) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ws?.close(1000, "client stopping");
    this.wake?.();
    await this.loop;
  }

  /**
   * Resolves once pred holds (checked now and after every event); rejects
   * after timeoutMs, or at once when the follower stopped on a fatal error.
   */
  waitUntil(pred: (f: this) => boolean, timeoutMs: number, what = "condition"): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (pred(this)) {
          done();
          resolve();
        } else if (this.fatal) {
          done();
          reject(new Error(`waiting for ${what}: follower stopped: ${this.fatal.message}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`waiting for ${what}: timed out after ${timeoutMs} ms; cursor ${this.cursor}, ` +
          `generation ${this.generation}, last events ${JSON.stringify(this.events.slice(-5))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  private emit(e: FeedEvent): void {
    if (e.type !== "entry") this.events.push(e);
    this.onEvent?.(e);
    for (const w of [...this.waiters]) w();
  }

  private async run(): Promise<void> {
    let backoff = this.minBackoff;
    while (!this.stopped) {
      const o = await this.connectOnce();
      if (this.stopped) return;
      let delay = 0;
      let reason: string;
      if (o.kind === "refused") {
        const e = o.error;
        reason = e.message;
        if (e.status === 409 && e.code === "STALE_GENERATION") {
          this.rewind("stale_generation", Number(e.body.last_valid_offset), Number(e.body.generation));
        } else if (e.status === 409 && e.code === "HISTORY_REWOUND") {
          this.rewind("history_rewound", lastValidOffsetIn(e.message));
        } else if (e.status === 400 || e.status === 404 || e.code === "AHEAD_OF_HEAD") {
          return this.fail(e);
        } else if (e.status === 410 && e.code === "HISTORY_UNAVAILABLE") {
          const err = await this.catchUpOverHistory();
          if (err instanceof SequencerError && (err.status === 400 || err.code === "AHEAD_OF_HEAD")) return this.fail(err);
          if (err) {
            delay = err instanceof SequencerError && err.retryAfter !== undefined ? err.retryAfter * 1000 : backoff;
            backoff = Math.min(backoff * 2, this.maxBackoff);
          }
        } else {
          delay = e.retryAfter !== undefined ? e.retryAfter * 1000 : backoff;
          backoff = Math.min(backoff * 2, this.maxBackoff);
        }
      } else {
        reason = `closed ${o.code} ${o.reason}`;
        if (o.opened) backoff = this.minBackoff;
        if (o.code === closeHistoryRewound) {
          this.rewind("close_4001", lastValidOffsetIn(o.reason));
        } else if (o.code === closePolicyViolation && o.reason.startsWith("catch-up window exceeded")) {
          const err = await this.catchUpOverHistory();
          if (err instanceof SequencerError && (err.status === 400 || err.code === "AHEAD_OF_HEAD")) return this.fail(err);
          if (err) {
            delay = backoff;
            backoff = Math.min(backoff * 2, this.maxBackoff);
          }
        } else {
          delay = backoff;
          backoff = Math.min(backoff * 2, this.maxBackoff);
        }
      }
      this.emit({ type: "retry", delayMs: delay, reason });
      await this.sleep(delay);
    }
  }

  /**
   * Pages GET /history from the cursor until the head it reports, with the
   * same generation rules as the feed (a STALE_GENERATION refusal rewinds
   * and continues). Returns the error that stopped it, if any: the caller
   * retries or gives up.
   */
  private async catchUpOverHistory(): Promise<Error | undefined> {
    let got = 0;
    try {
      while (!this.stopped) {
        let page;
        try {
          page = await this.client.history({ fromOffset: this.cursor, limit: 1000, generation: this.generation });
        } catch (err) {
          if (err instanceof SequencerError && err.code === "STALE_GENERATION") {
            this.rewind("stale_generation", Number(err.body.last_valid_offset), Number(err.body.generation));
            continue;
          }
          throw err;
        }
        for (const e of page.entries) if (this.accept(e)) got++;
        if (page.entries.length === 0 || this.cursor >= page.head) break;
      }
      this.emit({ type: "caught_up", via: "history", entries: got, cursor: this.cursor });
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  private fail(error: Error): void {
    this.fatal = error;
    this.emit({ type: "fatal", error });
  }

  /** Drops what the view holds above lastValid and resumes from there. */
  private rewind(via: "close_4001" | "stale_generation" | "history_rewound", lastValid: number, generation?: number): void {
    if (!Number.isSafeInteger(lastValid)) {
      this.fail(new Error(`rewind (${via}) without a last valid offset`));
      return;
    }
    let keep = this.view.length;
    while (keep > 0 && this.view[keep - 1].offset > lastValid) keep--;
    const dropped = this.view.length - keep;
    this.view.length = keep;
    this.cursor = Math.min(this.cursor, lastValid);
    if (generation !== undefined && Number.isSafeInteger(generation)) this.generation = generation;
    this.emit({ type: "rewound", via, lastValidOffset: lastValid, dropped, generation });
  }

  private onMessage(text: string): void {
    let entry: FeedEntry;
    try {
      entry = JSON.parse(text) as FeedEntry;
    } catch {
      this.emit({ type: "anomaly", message: `undecodable frame ${text.slice(0, 100)}` });
      return;
    }
    this.accept(entry);
  }

  /** Appends entry to the view if it comes after the cursor. */
  private accept(entry: FeedEntry): boolean {
    if (!(entry.offset > this.cursor)) {
      // The feed promises increasing offsets: keep the view a clean prefix
      // and say so rather than hide it.
      this.emit({ type: "anomaly", message: `offset ${entry.offset} after ${this.cursor}` });
      return false;
    }
    if (this.keepView) this.view.push(entry);
    this.cursor = entry.offset;
    if (typeof entry.generation === "number" && (this.generation === undefined || entry.generation > this.generation)) {
      this.generation = entry.generation;
    }
    this.emit({ type: "entry", entry });
    return true;
  }

  private connectOnce(): Promise<Outcome> {
    const params = new URLSearchParams({ from_offset: String(this.cursor) });
    if (this.generation !== undefined) params.set("generation", String(this.generation));
    const from = this.cursor;
    const generation = this.generation;
    return new Promise((resolve) => {
      let settled = false;
      let opened = false;
      const finish = (o: Outcome) => {
        if (!settled) {
          settled = true;
          resolve(o);
        }
      };
      const ws = new WebSocket(`${this.client.wsUrl}?${params}`, { perMessageDeflate: true, handshakeTimeout: 10_000 });
      this.ws = ws;
      ws.on("unexpected-response", (req, res) => {
        // The refusal is read whole, then its connection closed: left to
        // itself it would stay open (and keep Node running) until the
        // server's idle timeout.
        const socket = res.socket;
        const close = () => {
          req.destroy();
          socket?.destroy();
        };
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          finish({
            kind: "refused",
            error: refusal(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), headerOf(res.headers["retry-after"])),
          });
          close();
        });
        res.on("error", (err) => {
          finish({ kind: "refused", error: new SequencerError(res.statusCode ?? 0, "HTTP_" + res.statusCode, err.message, {}) });
          close();
        });
      });
      ws.on("open", () => {
        opened = true;
        // permessage-deflate, offered above, when the server accepted it.
        const compressed = ws.extensions.includes("permessage-deflate");
        this.emit({ type: "connected", fromOffset: from, generation, compressed });
      });
      ws.on("message", (data, isBinary) => {
        if (isBinary) {
          this.emit({ type: "anomaly", message: "binary frame" });
          return;
        }
        this.onMessage(data.toString());
      });
      // A failed connection emits "error" then "close": the close decides.
      ws.on("error", () => {});
      ws.on("close", (code, reason) => finish({ kind: "closed", code, reason: reason.toString("utf8"), opened }));
    });
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** The n of "… last_valid_offset=<n>" in a close reason or an error message. */
export function lastValidOffsetIn(text: string): number {
  const m = /last_valid_offset=(\d+)/.exec(text);
  return m ? Number(m[1]) : NaN;
}

function headerOf(v: string | string[] | undefined): string | null {
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}
