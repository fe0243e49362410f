package wallet

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"
)

func TestDepositEncoding(t *testing.T) {
	token := common.HexToAddress("0x1000000000000000000000000000000000000001")
	depositor := common.HexToAddress("0x2000000000000000000000000000000000000002")
	amount := uint256.NewInt(0x0102)

	b := EncodeDeposit(token, depositor, amount, []byte{0xde, 0xad})
	want := append(append(append(token.Bytes(), depositor.Bytes()...), append(make([]byte, 30), 0x01, 0x02)...), 0xde, 0xad)
	require.Equal(t, want, b, "amount is 32 bytes big-endian")

	d, err := DecodeDeposit(b)
	require.NoError(t, err)
	require.Equal(t, token, d.Token)
	require.Equal(t, depositor, d.Depositor)
	require.Equal(t, amount, d.Amount)
	require.Equal(t, []byte{0xde, 0xad}, d.Extra)
	require.Equal(t, b, d.Encode())

	exact := EncodeDeposit(token, depositor, nil, nil)
	require.Len(t, exact, DepositHeaderSize)
	d, err = DecodeDeposit(exact)
	require.NoError(t, err)
	require.True(t, d.Amount.IsZero())
	require.Nil(t, d.Extra)

	for _, n := range []int{0, 1, 40, DepositHeaderSize - 1} {
		_, err := DecodeDeposit(exact[:n])
		require.ErrorIs(t, err, ErrInvalidDeposit, "length %d", n)
	}
}

func FuzzDecodeDeposit(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDeposit(b)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidDeposit)
			require.Less(t, len(b), DepositHeaderSize)
			return
		}
		require.True(t, bytes.Equal(b[:DepositHeaderSize], EncodeDeposit(d.Token, d.Depositor, d.Amount, nil)))
		require.Equal(t, b, d.Encode())
	})
}
