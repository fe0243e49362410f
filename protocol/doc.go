// Package protocol is the consensus layer of the sequencer: the EIP-712 user
// operation, signature handling, the SSZ batch wire format, the fee exponent
// arithmetic and the protocol constants, all bit-exact with
// shared/spec/protocol.md.
//
// Everything here is pure: no I/O, no clocks, no global mutable state. Bad
// input is always an error value, never a panic. The reference scheduler that
// folds an L1 input stream lives in the sub-package scheduler.
package protocol
