// A small client for the Cartesi sequencer's public API: sign a user op with
// EIP-712, submit it, verify the signed soft confirmation (receipt) it comes
// back with, and read history over HTTP. The WebSocket feed follower is in
// feed.ts. Everything here is plain viem: no custom hashing, so what this kit
// verifies any EIP-712 library verifies.
//
// Numbers: uint64 values (offsets, batch nonces, generations) are JSON
// numbers on the wire and plain JS numbers here; they are exact up to 2^53,
// which no offset reaches in practice.

import {
  type Address,
  type Hex,
  type LocalAccount,
  bytesToHex,
  concat,
  getAddress,
  hashTypedData,
  hexToBytes,
  numberToHex,
  recoverTypedDataAddress,
} from "viem";

/** GET /domain: the EIP-712 domain user ops are signed in (protocol.md §2). */
export interface Domain {
  name: string;
  version: string;
  chainId: number;
  verifyingContract: Address;
}

/** GET /fee: the open frame's fee and what to offer (all fee exponents). */
export interface Fee {
  fee: number;
  recommended_fee: number;
  suggested_max_fee: number;
}

/** The signed part of a user op: UserOp(uint32 nonce,uint16 max_fee,bytes data). */
export interface UserOp {
  nonce: number;
  max_fee: number;
  data: Hex;
}

/** The body of POST /tx. */
export interface TxRequest {
  message: UserOp;
  signature: Hex;
  sender: Address;
}

/**
 * A receipt in the standard eth_signTypedData_v4 JSON form: the sequencer's
 * signature over what it promised (a soft confirmation). It proves the
 * sequencer accepted this op at this offset in this recovery generation; a
 * later recovery (a higher generation that revoked the offset) withdraws the
 * promise.
 */
export interface Receipt {
  domain: Domain;
  types: Record<string, { name: string; type: string }[]>;
  primaryType: "SoftConfirmation";
  message: {
    app: Address;
    sender: Address;
    nonce: number;
    opHash: Hex;
    offset: number;
    batchNonce: number;
    generation: number;
  };
  signature: Hex;
}

/** POST /tx's 200 body. receipt is absent when the server has no receipt key. */
export interface TxResult {
  ok: true;
  sender: Address;
  nonce: number;
  offset: number;
  fee: number;
  receipt?: Receipt;
}

/** One entry of the replay feed (WebSocket text frame or /history item). */
export interface FeedEntry {
  kind: "user_op" | "direct_input";
  offset: number;
  generation: number;
  sender: Address;
  batch_nonce: number;
  // user_op
  nonce?: number;
  fee?: number;
  data?: Hex;
  safe_block?: number;
  // direct_input
  payload?: Hex;
  block_number?: number;
  input_index?: number;
}

/** GET /history's 200 body. */
export interface HistoryPage {
  entries: FeedEntry[];
  next_offset: number;
  head: number;
  generation: number;
}

/**
 * A refusal from the sequencer: the HTTP status and the typed error body
 * `{"ok":false,"code":…,"message":…, …extra}`. body holds the extra fields
 * (last_valid_offset and generation for STALE_GENERATION, head for
 * AHEAD_OF_HEAD).
 */
export class SequencerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown>,
    readonly retryAfter?: number,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = "SequencerError";
  }
}

/** Builds a SequencerError from a non-2xx response's status and text. */
export function refusal(status: number, text: string, retryAfter?: string | null): SequencerError {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page, say): keep the text as the message.
  }
  const code = typeof body.code === "string" ? body.code : "HTTP_" + status;
  const message = typeof body.message === "string" ? body.message : text.trim();
  const after = retryAfter ? Number(retryAfter) : undefined;
  return new SequencerError(status, code, message, body, Number.isFinite(after) ? after : undefined);
}

/** The EIP-712 type of a user op: exactly these three fields in this order. */
export const userOpTypes = {
  UserOp: [
    { name: "nonce", type: "uint32" },
    { name: "max_fee", type: "uint16" },
    { name: "data", type: "bytes" },
  ],
} as const;

/** The op's EIP-712 digest: what the receipt's opHash names. */
export function userOpHash(domain: Domain, op: UserOp): Hex {
  return hashTypedData({ domain, types: userOpTypes, primaryType: "UserOp", message: op });
}

/** Signs op in domain with account and returns the POST /tx body. */
export async function signUserOp(account: LocalAccount, domain: Domain, op: UserOp): Promise<TxRequest> {
  const signature = await account.signTypedData({
    domain,
    types: userOpTypes,
    primaryType: "UserOp",
    message: op,
  });
  return { message: op, signature, sender: account.address };
}

/**
 * Recovers the receipt's signer with viem, straight from the typed-data form
 * the server returned. Compare it with GET /receipt_key (verifyReceipt does).
 */
export async function receiptSigner(receipt: Receipt): Promise<Address> {
  return recoverTypedDataAddress({
    domain: receipt.domain,
    types: receipt.types,
    primaryType: receipt.primaryType,
    message: receipt.message,
    signature: receipt.signature,
  });
}

/**
 * Checks that receipt is signed by receiptKey and promises what the caller
 * sent: this op (by its EIP-712 hash, in this domain) from this sender at
 * the offset POST /tx reported. Throws with what differs.
 */
export async function verifyReceipt(
  receipt: Receipt,
  expected: { receiptKey: Address; domain: Domain; request: TxRequest; offset: number },
): Promise<void> {
  const signer = await receiptSigner(receipt);
  const m = receipt.message;
  const problems: string[] = [];
  if (getAddress(signer) !== getAddress(expected.receiptKey))
    problems.push(`signed by ${signer}, receipt key is ${expected.receiptKey}`);
  if (receipt.domain.chainId !== expected.domain.chainId) problems.push(`chainId ${receipt.domain.chainId}`);
  if (getAddress(m.app) !== getAddress(expected.domain.verifyingContract)) problems.push(`app ${m.app}`);
  if (getAddress(m.sender) !== getAddress(expected.request.sender)) problems.push(`sender ${m.sender}`);
  if (m.nonce !== expected.request.message.nonce) problems.push(`nonce ${m.nonce}`);
  if (m.offset !== expected.offset) problems.push(`offset ${m.offset}`);
  const opHash = userOpHash(expected.domain, expected.request.message);
  if (m.opHash.toLowerCase() !== opHash.toLowerCase()) problems.push(`opHash ${m.opHash}, op hashes to ${opHash}`);
  if (problems.length > 0) throw new Error("receipt does not verify: " + problems.join("; "));
}

/**
 * Whether the promise a receipt made still stands: "valid" while its offset
 * holds this op in the valid history, "revoked" once a recovery (a later
 * generation) cut it. Asks GET /history for the entry at the receipt's
 * offset, resuming in the receipt's generation: a recovery that revoked
 * offsets below it answers 409 STALE_GENERATION; one that revoked exactly
 * from it returns a later entry instead.
 */
export async function receiptStanding(client: SequencerClient, receipt: Receipt): Promise<"valid" | "revoked"> {
  const m = receipt.message;
  let page: HistoryPage;
  try {
    page = await client.history({ fromOffset: m.offset - 1, limit: 1, generation: m.generation });
  } catch (err) {
    if (err instanceof SequencerError && err.code === "STALE_GENERATION" && Number(err.body.last_valid_offset) < m.offset) {
      return "revoked";
    }
    throw err;
  }
  const e = page.entries[0];
  const same = e !== undefined && e.offset === m.offset && e.kind === "user_op" &&
    getAddress(e.sender) === getAddress(m.sender) && e.nonce === m.nonce;
  return same ? "valid" : "revoked";
}

/** The wallet app's Transfer op data: selector 0x01, amount uint256 LE, to. */
export function encodeTransfer(amount: bigint, to: Address): Hex {
  return concat(["0x01", littleEndian256(amount), getAddress(to).toLowerCase() as Hex]);
}

/** The wallet app's Withdrawal op data: selector 0x00, amount uint256 LE. */
export function encodeWithdrawal(amount: bigint): Hex {
  return concat(["0x00", littleEndian256(amount)]);
}

function littleEndian256(v: bigint): Hex {
  return bytesToHex(hexToBytes(numberToHex(v, { size: 32 })).reverse());
}

/** Options of SequencerClient. */
export interface ClientOptions {
  /** Per-request timeout in milliseconds (default 10 s). */
  timeoutMs?: number;
}

/** The public HTTP API of one sequencer (SEQ_HTTP_ADDR). */
export class SequencerClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, opts: ClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** The feed's WebSocket URL (http→ws, https→wss). */
  get wsUrl(): string {
    return this.baseUrl.replace(/^http/, "ws") + "/ws/subscribe";
  }

  domain(): Promise<Domain> {
    return this.get<Domain>("/domain");
  }

  fee(): Promise<Fee> {
    return this.get<Fee>("/fee");
  }

  async nextNonce(sender: Address): Promise<number> {
    const r = await this.get<{ next_nonce: number }>(`/nonce?sender=${sender}`);
    return r.next_nonce;
  }

  /** GET /receipt_key: the address that signs receipts. */
  async receiptKey(): Promise<Address> {
    const r = await this.get<{ address: Address }>("/receipt_key");
    return getAddress(r.address);
  }

  /** POST /tx; resolves only once the op is durably sequenced. */
  submit(req: TxRequest): Promise<TxResult> {
    return this.request<TxResult>("/tx", { method: "POST", body: JSON.stringify(req) });
  }

  /**
   * Signs a wallet op with the current fee suggestion and the sender's next
   * nonce, then submits it. Returns the request too, to verify the receipt.
   */
  async send(account: LocalAccount, data: Hex): Promise<{ request: TxRequest; result: TxResult }> {
    const [domain, fee, nonce] = await Promise.all([this.domain(), this.fee(), this.nextNonce(account.address)]);
    const request = await signUserOp(account, domain, { nonce, max_fee: fee.suggested_max_fee, data });
    return { request, result: await this.submit(request) };
  }

  /**
   * One page of GET /history: entries after fromOffset in replay order.
   * With generation, the server refuses with 409 STALE_GENERATION when a
   * later recovery revoked entries at or below fromOffset.
   */
  history(q: { fromOffset: number; limit?: number; generation?: number }): Promise<HistoryPage> {
    const p = new URLSearchParams({ from_offset: String(q.fromOffset) });
    if (q.limit !== undefined) p.set("limit", String(q.limit));
    if (q.generation !== undefined) p.set("generation", String(q.generation));
    return this.get<HistoryPage>(`/history?${p}`);
  }

  /**
   * Every valid entry after fromOffset, paging /history until it reaches the
   * head it reports (or a page comes back empty). The answer is one consistent view only if no recovery runs
   * meanwhile; the returned generation is the first page's, so a caller
   * that must be sure can compare it with the last page's.
   */
  async historyAll(fromOffset = 0, limit = 1000): Promise<{ entries: FeedEntry[]; generation: number; head: number }> {
    const entries: FeedEntry[] = [];
    let from = fromOffset;
    let first: HistoryPage | undefined;
    for (;;) {
      const page = await this.history({ fromOffset: from, limit, generation: first?.generation });
      first ??= page;
      entries.push(...page.entries);
      if (page.entries.length === 0 || page.next_offset >= page.head) return { entries, generation: first.generation, head: page.head };
      from = page.next_offset;
    }
  }

  private get<T>(path: string): Promise<T> {
    return this.request<T>(path, { method: "GET" });
  }

  private async request<T>(path: string, init: RequestInit): Promise<T> {
    const res = await fetch(this.baseUrl + path, {
      ...init,
      headers: init.body ? { "Content-Type": "application/json" } : undefined,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw refusal(res.status, text, res.headers.get("Retry-After"));
    return JSON.parse(text) as T;
  }
}
