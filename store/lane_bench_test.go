package store

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
)

// BenchmarkLaneApplyChunk measures one group commit of 50 user ops (the
// mean chunk at 128 clients) on a database that grows as it runs, so a
// cost that grows with history shows up as a rising ns/op.
func BenchmarkLaneApplyChunk(b *testing.B) {
	ctx := context.Background()
	url := pgtest.NewDatabase(b, pgtest.WithTemplate("migrated", migrations.ApplyURL))
	ls, err := ConnectLane(ctx, url, 0)
	require.NoError(b, err)
	defer ls.Close(ctx)
	res, err := ls.Apply(ctx, Write{Batch: &NewBatch{}, Frame: &NewFrame{SafeBlock: 1, Fee: 1356}})
	require.NoError(b, err)
	sig := make([]byte, 65)
	data := make([]byte, 53)
	offset := uint64(1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ops := make([]NewUserOp, 50)
		for k := range ops {
			ops[k] = NewUserOp{Offset: offset, BatchID: res.NewBatchID, Sender: common.Address{byte(k)}, Nonce: uint32(i),
				MaxFee: 2000, Data: data, Signature: sig, ReceivedAt: time.Now()}
			offset++
		}
		if _, err := ls.Apply(ctx, Write{Ops: ops}); err != nil {
			b.Fatal(err)
		}
	}
}
