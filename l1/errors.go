// Package l1 talks to the L1 node: the Reader observes the application's
// inputs below the safe block, the Poster builds, signs and sends the batch
// submitter's transactions. Both are used by Temporal activities, so every
// method is safe to retry, and every error is classified by the sentinels
// below (test with errors.Is) or by Retryable.
package l1

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/rpc"
)

// Terminal and configuration errors: retrying cannot help.
var (
	// ErrChainIDMismatch: the node serves another chain than the configured
	// one. Terminal: nothing may be read from or sent to it.
	ErrChainIDMismatch = errors.New("l1: chain id mismatch")
	// ErrNoInputBox: the input box address is neither configured nor
	// readable from the application contract. Configuration error.
	ErrNoInputBox = errors.New("l1: input box address unknown (set SEQ_INPUT_BOX_ADDRESS)")
	// ErrInputMismatch: a decoded input disagrees with the chain, the
	// application or the log carrying it (wrong chain id, app, index or
	// block), or does not decode as EvmAdvance. The configured InputBox is
	// not the rollup's. Identity error, terminal.
	ErrInputMismatch = errors.New("l1: input does not match the chain, application or log")
	// ErrReverted: the transaction would revert (eth_estimateGas failed with
	// an execution error, e.g. a payload over the InputBox limit).
	// Retrying the same transaction cannot help.
	ErrReverted = errors.New("l1: transaction would revert")
)

// Errors that call for retrying or for a specific reaction.
var (
	// ErrIncomplete: the node returned an input list with a hole, a
	// duplicate, or a count other than getNumberOfInputs says (a lagging or
	// truncating node). Nothing was returned; retry later.
	ErrIncomplete = errors.New("l1: incomplete input list")
	// ErrNoSafeBlock: the node has no safe block yet. Retry later.
	ErrNoSafeBlock = errors.New("l1: no safe block")
	// ErrCheckReceipt: the node refused a transaction because it (or
	// another at its nonce) is already known, pending or mined ("already
	// known", "replacement transaction underpriced", "nonce too low"). The
	// caller must check the receipts of the transactions it sent at that
	// nonce, and never move to a new nonce because of this error.
	ErrCheckReceipt = errors.New("l1: nonce already used or pending; check receipts")
	// ErrInsufficientFunds: the sender cannot pay for the transaction.
	// Retryable in the sense that funding the account fixes it; an operator
	// must act, so activities should surface it (alert) while retrying with
	// a long backoff.
	ErrInsufficientFunds = errors.New("l1: insufficient funds")
	// ErrTransient: any other node or transport error. Retry with backoff.
	ErrTransient = errors.New("l1: transient node error")
)

// Retryable reports whether a retry of the same call may succeed: false for
// the terminal and configuration errors (ErrChainIDMismatch, ErrNoInputBox,
// ErrInputMismatch, ErrReverted), true for everything else, including
// ErrInsufficientFunds (retry after funding) and ErrCheckReceipt (which
// asks for a receipt check first). Activities map false to a non-retryable
// Temporal application error.
func Retryable(err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrChainIDMismatch), errors.Is(err, ErrNoInputBox),
		errors.Is(err, ErrInputMismatch), errors.Is(err, ErrReverted):
		return false
	}
	return true
}

// transient wraps a node error as ErrTransient, keeping the original in the
// chain.
func transient(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, ErrTransient, err)
}

// rpcErrorCode returns the JSON-RPC error code carried by err, if any: the
// code of a JSON-RPC error answer, or the code in the JSON-RPC error body of
// a non-2xx HTTP answer (some providers refuse eth_getLogs that way).
func rpcErrorCode(err error) (int, bool) {
	var re rpc.Error
	if errors.As(err, &re) {
		return re.ErrorCode(), true
	}
	var he rpc.HTTPError
	if !errors.As(err, &he) || len(he.Body) == 0 {
		return 0, false
	}
	var body struct {
		Error *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(he.Body, &body) != nil || body.Error == nil {
		return 0, false
	}
	return body.Error.Code, true
}

// containsAny reports whether the lower-cased message of err contains any of
// the fragments.
func containsAny(err error, fragments ...string) bool {
	msg := strings.ToLower(err.Error())
	for _, f := range fragments {
		if strings.Contains(msg, f) {
			return true
		}
	}
	return false
}
