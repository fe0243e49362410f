package l1

// The InputBox refuses an input whose EvmAdvance encoding is longer than
// its machine's input limit (InputTooLarge(app, length, max)). For
// @cartesi/rollups 2.x that limit is 65,536 bytes, and the encoding is
// abi.encodeCall(EvmAdvance, (chainId, app, sender, blockNumber,
// blockTimestamp, prevRandao, index, payload)): a 4-byte selector, eight
// 32-byte head words (seven values and the payload's offset), the payload's
// 32-byte length, then the payload padded to a multiple of 32.
const (
	InputBoxMaxInputSize = 65536
	evmAdvanceEnvelope   = 4 + 8*32 + 32
	// MaxBatchPayload is the largest batch the InputBox accepts:
	// evmAdvanceEnvelope + ⌈n/32⌉·32 ≤ InputBoxMaxInputSize.
	MaxBatchPayload = (InputBoxMaxInputSize - evmAdvanceEnvelope) / 32 * 32
)
