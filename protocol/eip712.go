package protocol

import (
	"encoding/binary"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// UserOp is the signed part of a user operation: the EIP-712 struct
// UserOp(uint32 nonce,uint16 max_fee,bytes data).
type UserOp struct {
	Nonce  uint32
	MaxFee uint16
	Data   []byte
}

const (
	userOpType = "UserOp(uint32 nonce,uint16 max_fee,bytes data)"
	domainType = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)

var (
	userOpTypeHash = crypto.Keccak256Hash([]byte(userOpType))
	domainTypeHash = crypto.Keccak256Hash([]byte(domainType))
	nameHash       = crypto.Keccak256Hash([]byte(DomainName))
	versionHash    = crypto.Keccak256Hash([]byte(DomainVersion))
)

// Domain is the EIP-712 domain of one application on one chain. Build it with
// NewDomain, the single constructor used by ingress verification, the
// scheduler and the test clients alike. A Domain is immutable and safe for
// concurrent use.
type Domain struct {
	chainID           uint64
	verifyingContract common.Address
	separator         common.Hash
}

// NewDomain returns the domain {name, version, chainId, verifyingContract}
// with name and version fixed by the protocol and its separator precomputed.
func NewDomain(chainID uint64, app common.Address) Domain {
	d := Domain{chainID: chainID, verifyingContract: app}
	var buf [5 * 32]byte
	copy(buf[0:], domainTypeHash[:])
	copy(buf[32:], nameHash[:])
	copy(buf[64:], versionHash[:])
	binary.BigEndian.PutUint64(buf[96+24:], chainID)
	copy(buf[128+12:], app[:])
	d.separator = crypto.Keccak256Hash(buf[:])
	return d
}

// ChainID is the L1 chain id of the domain.
func (d Domain) ChainID() uint64 { return d.chainID }

// ChainIDBig is ChainID as a *big.Int, for go-ethereum APIs.
func (d Domain) ChainIDBig() *big.Int { return new(big.Int).SetUint64(d.chainID) }

// VerifyingContract is the application contract address.
func (d Domain) VerifyingContract() common.Address { return d.verifyingContract }

// Separator is the EIP-712 domain separator.
func (d Domain) Separator() common.Hash { return d.separator }

// StructHash is hashStruct(UserOp): keccak256(typeHash ‖ nonce ‖ max_fee ‖
// keccak256(data)), each integer as a 32-byte big-endian word.
func StructHash(op UserOp) common.Hash {
	var buf [4 * 32]byte
	copy(buf[0:], userOpTypeHash[:])
	binary.BigEndian.PutUint32(buf[32+28:], op.Nonce)
	binary.BigEndian.PutUint16(buf[64+30:], op.MaxFee)
	dataHash := crypto.Keccak256Hash(op.Data)
	copy(buf[96:], dataHash[:])
	return crypto.Keccak256Hash(buf[:])
}

// Digest is the EIP-712 signing digest keccak256(0x19 0x01 ‖ separator ‖
// hashStruct(op)).
func (d Domain) Digest(op UserOp) common.Hash {
	var buf [2 + 32 + 32]byte
	buf[0], buf[1] = 0x19, 0x01
	copy(buf[2:], d.separator[:])
	sh := StructHash(op)
	copy(buf[34:], sh[:])
	return crypto.Keccak256Hash(buf[:])
}
