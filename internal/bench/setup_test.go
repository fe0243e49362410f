package bench

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/protocol"
)

// TestDepositLayout: the senders' funding and the pending wave sit on
// blocks from 1 with at most fundPerBlock / PendingPerBlock deposits each,
// blocks never decrease, the wave never shares a block with the funding,
// and the safe head is the block after the last deposit.
func TestDepositLayout(t *testing.T) {
	for _, tc := range []struct {
		name             string
		senders, pending int
		blocks           int
	}{
		{"default senders", 1024, 0, 1},
		{"one full funding block", fundPerBlock, 0, 1},
		{"funding spills", fundPerBlock + 1, 1, 3},
		{"wave of 2500", 32, 2500, 4},
		{"issue 10 sizes", MaxSenders, MaxPendingDeposits, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := depositLayout{senders: tc.senders, pending: tc.pending}
			require.Equal(t, tc.senders+tc.pending, l.total())
			require.Equal(t, tc.blocks, l.blocks())
			require.Equal(t, uint64(tc.blocks+1), l.safeHead())
			perBlock := map[uint64]int{}
			kind := map[uint64]bool{} // block → holds pending deposits
			prev := uint64(1)
			for i := range l.total() {
				b := l.block(i)
				require.GreaterOrEqual(t, b, prev, "deposit %d", i)
				require.LessOrEqual(t, b, prev+1, "deposit %d skips a block", i)
				prev = b
				perBlock[b]++
				pending := i >= tc.senders
				if seen, ok := kind[b]; ok {
					require.Equal(t, seen, pending, "block %d mixes funding and pending deposits", b)
				}
				kind[b] = pending
			}
			require.Len(t, perBlock, tc.blocks)
			require.Equal(t, uint64(1), l.block(0))
			for b, n := range perBlock {
				limit := fundPerBlock
				if kind[b] {
					limit = PendingPerBlock
				}
				require.LessOrEqual(t, n, limit, "block %d", b)
			}
		})
	}
}

// TestSignPlan: the signed ops are the budget, MaxRateOps × (warm-up +
// duration), whatever the number of funded senders; every worker gets a
// sender.
func TestSignPlan(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		opts                       Options
		wantSending, wantPerSender int
	}{
		{"default 1024 senders", Options{Senders: 1024, Concurrency: 128, MaxRateOps: 20000, Warmup: 5 * time.Second, Duration: 30 * time.Second}, 1024, 684},
		{"a million senders", Options{Senders: MaxSenders, Concurrency: 128, MaxRateOps: 20000, Warmup: 5 * time.Second, Duration: 30 * time.Second}, 700_000, 1},
		{"same working set in a million", Options{Senders: MaxSenders, LoadSenders: 1024, Concurrency: 128, MaxRateOps: 20000, Warmup: 5 * time.Second, Duration: 30 * time.Second}, 1024, 684},
		{"budget below concurrency", Options{Senders: 64, Concurrency: 64, MaxRateOps: 10, Warmup: time.Second, Duration: time.Second}, 64, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sending, per := tc.opts.signPlan()
			require.Equal(t, tc.wantSending, sending)
			require.Equal(t, tc.wantPerSender, per)
		})
	}
}

// TestNewSendersMatchesKeys: the batch derivation (one scalar
// multiplication and one inversion per chunk) gives, across chunk
// boundaries, the address of private key keyBase+i; only the first
// withKeys senders keep a key, and it signs as that address.
func TestNewSendersMatchesKeys(t *testing.T) {
	const n, withKeys = 2*keyChunk + 7, keyChunk + 3
	senders, err := newSenders(context.Background(), n, withKeys)
	require.NoError(t, err)
	require.Len(t, senders, n)
	seen := make(map[common.Address]bool, n)
	for i, s := range senders {
		require.False(t, seen[s.addr], "sender %d repeats an address", i)
		seen[s.addr] = true
		require.Equal(t, i < withKeys, s.key != nil, "sender %d", i)
	}
	for _, i := range []int{0, 1, keyChunk - 1, keyChunk, keyChunk + 2, 2 * keyChunk, n - 1} {
		var k, off secp256k1.ModNScalar
		k.SetByteSlice(keyBase)
		kb := k.Add(off.SetInt(uint32(i))).Bytes()
		want, err := crypto.ToECDSA(kb[:])
		require.NoError(t, err)
		require.Equal(t, crypto.PubkeyToAddress(want.PublicKey), senders[i].addr, "sender %d", i)
		if senders[i].key == nil {
			continue
		}
		require.Equal(t, crypto.FromECDSA(want), crypto.FromECDSA(senders[i].key), "sender %d", i)
		op := protocol.UserOp{Nonce: 3, MaxFee: maxFee, Data: []byte{1}}
		req, err := wire.SignTx(world.domain, senders[i].key, op)
		require.NoError(t, err)
		got, _, err := world.domain.RecoverSender(op, req.Signature)
		require.NoError(t, err)
		require.Equal(t, senders[i].addr, got, "sender %d", i)
	}
}

// TestFundWritesLayout: fund writes, with COPY in copyChunk pieces, every
// deposit at its index and block (more than one chunk here), each crediting
// its sender or a fresh pending account, then the safe head past the last
// deposit and the batch submitter: what serve drains at start.
func TestFundWritesLayout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db, err := openDatabase(ctx, pgtest.NewDatabase(t), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.close(context.Background())) })

	layout := depositLayout{senders: copyChunk + 2*fundPerBlock + 5, pending: 2*PendingPerBlock + 1}
	senders := make([]common.Address, layout.senders)
	for i := range senders {
		senders[i] = common.BytesToAddress(crypto.Keccak256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})[12:])
	}
	start := time.Now()
	require.NoError(t, db.fund(ctx, senders, layout))
	t.Logf("%d deposits written in %s", layout.total(), time.Since(start))

	var count, lo, hi, badBlocks int64
	require.NoError(t, db.pool.QueryRow(ctx, `SELECT count(*), min(input_index), max(input_index) FROM safe_inputs`).Scan(&count, &lo, &hi))
	require.Equal(t, []int64{int64(layout.total()), 0, int64(layout.total() - 1)}, []int64{count, lo, hi})
	rows, err := db.pool.Query(ctx, `SELECT input_index, block_number FROM safe_inputs ORDER BY input_index`)
	require.NoError(t, err)
	for rows.Next() {
		var i, b int64
		require.NoError(t, rows.Scan(&i, &b))
		if uint64(b) != layout.block(int(i)) {
			badBlocks++
		}
	}
	require.NoError(t, rows.Err())
	require.Zero(t, badBlocks, "inputs off their layout block")

	for _, i := range []int{0, copyChunk - 1, copyChunk, layout.senders - 1, layout.senders, layout.total() - 1} {
		var payload, sender []byte
		var ts int64
		require.NoError(t, db.pool.QueryRow(ctx, `SELECT payload, sender, block_timestamp FROM safe_inputs WHERE input_index = $1`, i).
			Scan(&payload, &sender, &ts))
		d, err := wallet.DecodeDeposit(payload)
		require.NoError(t, err, "deposit %d", i)
		want := pendingDepositor(i - layout.senders)
		if i < layout.senders {
			want = senders[i]
		}
		require.Equal(t, want, d.Depositor, "deposit %d", i)
		require.Equal(t, world.portal, common.BytesToAddress(sender))
		require.Equal(t, int64(layout.block(i))*12, ts)
	}
	var head int64
	var submitter []byte
	require.NoError(t, db.pool.QueryRow(ctx, `SELECT block_number FROM l1_safe_head`).Scan(&head))
	require.Equal(t, int64(layout.safeHead()), head)
	require.NoError(t, db.pool.QueryRow(ctx, `SELECT batch_submitter_address FROM control`).Scan(&submitter))
	require.Equal(t, world.submitter, common.BytesToAddress(submitter))
}

// TestOptionsBounds: the state-size options are checked before anything
// starts.
func TestOptionsBounds(t *testing.T) {
	base := Options{Concurrency: 128, ServeBinary: "sequencer"}
	for _, tc := range []struct {
		name    string
		change  func(*Options)
		wantErr string
	}{
		{"a million senders", func(o *Options) { o.Senders = MaxSenders }, ""},
		{"more than a million", func(o *Options) { o.Senders = MaxSenders + 1 }, "senders must be at most"},
		{"largest wave", func(o *Options) { o.PendingDeposits = MaxPendingDeposits }, ""},
		{"wave too large", func(o *Options) { o.PendingDeposits = MaxPendingDeposits + 1 }, "pending deposits must be in"},
		{"negative wave", func(o *Options) { o.PendingDeposits = -1 }, "pending deposits must be in"},
		{"load senders below concurrency", func(o *Options) { o.LoadSenders = 100 }, "load senders (100)"},
		{"load senders above senders", func(o *Options) { o.Senders, o.LoadSenders = 2000, 2001 }, "load senders (2001)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.change(&o)
			_, err := o.withDefaults()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}
