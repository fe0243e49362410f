package wallet

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/stretchr/testify/require"
)

// transferVectorData is the protocol.md §7 user op data: a transfer of
// 400000000000000000 to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8.
const transferVectorData = "0x0100002876e1158d0500000000000000000000000000000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"

func TestMethodVectors(t *testing.T) {
	withdrawal := append([]byte{0x00, 0xe8, 0x03}, make([]byte, 30)...)
	tests := []struct {
		name   string
		method Method
		want   []byte
	}{
		{"withdrawal 1000", &Withdrawal{Amount: uint256.NewInt(1000)}, withdrawal},
		{"transfer vector", &Transfer{
			Amount: uint256.NewInt(400000000000000000),
			To:     common.HexToAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
		}, common.FromHex(transferVectorData)},
		{"withdrawal nil amount", &Withdrawal{}, append([]byte{0x00}, make([]byte, 32)...)},
		{"transfer max amount", &Transfer{Amount: new(uint256.Int).SetAllOne(), To: common.Address{0xab}},
			append(append([]byte{0x01}, bytes.Repeat([]byte{0xff}, 32)...), common.Address{0xab}.Bytes()...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.method.Encode()
			require.Equal(t, tt.want, got)
			decoded, err := DecodeMethod(got)
			require.NoError(t, err)
			require.Equal(t, got, decoded.Encode())
		})
	}
	require.Len(t, withdrawal, WithdrawalSize)
}

func TestDecodeMethodFields(t *testing.T) {
	m, err := DecodeMethod(common.FromHex(transferVectorData))
	require.NoError(t, err)
	tr, ok := m.(*Transfer)
	require.True(t, ok)
	require.Equal(t, "400000000000000000", tr.Amount.Dec())
	require.Equal(t, common.HexToAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), tr.To)

	m, err = DecodeMethod(append([]byte{0x00, 0xe8, 0x03}, make([]byte, 30)...))
	require.NoError(t, err)
	require.Equal(t, &Withdrawal{Amount: uint256.NewInt(1000)}, m)
}

func TestDecodeMethodRejects(t *testing.T) {
	valid := common.FromHex(transferVectorData)
	tests := []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"withdrawal selector only", []byte{0x00}},
		{"withdrawal short", make([]byte, WithdrawalSize-1)},
		{"withdrawal long", make([]byte, WithdrawalSize+1)},
		{"withdrawal as transfer length", make([]byte, TransferSize)},
		{"transfer selector only", []byte{0x01}},
		{"transfer short", valid[:TransferSize-1]},
		{"transfer long", append(bytes.Clone(valid), 0)},
		{"transfer as withdrawal length", valid[:WithdrawalSize]},
		{"unknown selector 0x02", append([]byte{0x02}, valid[1:]...)},
		{"unknown selector 0xff", append([]byte{0xff}, make([]byte, 32)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeMethod(tt.data)
			require.ErrorIs(t, err, ErrInvalidMethod)
			require.Nil(t, m)
		})
	}
}

func TestDecodeMethodDoesNotAlias(t *testing.T) {
	data := common.FromHex(transferVectorData)
	m, err := DecodeMethod(data)
	require.NoError(t, err)
	clear(data)
	require.Equal(t, "400000000000000000", m.(*Transfer).Amount.Dec())
}

func FuzzDecodeMethod(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMethod(b)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidMethod)
			require.Nil(t, m)
			return
		}
		require.Equal(t, b, m.Encode())
		require.LessOrEqual(t, len(b), MaxPayloadSize)
	})
}
