package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cartesi/sequencer/l1/bindings"
	"github.com/cartesi/sequencer/protocol"
)

// chainWatch reads, between two samples, what reached L1: the batch
// submitter's InputBox transactions included in the new blocks (decoded,
// with their receipts' gas) and the batches the rollup accepted (the
// database, read only; they trail by the safe distance). It is used by one
// goroutine.
type chainWatch struct {
	db        *pgxpool.Pool
	rpc       *rpc.Client
	submitter common.Address

	inputBox common.Address
	app      common.Address
	signer   types.Signer

	lastAccepted int64  // highest accepted batch nonce already counted (-1: none)
	lastBlock    uint64 // highest block already scanned for our batch transactions
	postedNonces map[uint64]bool
}

// chainSample is one reading: counts since the previous one, levels now.
type chainSample struct {
	Block           uint64
	AcceptedBatches int
	AcceptedOps     int64
	// Included at the latest block (not yet safe): the submitter's
	// InputBox transactions, decoded.
	PostedTxs     int
	PostedBatches int    // batch nonces included for the first time
	PostedOps     int64  // their user ops
	DuplicateTxs  int    // transactions carrying a batch nonce already included
	GasUsed       uint64 // of every one of those transactions, duplicates included
	Invalidated   int64  // batches with invalidated_at set, ever
	Generation    int64  // control.recovery_generation
	Mode          string
	BacklogOps    int64 // ops in valid batches above the newest accepted one
}

// baseline skips everything accepted or posted before the load and returns
// the current levels.
func (w *chainWatch) baseline(ctx context.Context) (chainSample, error) {
	if err := w.db.QueryRow(ctx, `SELECT coalesce(max(nonce), -1) FROM accepted_batches`).Scan(&w.lastAccepted); err != nil {
		return chainSample{}, fmt.Errorf("read accepted batches: %w", err)
	}
	var s chainSample
	if err := w.levels(ctx, &s); err != nil {
		return s, err
	}
	w.lastBlock = s.Block
	w.postedNonces = map[uint64]bool{}
	return s, nil
}

// sample reads what was accepted and posted since the previous call.
func (w *chainWatch) sample(ctx context.Context) (chainSample, error) {
	var s chainSample
	rows, err := w.db.Query(ctx, `SELECT a.nonce, (SELECT count(*) FROM user_ops u WHERE u.batch_id = a.batch_id)
		FROM accepted_batches a WHERE a.nonce > $1 ORDER BY a.nonce`, w.lastAccepted)
	if err != nil {
		return s, fmt.Errorf("read accepted batches: %w", err)
	}
	for rows.Next() {
		var nonce, ops int64
		if err := rows.Scan(&nonce, &ops); err != nil {
			return s, err
		}
		w.lastAccepted = nonce
		s.AcceptedBatches++
		s.AcceptedOps += ops
	}
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("read accepted batches: %w", err)
	}

	if err := w.posted(ctx, &s); err != nil {
		return s, err
	}
	return s, w.levels(ctx, &s)
}

// levels fills the current block, invalidations, recovery generation and
// backlog.
func (w *chainWatch) levels(ctx context.Context, s *chainSample) error {
	if s.Block == 0 {
		var bn hexutil.Uint64
		if err := w.rpc.CallContext(ctx, &bn, "eth_blockNumber"); err != nil {
			return fmt.Errorf("block number: %w", err)
		}
		s.Block = uint64(bn)
	}
	err := w.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM batches WHERE invalidated_at IS NOT NULL),
			c.recovery_generation, c.mode,
			(SELECT count(*) FROM user_ops u JOIN batches b ON b.id = u.batch_id
				WHERE b.invalidated_at IS NULL AND u.batch_id > (SELECT coalesce(max(batch_id), 0) FROM accepted_batches))
		FROM control c`).Scan(&s.Invalidated, &s.Generation, &s.Mode, &s.BacklogOps)
	if err != nil {
		return fmt.Errorf("read batch state: %w", err)
	}
	return nil
}

// addInput is InputBox.addInput(appContract, payload).
var addInput = func() abi.Method {
	parsed, err := bindings.InputBoxMetaData.GetAbi()
	if err != nil {
		panic(err) // generated constant
	}
	return parsed.Methods["addInput"]
}()

// posted scans the blocks mined since the previous call for the batch
// submitter's addInput transactions to our application, decodes their
// batches and adds up their gas. It sets s.Block to the last block scanned.
func (w *chainWatch) posted(ctx context.Context, s *chainSample) error {
	ec := ethclient.NewClient(w.rpc)
	head, err := ec.BlockNumber(ctx)
	if err != nil {
		return fmt.Errorf("block number: %w", err)
	}
	var hashes []common.Hash
	for n := w.lastBlock + 1; n <= head; n++ {
		b, err := ec.BlockByNumber(ctx, new(big.Int).SetUint64(n))
		if err != nil {
			return fmt.Errorf("block %d: %w", n, err)
		}
		for _, tx := range b.Transactions() {
			batch, ok := w.ourBatch(tx)
			if !ok {
				continue
			}
			s.PostedTxs++
			hashes = append(hashes, tx.Hash())
			if w.postedNonces[batch.Nonce] {
				s.DuplicateTxs++
				continue
			}
			w.postedNonces[batch.Nonce] = true
			s.PostedBatches++
			for _, f := range batch.Frames {
				s.PostedOps += int64(len(f.UserOps))
			}
		}
		w.lastBlock = n
	}
	s.Block = head
	rcpts, err := fetchReceipts(ctx, w.rpc, hashes)
	if err != nil {
		return err
	}
	for _, r := range rcpts {
		s.GasUsed += r.GasUsed
	}
	return nil
}

// ourBatch decodes tx as the batch submitter's addInput of a batch to our
// application.
func (w *chainWatch) ourBatch(tx *types.Transaction) (protocol.Batch, bool) {
	if tx.To() == nil || *tx.To() != w.inputBox || len(tx.Data()) < 4 || !bytes.Equal(tx.Data()[:4], addInput.ID) {
		return protocol.Batch{}, false
	}
	if from, err := types.Sender(w.signer, tx); err != nil || from != w.submitter {
		return protocol.Batch{}, false
	}
	args, err := addInput.Inputs.Unpack(tx.Data()[4:])
	if err != nil || len(args) != 2 {
		return protocol.Batch{}, false
	}
	app, _ := args[0].(common.Address)
	payload, _ := args[1].([]byte)
	if app != w.app {
		return protocol.Batch{}, false
	}
	batch, err := protocol.DecodeBatch(payload)
	if err != nil {
		return protocol.Batch{}, false
	}
	return batch, true
}
