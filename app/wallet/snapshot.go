package wallet

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"

	"github.com/cartesi/sequencer/app"
	"github.com/cartesi/sequencer/protocol/ssz"
)

// The snapshot is the SSZ container of protocol.md §6:
//
//	{ erc20_portal [20], token [20], fee_recipient [20],
//	  balances: list of {address [20], balance [32] big-endian},
//	  nonces:   list of {address [20], nonce uint32 little-endian},
//	  executed_input_count uint64, last_executed_safe_block uint64 }
//
// Canonical form (a decision of this implementation, which makes "same state →
// same bytes" hold and makes every decodable snapshot re-encode identically):
// both lists are sorted by address, strictly ascending, and carry no
// zero-valued entry. An account with a zero balance and an account that is
// absent are the same state, so the encoder omits zero balances and zero
// nonces and the decoder rejects them, as it rejects unsorted and duplicate
// entries.
//
// The same rule extends to the progress: a snapshot is rejected unless the
// state it describes is reachable. executed_input_count 0 means no input was
// ever executed, and only the genesis state (New) has that count: every
// balance, nonce and clock value is set by an executed input, which counts.
// So a count of 0 with any entry or a non-zero clock is rejected. A count
// above 0 with no entries and any clock is reachable (a direct input that is
// not a deposit counts and moves the clock, nothing more) and is accepted;
// see docs/protocol-decisions.md.
const (
	snapshotFixedLen  = 3*common.AddressLength + 2*ssz.OffsetSize + 8 + 8 // 84
	balancesOffsetPos = 3 * common.AddressLength                          // 60
	noncesOffsetPos   = balancesOffsetPos + ssz.OffsetSize                // 64
	inputCountPos     = noncesOffsetPos + ssz.OffsetSize                  // 68
	safeBlockPos      = inputCountPos + 8                                 // 76
	balanceEntrySize  = common.AddressLength + 32                         // 52
	nonceEntrySize    = common.AddressLength + 4                          // 24
)

// ErrInvalidSnapshot is wrapped by every DecodeSnapshot error.
var ErrInvalidSnapshot = errors.New("invalid wallet snapshot")

// BalanceEntry is one element of the snapshot's balances list.
type BalanceEntry struct {
	Address common.Address
	Balance *uint256.Int
}

// NonceEntry is one element of the snapshot's nonces list: the next nonce the
// account must use.
type NonceEntry struct {
	Address common.Address
	Nonce   uint32
}

// SnapshotState is a decoded snapshot, for tools that inspect stored state.
// DecodeSnapshot only returns canonical states (sorted, unique, non-zero).
type SnapshotState struct {
	Config   Config
	Balances []BalanceEntry
	Nonces   []NonceEntry
	Progress app.Progress
}

// Encode returns the SSZ encoding of s, field by field and entry by entry as
// given: it is the canonical snapshot only if s is canonical, as every state
// from DecodeSnapshot or Wallet.Snapshot is. A nil Balance encodes as 0.
//
// The list offsets are uint32: the format cannot hold more than about 82
// million balance entries, far beyond what one sequencer holds in memory.
func (s *SnapshotState) Encode() []byte {
	balancesLen := balanceEntrySize * len(s.Balances)
	noncesLen := nonceEntrySize * len(s.Nonces)
	out := make([]byte, snapshotFixedLen, snapshotFixedLen+balancesLen+noncesLen)
	copy(out[0:20], s.Config.Portal[:])
	copy(out[20:40], s.Config.Token[:])
	copy(out[40:60], s.Config.FeeRecipient[:])
	binary.LittleEndian.PutUint32(out[balancesOffsetPos:], uint32(snapshotFixedLen))
	binary.LittleEndian.PutUint32(out[noncesOffsetPos:], uint32(snapshotFixedLen+balancesLen))
	binary.LittleEndian.PutUint64(out[inputCountPos:], s.Progress.ExecutedInputCount)
	binary.LittleEndian.PutUint64(out[safeBlockPos:], s.Progress.LastExecutedSafeBlock)
	var entry [balanceEntrySize]byte
	for _, e := range s.Balances {
		copy(entry[:20], e.Address[:])
		clear(entry[20:])
		if e.Balance != nil {
			e.Balance.WriteToSlice(entry[20:])
		}
		out = append(out, entry[:]...)
	}
	for _, e := range s.Nonces {
		out = append(out, e.Address[:]...)
		out = binary.LittleEndian.AppendUint32(out, e.Nonce)
	}
	return out
}

// DecodeSnapshot strictly decodes a snapshot: the container rules of
// protocol.md §3 (first offset 84, offsets non-decreasing and within the
// input), list lengths that are whole numbers of entries, addresses strictly
// ascending in each list, no zero balance or zero nonce, balances whose sum
// fits in 256 bits (the wallet's total-supply invariant, see Wallet), and,
// when executed_input_count is 0, the genesis state (no entries, clock 0).
// Whatever it accepts, Encode turns back into exactly b. It never panics;
// the result does not alias b.
func DecodeSnapshot(b []byte) (*SnapshotState, error) {
	parts, err := ssz.ContainerParts(b, snapshotFixedLen, balancesOffsetPos, noncesOffsetPos)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSnapshot, err)
	}
	s := &SnapshotState{
		Config: Config{
			Portal:       common.BytesToAddress(b[0:20]),
			Token:        common.BytesToAddress(b[20:40]),
			FeeRecipient: common.BytesToAddress(b[40:60]),
		},
		Progress: app.Progress{
			ExecutedInputCount:    binary.LittleEndian.Uint64(b[inputCountPos:]),
			LastExecutedSafeBlock: binary.LittleEndian.Uint64(b[safeBlockPos:]),
		},
	}

	balances, err := ssz.FixedList(parts[0], balanceEntrySize)
	if err != nil {
		return nil, fmt.Errorf("%w: balances: %w", ErrInvalidSnapshot, err)
	}
	var total uint256.Int
	if len(balances) > 0 {
		s.Balances = make([]BalanceEntry, len(balances))
	}
	for i, e := range balances {
		if i > 0 && bytes.Compare(balances[i-1][:20], e[:20]) >= 0 {
			return nil, fmt.Errorf("%w: balance entry %d not strictly above the previous address", ErrInvalidSnapshot, i)
		}
		v := new(uint256.Int).SetBytes32(e[20:52])
		if v.IsZero() {
			return nil, fmt.Errorf("%w: balance entry %d is zero", ErrInvalidSnapshot, i)
		}
		if _, overflow := total.AddOverflow(&total, v); overflow {
			return nil, fmt.Errorf("%w: balances sum to more than 2^256-1", ErrInvalidSnapshot)
		}
		s.Balances[i] = BalanceEntry{Address: common.BytesToAddress(e[:20]), Balance: v}
	}

	nonces, err := ssz.FixedList(parts[1], nonceEntrySize)
	if err != nil {
		return nil, fmt.Errorf("%w: nonces: %w", ErrInvalidSnapshot, err)
	}
	if len(nonces) > 0 {
		s.Nonces = make([]NonceEntry, len(nonces))
	}
	for i, e := range nonces {
		if i > 0 && bytes.Compare(nonces[i-1][:20], e[:20]) >= 0 {
			return nil, fmt.Errorf("%w: nonce entry %d not strictly above the previous address", ErrInvalidSnapshot, i)
		}
		n := binary.LittleEndian.Uint32(e[20:24])
		if n == 0 {
			return nil, fmt.Errorf("%w: nonce entry %d is zero", ErrInvalidSnapshot, i)
		}
		s.Nonces[i] = NonceEntry{Address: common.BytesToAddress(e[:20]), Nonce: n}
	}
	if s.Progress.ExecutedInputCount == 0 {
		// Unreachable: only an executed input (which counts) creates an
		// entry or moves the clock.
		switch {
		case s.Progress.LastExecutedSafeBlock != 0:
			return nil, fmt.Errorf("%w: no input executed but the clock is at block %d", ErrInvalidSnapshot, s.Progress.LastExecutedSafeBlock)
		case len(s.Balances) > 0 || len(s.Nonces) > 0:
			return nil, fmt.Errorf("%w: no input executed but %d balances and %d nonces", ErrInvalidSnapshot, len(s.Balances), len(s.Nonces))
		}
	}
	return s, nil
}

// compareAddress orders addresses as big-endian 160-bit numbers, like
// bytes.Compare but with three word loads: the snapshot sorts every account
// each time it is taken, and this is most of its cost.
func compareAddress(a, b *common.Address) int {
	if c := cmp.Compare(binary.BigEndian.Uint64(a[0:8]), binary.BigEndian.Uint64(b[0:8])); c != 0 {
		return c
	}
	if c := cmp.Compare(binary.BigEndian.Uint64(a[8:16]), binary.BigEndian.Uint64(b[8:16])); c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint32(a[16:20]), binary.BigEndian.Uint32(b[16:20]))
}
