package bench

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"

	"github.com/cartesi/sequencer/api/wire"
	"github.com/cartesi/sequencer/app/wallet"
	"github.com/cartesi/sequencer/protocol"
)

// world is the fixed chain and application identity the bench runs under.
var world = struct {
	chainID      uint64
	app          common.Address
	submitter    common.Address
	portal       common.Address
	token        common.Address
	feeRecipient common.Address
	domain       protocol.Domain
}{
	chainID:      31337,
	app:          common.HexToAddress("0xbe0c000000000000000000000000000000000001"),
	submitter:    common.HexToAddress("0xbe0c000000000000000000000000000000000002"),
	portal:       common.HexToAddress("0xbe0c0000000000000000000000000000000000a1"),
	token:        common.HexToAddress("0xbe0c0000000000000000000000000000000000b2"),
	feeRecipient: common.HexToAddress("0xbe0c0000000000000000000000000000000000c3"),
	domain:       protocol.NewDomain(31337, common.HexToAddress("0xbe0c000000000000000000000000000000000001")),
}

// maxFee is every op's max_fee: far above any fee a fresh frame samples.
const maxFee = 2000

// sender is one funded account and its pre-signed ops, in nonce order
// starting at 0. key is nil for the senders that never sign (those beyond
// the pre-signing budget) and dropped once the bodies are signed.
type sender struct {
	key    *ecdsa.PrivateKey
	addr   common.Address
	bodies [][]byte // POST /tx bodies; bodies[n] has nonce n
}

// addresses lists the senders' addresses.
func addresses(senders []*sender) []common.Address {
	out := make([]common.Address, len(senders))
	for i, s := range senders {
		out[i] = s.addr
	}
	return out
}

// presign signs perSender transfers for every sender in senders (i → i+1
// among all senders, amount 1, sequential nonces) on all cores; all is every
// funded sender, senders its prefix that has keys.
func presign(ctx context.Context, senders, all []*sender, perSender int) error {
	jobs := make(chan int)
	errs := make(chan error, len(senders))
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range jobs {
				if err := senders[i].sign(all[(i+1)%len(all)].addr, perSender); err != nil {
					errs <- err
				}
				senders[i].key = nil // not needed once signed; a million keys add up
			}
		})
	}
	for i := range senders {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err := ctx.Err(); err != nil {
		return err
	}
	return <-errs // nil when the channel is empty
}

// sign fills s.bodies with n transfers of 1 unit to `to`.
func (s *sender) sign(to common.Address, n int) error {
	data := (&wallet.Transfer{Amount: uint256.NewInt(1), To: to}).Encode()
	s.bodies = make([][]byte, n)
	for nonce := range n {
		body, err := signedBody(s.key, protocol.UserOp{Nonce: uint32(nonce), MaxFee: maxFee, Data: data})
		if err != nil {
			return err
		}
		s.bodies[nonce] = body
	}
	return nil
}

// signedBody is the JSON body of POST /tx for op signed by key.
func signedBody(key *ecdsa.PrivateKey, op protocol.UserOp) ([]byte, error) {
	req, err := wire.SignTx(world.domain, key, op)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode tx body: %w", err)
	}
	return body, nil
}
