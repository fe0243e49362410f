package activities

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/cartesi/sequencer/internal/pgtest"
	"github.com/cartesi/sequencer/migrations"
	"github.com/cartesi/sequencer/store"
	"github.com/cartesi/sequencer/workflows"
)

// TestCheckIdentity: an activity worker given a database that records
// another deployment's identity (or none) fails non-retryably with
// IdentityMismatch; the right one passes, and the success is cached (no
// second read: it passes with the database gone).
func TestCheckIdentity(t *testing.T) {
	appA, appB := common.HexToAddress("0xaa"), common.HexToAddress("0xbb")
	subA, subB := common.HexToAddress("0x5a"), common.HexToAddress("0x5b")
	for _, c := range []struct {
		name     string
		record   bool // record chain 31337, app A, submitter A
		chainID  uint64
		app      common.Address
		sub      common.Address
		mismatch bool
	}{
		{"same deployment", true, 31337, appA, subA, false},
		{"another application", true, 31337, appB, subA, true},
		{"another chain", true, 1, appA, subA, true},
		{"another batch submitter", true, 31337, appA, subB, true},
		{"nothing recorded", false, 31337, appA, subA, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t, pgtest.WithTemplate("migrated", migrations.ApplyURL)))
			require.NoError(t, err)
			t.Cleanup(pool.Close)
			if c.record {
				_, err := store.RecordIdentity(ctx, pool, 31337, appA, &subA)
				require.NoError(t, err)
			}
			a := &Activities{Pool: pool, ChainID: c.chainID, App: c.app, BatchSubmitter: c.sub}
			err = a.CheckIdentity(ctx)
			if !c.mismatch {
				require.NoError(t, err)
				pool.Close()
				require.NoError(t, a.CheckIdentity(ctx), "a success is cached")
				return
			}
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(err, &appErr), "%v", err)
			require.True(t, appErr.NonRetryable())
			require.Equal(t, workflows.ErrTypeIdentityMismatch, appErr.Type())
			require.Error(t, a.CheckIdentity(ctx), "a failure is not cached")
		})
	}
}
