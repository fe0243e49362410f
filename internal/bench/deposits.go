package bench

import (
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// Limits of the deposits the bench writes before serve starts.
const (
	// MaxSenders bounds --senders: a million funded accounts is the state
	// size capacity.md §4 asks about.
	MaxSenders = 1_000_000
	// MaxPendingDeposits bounds --pending-deposits. With fundPerBlock and
	// PendingPerBlock it keeps every deposit within ~200 L1 blocks of the
	// safe head, far from the 900-block danger line a frame whose safe
	// block lags the head would age its batch toward.
	MaxPendingDeposits = 100_000
	// PendingPerBlock is how many pending deposits share one L1 block: the
	// lane drains a bounded number of inputs per frame but never splits a
	// block, so this bounds one drain commit.
	PendingPerBlock = 1_000

	// fundPerBlock is how many senders' deposits share one L1 block.
	fundPerBlock = 10_000
	// copyChunk is how many deposits one COPY writes.
	copyChunk = 50_000
)

// depositLayout places the deposits written before serve starts on L1
// blocks, as the L1 reader would have stored them: the senders' funding
// first, fundPerBlock per block from block 1, then the pending deposits,
// PendingPerBlock per block, starting in a fresh block. Deposit i has input
// index i.
type depositLayout struct {
	senders, pending int
}

// total is the number of deposits.
func (l depositLayout) total() int { return l.senders + l.pending }

// fundBlocks is the number of blocks holding the senders' funding.
func (l depositLayout) fundBlocks() int { return (l.senders + fundPerBlock - 1) / fundPerBlock }

// block is the L1 block of deposit i.
func (l depositLayout) block(i int) uint64 {
	if i < l.senders {
		return uint64(1 + i/fundPerBlock)
	}
	return uint64(1 + l.fundBlocks() + (i-l.senders)/PendingPerBlock)
}

// blocks is the number of L1 blocks holding deposits.
func (l depositLayout) blocks() int {
	if l.total() == 0 {
		return 0
	}
	return int(l.block(l.total() - 1))
}

// safeHead is the safe head the bench records: the block after the last
// deposit, so every deposit is safe.
func (l depositLayout) safeHead() uint64 { return uint64(l.blocks()) + 1 }

// pendingAmount is each pending deposit's amount: any positive amount does.
var pendingAmount = uint256.NewInt(1_000_000)

// pendingDepositor is the fresh account pending deposit i credits: never a
// sender, so the wave grows the state rather than topping accounts up.
func pendingDepositor(i int) common.Address {
	seed := strconv.AppendInt([]byte("sequencer bench pending deposit "), int64(i), 10)
	return common.BytesToAddress(crypto.Keccak256(seed)[12:])
}
