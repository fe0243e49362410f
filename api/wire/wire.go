// Package wire holds the JSON shapes of the public API that clients and the
// server share: the POST /tx body and the batch view printed by the tools.
// It has no dependency on the HTTP stack, so client tools and tests can use
// it alone.
package wire

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cartesi/sequencer/protocol"
)

// Message is the signed part of POST /tx.
type Message struct {
	Nonce  uint32        `json:"nonce"`
	MaxFee uint16        `json:"max_fee"`
	Data   hexutil.Bytes `json:"data"`
}

// TxRequest is the body of POST /tx.
type TxRequest struct {
	Message   Message       `json:"message"`
	Signature hexutil.Bytes `json:"signature"`
	Sender    string        `json:"sender"` // EIP-55
}

// SignTx signs op with key in domain d and returns the POST /tx body, with
// the signature in its stored form r ‖ s ‖ (27 + parity).
func SignTx(d protocol.Domain, key *ecdsa.PrivateKey, op protocol.UserOp) (TxRequest, error) {
	digest := d.Digest(op)
	sig, err := crypto.Sign(digest[:], key)
	if err != nil {
		return TxRequest{}, fmt.Errorf("sign user op: %w", err)
	}
	sig[64] += 27
	data := op.Data
	if data == nil {
		data = []byte{}
	}
	return TxRequest{
		Message:   Message{Nonce: op.Nonce, MaxFee: op.MaxFee, Data: data},
		Signature: sig,
		Sender:    crypto.PubkeyToAddress(key.PublicKey).Hex(),
	}, nil
}

// BatchView is the JSON form of a decoded batch, with each op's sender
// recovered (null when it cannot be).
type BatchView struct {
	Nonce  uint64      `json:"nonce"`
	Frames []FrameView `json:"frames"`
}

// FrameView is one frame of a BatchView.
type FrameView struct {
	SafeBlock uint64       `json:"safe_block"`
	FeePrice  uint16       `json:"fee_price"`
	UserOps   []UserOpView `json:"user_ops"`
}

// UserOpView is one op of a FrameView.
type UserOpView struct {
	Nonce     uint32        `json:"nonce"`
	MaxFee    uint16        `json:"max_fee"`
	Data      hexutil.Bytes `json:"data"`
	Signature hexutil.Bytes `json:"signature"`
	Sender    *string       `json:"sender"` // EIP-55, or null when unrecoverable
}

// NewBatchView builds the view of b, recovering senders in domain d.
func NewBatchView(d protocol.Domain, b protocol.Batch) BatchView {
	v := BatchView{Nonce: b.Nonce, Frames: make([]FrameView, len(b.Frames))}
	for i, f := range b.Frames {
		fv := FrameView{SafeBlock: f.SafeBlock, FeePrice: f.FeePrice, UserOps: make([]UserOpView, len(f.UserOps))}
		for j, op := range f.UserOps {
			ov := UserOpView{Nonce: op.Nonce, MaxFee: op.MaxFee, Data: nonNil(op.Data), Signature: nonNil(op.Signature)}
			if sender, _, err := d.RecoverSender(op.UserOp(), op.Signature); err == nil {
				s := sender.Hex()
				ov.Sender = &s
			}
			fv.UserOps[j] = ov
		}
		v.Frames[i] = fv
	}
	return v
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// FeedEntry is one message of the WebSocket replay feed
// (GET /ws/subscribe), for clients to decode. Kind is "user_op" or
// "direct_input"; the fields of the other kind are absent (zero).
type FeedEntry struct {
	Kind       string `json:"kind"`
	Offset     uint64 `json:"offset"`
	Sender     string `json:"sender"` // EIP-55
	BatchNonce uint64 `json:"batch_nonce"`
	Generation uint64 `json:"generation"` // the recovery generation of its batch

	// user_op
	Nonce     uint32        `json:"nonce"`
	Fee       uint16        `json:"fee"`
	Data      hexutil.Bytes `json:"data"`
	SafeBlock uint64        `json:"safe_block"`

	// direct_input
	Payload     hexutil.Bytes `json:"payload"`
	BlockNumber uint64        `json:"block_number"`
	InputIndex  uint64        `json:"input_index"`
}
