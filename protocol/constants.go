package protocol

const (
	// MaxWaitBlocks is the number of blocks after its first frame's safe
	// block at which a batch is skipped as stale; it is also the longest a
	// direct input can wait before the scheduler's backstop executes it.
	MaxWaitBlocks = 1200

	// FrameClockInterval is how far (in blocks) the L1 safe head must advance
	// past the open frame's safe block before the sequencer opens a new frame.
	FrameClockInterval = 5

	// DomainName and DomainVersion are the EIP-712 domain's name and version.
	DomainName    = "CartesiAppSequencer"
	DomainVersion = "1"

	// SignatureLength is the length of a user operation signature: r ‖ s ‖ v.
	SignatureLength = 65

	// MaxFeeExponent is the largest fee exponent whose fixed-point value fits
	// in 256 bits.
	MaxFeeExponent = 17101
)
