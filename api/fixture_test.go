package api_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/cartesi/sequencer/feed"
)

// fixture writes history with plain SQL, following the schema's rules.
type fixture struct {
	t  *testing.T
	db testDB
}

func (f fixture) exec(sql string, args ...any) {
	f.t.Helper()
	_, err := f.db.Pool.Exec(context.Background(), sql, args...)
	require.NoError(f.t, err, sql)
}

// batch opens a batch (parent 0 = root) with its first frame.
func (f fixture) batch(parent int64, nonce, safeBlock uint64, fee uint16) int64 {
	f.t.Helper()
	var p *int64
	if parent != 0 {
		p = &parent
	}
	var id int64
	require.NoError(f.t, f.db.Pool.QueryRow(context.Background(),
		`INSERT INTO batches (parent_id, nonce, generation) VALUES ($1, $2, 0) RETURNING id`, p, int64(nonce)).Scan(&id))
	f.exec(`INSERT INTO frames (batch_id, position, safe_block, fee) VALUES ($1, 0, $2, $3)`, id, int64(safeBlock), int(fee))
	return id
}

// userOps appends user ops at offsets first..last of batch (frame 0) in one
// statement, from sender with nonce = offset and data = the offset's low
// byte.
func (f fixture) userOps(batch int64, first, last uint64, sender common.Address) {
	f.t.Helper()
	f.exec(`INSERT INTO user_ops ("offset", batch_id, frame_position, sender, nonce, max_fee, data, signature, received_at)
		SELECT g, $1, 0, $2, g, 100, set_byte('\x00'::bytea, 0, (g % 256)::int), $3, now()
		FROM generate_series($4::bigint, $5::bigint) g`,
		batch, sender.Bytes(), bytes.Repeat([]byte{1}, 65), int64(first), int64(last))
}

// directInput stores safe input index and sequences it at offset.
func (f fixture) directInput(offset uint64, batch int64, index uint64, sender common.Address, payload []byte, block uint64) {
	f.t.Helper()
	f.exec(`INSERT INTO safe_inputs (input_index, sender, payload, block_number, block_timestamp) VALUES ($1, $2, $3, $4, 0)`,
		int64(index), sender.Bytes(), payload, int64(block))
	f.exec(`INSERT INTO sequenced_l2_txs ("offset", batch_id, frame_position, kind, safe_input_index) VALUES ($1, $2, 0, 'direct_input', $3)`,
		int64(offset), batch, int64(index))
}

func (f fixture) seal(batch int64) {
	f.t.Helper()
	f.exec(`UPDATE batches SET sealed_at = now(), payload = '\x00', payload_hash = $2 WHERE id = $1`,
		batch, bytes.Repeat([]byte{byte(batch)}, 32))
}

func (f fixture) invalidate(batch int64) {
	f.t.Helper()
	f.exec(`UPDATE batches SET invalidated_at = now() WHERE id = $1`, batch)
}

func (f fixture) snapshot(batch int64, state []byte, l2TxIndex uint64) {
	f.t.Helper()
	f.exec(`INSERT INTO snapshots (batch_id, state, l2_tx_index) VALUES ($1, $2, $3)`, batch, state, int64(l2TxIndex))
}

// userOpEntry is the feed entry fixture.userOps writes at offset.
func userOpEntry(offset, batchNonce uint64, sender common.Address, safeBlock uint64, fee uint16) feed.Entry {
	return feed.Entry{
		Offset: offset, Kind: feed.KindUserOp, Sender: sender, BatchNonce: batchNonce,
		Nonce: uint32(offset), Fee: fee, Data: []byte{byte(offset)}, SafeBlock: safeBlock,
	}
}

var (
	alice = common.HexToAddress("0x5B38Da6a701c568545dCfcB03FcB875f56beddC4")
	bob   = common.HexToAddress("0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2")
)
