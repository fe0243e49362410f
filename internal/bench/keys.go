package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// keyBase is the first sender's private key; sender i's key is
// keyBase + i (mod the group order). Consecutive keys make consecutive
// public keys one point addition apart, so a million senders cost a
// million additions instead of a million scalar multiplications (~55 µs
// each on the reference machine, about half a minute on two cores).
var keyBase = crypto.Keccak256([]byte("sequencer bench sender"))

// keyChunk is how many consecutive keys one goroutine derives at a time: one
// scalar multiplication and one field inversion per chunk.
const keyChunk = 4096

// newSenders derives n senders on all cores. Only the first withKeys keep
// their private key (the ones that will sign); the rest are funded accounts
// known by address, which keeps a million senders to a few dozen bytes
// each.
func newSenders(ctx context.Context, n, withKeys int) ([]*sender, error) {
	out := make([]*sender, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, runtime.NumCPU())
	for w := range errs {
		wg.Go(func() {
			d := newDeriver()
			for ctx.Err() == nil && errs[w] == nil {
				lo := int(next.Add(keyChunk)) - keyChunk
				if lo >= n {
					return
				}
				errs[w] = d.chunk(out, lo, min(lo+keyChunk, n), withKeys)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return nil, err
	}
	return out, nil
}

// deriver holds one goroutine's scratch space.
type deriver struct {
	g      secp256k1.JacobianPoint // the generator
	points []secp256k1.JacobianPoint
	prefix []secp256k1.FieldVal
}

func newDeriver() *deriver {
	d := &deriver{points: make([]secp256k1.JacobianPoint, keyChunk), prefix: make([]secp256k1.FieldVal, keyChunk)}
	var one secp256k1.ModNScalar
	one.SetInt(1)
	secp256k1.ScalarBaseMultNonConst(&one, &d.g)
	return d
}

// chunk fills out[lo:hi]: (keyBase+lo)·G once, then one addition of G per
// key, and all the points made affine with a single inversion
// (Montgomery's trick: invert the product of the Z coordinates, then peel
// each Z⁻¹ off it).
func (d *deriver) chunk(out []*sender, lo, hi, withKeys int) error {
	m := hi - lo
	var k secp256k1.ModNScalar
	k.SetByteSlice(keyBase)
	var off secp256k1.ModNScalar
	k.Add(off.SetInt(uint32(lo)))
	pts := d.points[:m]
	secp256k1.ScalarBaseMultNonConst(&k, &pts[0])
	for j := 1; j < m; j++ {
		secp256k1.AddNonConst(&pts[j-1], &d.g, &pts[j])
	}
	prefix := d.prefix[:m]
	prefix[0].Set(&pts[0].Z)
	for j := 1; j < m; j++ {
		prefix[j].Mul2(&prefix[j-1], &pts[j].Z).Normalize()
	}
	var inv, zInv, zInv2 secp256k1.FieldVal
	inv.Set(&prefix[m-1]).Inverse()
	var buf [64]byte
	for j := m - 1; j >= 0; j-- {
		if j > 0 {
			zInv.Mul2(&inv, &prefix[j-1]).Normalize() // Z_j⁻¹
			inv.Mul(&pts[j].Z).Normalize()            // (Z_0…Z_{j-1})⁻¹
		} else {
			zInv.Set(&inv)
		}
		p := &pts[j]
		zInv2.SquareVal(&zInv)
		p.X.Mul(&zInv2).Normalize()
		p.Y.Mul(zInv2.Mul(&zInv)).Normalize()
		p.X.PutBytesUnchecked(buf[:32])
		p.Y.PutBytesUnchecked(buf[32:])
		s := &sender{addr: common.BytesToAddress(crypto.Keccak256(buf[:])[12:])}
		if lo+j < withKeys {
			// go-ethereum's signer wants an *ecdsa.PrivateKey; building one
			// costs a scalar multiplication again, paid only by the senders
			// that sign (bounded by the pre-signing budget).
			var kj, jj secp256k1.ModNScalar
			kb := kj.Add2(&k, jj.SetInt(uint32(j))).Bytes()
			key, err := crypto.ToECDSA(kb[:])
			if err != nil {
				return fmt.Errorf("sender %d key: %w", lo+j, err)
			}
			s.key = key
		}
		out[lo+j] = s
	}
	return nil
}
