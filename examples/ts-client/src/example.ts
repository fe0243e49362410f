// Example: send one wallet transfer, verify its signed receipt, then watch
// the feed until the op shows up (or, with FOLLOW=1, keep printing entries
// and recoveries until Ctrl-C).
//
//   SEQ_URL=http://127.0.0.1:8080 PRIVATE_KEY=0x… TO=0x… AMOUNT=1 npm run example

import { type Address, type Hex, getAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { SequencerClient, SequencerError, encodeTransfer, verifyReceipt } from "./client.js";
import { FeedFollower } from "./feed.js";

async function main(): Promise<void> {
  const url = process.env.SEQ_URL ?? "http://127.0.0.1:8080";
  const key = process.env.PRIVATE_KEY as Hex | undefined;
  if (!key) throw new Error("set PRIVATE_KEY (0x…, a funded wallet account)");
  const account = privateKeyToAccount(key);
  const to = getAddress((process.env.TO ?? account.address) as Address);
  const amount = BigInt(process.env.AMOUNT ?? "1");
  const client = new SequencerClient(url);

  const [domain, fee] = await Promise.all([client.domain(), client.fee()]);
  console.log("domain", domain);
  console.log("fee", fee);

  const { request, result } = await client.send(account, encodeTransfer(amount, to));
  console.log(`sequenced: sender ${result.sender} nonce ${result.nonce} at offset ${result.offset}, fee ${result.fee}`);

  if (result.receipt) {
    const receiptKey = await client.receiptKey();
    await verifyReceipt(result.receipt, { receiptKey, domain, request, offset: result.offset });
    console.log(`receipt verified: signed by ${receiptKey}, generation ${result.receipt.message.generation}`);
  } else {
    console.log("no receipt: this sequencer has no receipt key configured");
  }

  const follow = process.env.FOLLOW === "1";
  const fromOffset = Number(process.env.FROM_OFFSET ?? result.offset - 1);
  const feed = new FeedFollower(client, {
    fromOffset,
    keepView: false, // printed, not kept
    onEvent: (e) => {
      if (e.type === "entry") console.log("entry", JSON.stringify(e.entry));
      else if (e.type !== "connected") console.log(e.type, JSON.stringify(e, (_, v) => (v instanceof Error ? v.message : v)));
    },
  }).start();
  if (follow) {
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    await feed.stop();
  } else {
    await feed.waitUntil((f) => f.cursor >= result.offset, 30_000, `offset ${result.offset} on the feed`);
    await feed.stop();
  }
}

main().catch((err: unknown) => {
  if (err instanceof SequencerError) console.error(`refused: ${err.message}`, err.body);
  else console.error(err);
  process.exit(1);
});
