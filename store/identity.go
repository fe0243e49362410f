package store

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// ReadControl reads the control row on any connection or pool, without
// writing (the CLI reads the recorded identity with it).
func ReadControl(ctx context.Context, db DB) (Control, error) {
	return readControl(ctx, db)
}

// CheckIdentity reads the control row and checks it records this identity:
// the chain id, the application and, where recorded and submitter is not
// nil, the batch submitter. An identity not recorded yet is a mismatch too
// (a process that talks to this database as chain/app X must have recorded
// X first). A mismatch is ErrIdentityMismatch. Read-only; the recorded
// identity never changes, so a caller may cache a success.
func CheckIdentity(ctx context.Context, db DB, chainID uint64, app common.Address, submitter *common.Address) error {
	c, err := readControl(ctx, db)
	if err != nil {
		return err
	}
	switch {
	case c.ChainID == 0 || c.App == nil:
		return fmt.Errorf("%w: the database records no identity (chain id %d, application %s expected)",
			ErrIdentityMismatch, chainID, app)
	case c.ChainID != chainID:
		return fmt.Errorf("%w: chain id %d expected, %d recorded", ErrIdentityMismatch, chainID, c.ChainID)
	case *c.App != app:
		return fmt.Errorf("%w: application %s expected, %s recorded", ErrIdentityMismatch, app, c.App)
	case submitter != nil && c.BatchSubmitter != nil && *c.BatchSubmitter != *submitter:
		return fmt.Errorf("%w: batch submitter %s expected, %s recorded", ErrIdentityMismatch, submitter, c.BatchSubmitter)
	}
	return nil
}
