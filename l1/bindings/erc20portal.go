// Code generated - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package bindings

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = errors.New
	_ = big.NewInt
	_ = strings.NewReader
	_ = ethereum.NotFound
	_ = bind.Bind
	_ = common.Big1
	_ = types.BloomLookup
	_ = event.NewSubscription
	_ = abi.ConvertType
	_ = time.Tick
	_ = context.Background
)

// ERC20PortalMetaData contains all meta data concerning the ERC20Portal contract.
var ERC20PortalMetaData = &bind.MetaData{
	ABI: "[{\"type\":\"constructor\",\"inputs\":[{\"name\":\"inputBox\",\"type\":\"address\",\"internalType\":\"contractIInputBox\"}],\"stateMutability\":\"nonpayable\"},{\"type\":\"function\",\"name\":\"depositERC20Tokens\",\"inputs\":[{\"name\":\"token\",\"type\":\"address\",\"internalType\":\"contractIERC20\"},{\"name\":\"appContract\",\"type\":\"address\",\"internalType\":\"address\"},{\"name\":\"value\",\"type\":\"uint256\",\"internalType\":\"uint256\"},{\"name\":\"execLayerData\",\"type\":\"bytes\",\"internalType\":\"bytes\"}],\"outputs\":[],\"stateMutability\":\"nonpayable\"},{\"type\":\"function\",\"name\":\"getInputBox\",\"inputs\":[],\"outputs\":[{\"name\":\"\",\"type\":\"address\",\"internalType\":\"contractIInputBox\"}],\"stateMutability\":\"view\"},{\"type\":\"error\",\"name\":\"ERC20TransferFailed\",\"inputs\":[]}]",
	Bin: "0x60a034606d57601f61036c38819003918201601f19168301916001600160401b03831184841017607157808492602094604052833981010312606d57516001600160a01b0381168103606d576080526040516102e69081610086823960805181818161018b015261024b0152f35b5f80fd5b634e487b7160e01b5f52604160045260245ffdfe6080806040526004361015610012575f80fd5b5f3560e01c908162aace9a1461023957506395854b8114610031575f80fd5b346101d95760803660031901126101d9576004356001600160a01b0381168082036101d9576024356001600160a01b038116908190036101d957604435916064359167ffffffffffffffff83116101d957366023840112156101d95782600401359167ffffffffffffffff83116101d95736602484860101116101d95760205f916064604051809481936323b872dd60e01b83523360048401528760248401528a60448401525af19081156101e4575f916101fe575b50156101ef5761014360686020958460649560246040519889948b86019c6bffffffffffffffffffffffff199060601b168d523360601b60348701526048860152018484013781015f838201520301601f19810185528461027a565b6040519485938492631789cd6360e01b84526004840152604060248401525180918160448501528484015e5f838284010152601f801991011681010301815f60018060a01b037f0000000000000000000000000000000000000000000000000000000000000000165af180156101e4576101b957005b602090813d83116101dd575b6101cf818361027a565b810103126101d957005b5f80fd5b503d6101c5565b6040513d5f823e3d90fd5b633c9fd93960e21b5f5260045ffd5b90506020813d602011610231575b816102196020938361027a565b810103126101d9575180151581036101d9575f6100e7565b3d915061020c565b346101d9575f3660031901126101d9577f00000000000000000000000000000000000000000000000000000000000000006001600160a01b03168152602090f35b90601f8019910116810190811067ffffffffffffffff82111761029c57604052565b634e487b7160e01b5f52604160045260245ffdfea264697066735822122035c285685db533c541d38f9691c74a5903787f3a4f92da9454e3450141abe75864736f6c634300081e0033",
}

// ERC20PortalABI is the input ABI used to generate the binding from.
// Deprecated: Use ERC20PortalMetaData.ABI instead.
var ERC20PortalABI = ERC20PortalMetaData.ABI

// ERC20PortalBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use ERC20PortalMetaData.Bin instead.
var ERC20PortalBin = ERC20PortalMetaData.Bin

// DeployERC20Portal deploys a new Ethereum contract, binding an instance of ERC20Portal to it.
func DeployERC20Portal(auth *bind.TransactOpts, backend bind.ContractBackend, inputBox common.Address) (common.Address, *types.Transaction, *ERC20Portal, error) {
	parsed, err := ERC20PortalMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(ERC20PortalBin), backend, inputBox)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &ERC20Portal{ERC20PortalCaller: ERC20PortalCaller{contract: contract}, ERC20PortalTransactor: ERC20PortalTransactor{contract: contract}, ERC20PortalFilterer: ERC20PortalFilterer{contract: contract}}, nil
}

// ERC20Portal is an auto generated Go binding around an Ethereum contract.
type ERC20Portal struct {
	ERC20PortalCaller     // Read-only binding to the contract
	ERC20PortalTransactor // Write-only binding to the contract
	ERC20PortalFilterer   // Log filterer for contract events
}

// ERC20PortalCaller is an auto generated read-only Go binding around an Ethereum contract.
type ERC20PortalCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// ERC20PortalTransactor is an auto generated write-only Go binding around an Ethereum contract.
type ERC20PortalTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// ERC20PortalFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type ERC20PortalFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// ERC20PortalSession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type ERC20PortalSession struct {
	Contract     *ERC20Portal      // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// ERC20PortalCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type ERC20PortalCallerSession struct {
	Contract *ERC20PortalCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts      // Call options to use throughout this session
}

// ERC20PortalTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type ERC20PortalTransactorSession struct {
	Contract     *ERC20PortalTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts      // Transaction auth options to use throughout this session
}

// ERC20PortalRaw is an auto generated low-level Go binding around an Ethereum contract.
type ERC20PortalRaw struct {
	Contract *ERC20Portal // Generic contract binding to access the raw methods on
}

// ERC20PortalCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type ERC20PortalCallerRaw struct {
	Contract *ERC20PortalCaller // Generic read-only contract binding to access the raw methods on
}

// ERC20PortalTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type ERC20PortalTransactorRaw struct {
	Contract *ERC20PortalTransactor // Generic write-only contract binding to access the raw methods on
}

// NewERC20Portal creates a new instance of ERC20Portal, bound to a specific deployed contract.
func NewERC20Portal(address common.Address, backend bind.ContractBackend) (*ERC20Portal, error) {
	contract, err := bindERC20Portal(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &ERC20Portal{ERC20PortalCaller: ERC20PortalCaller{contract: contract}, ERC20PortalTransactor: ERC20PortalTransactor{contract: contract}, ERC20PortalFilterer: ERC20PortalFilterer{contract: contract}}, nil
}

// NewERC20PortalCaller creates a new read-only instance of ERC20Portal, bound to a specific deployed contract.
func NewERC20PortalCaller(address common.Address, caller bind.ContractCaller) (*ERC20PortalCaller, error) {
	contract, err := bindERC20Portal(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &ERC20PortalCaller{contract: contract}, nil
}

// NewERC20PortalTransactor creates a new write-only instance of ERC20Portal, bound to a specific deployed contract.
func NewERC20PortalTransactor(address common.Address, transactor bind.ContractTransactor) (*ERC20PortalTransactor, error) {
	contract, err := bindERC20Portal(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &ERC20PortalTransactor{contract: contract}, nil
}

// NewERC20PortalFilterer creates a new log filterer instance of ERC20Portal, bound to a specific deployed contract.
func NewERC20PortalFilterer(address common.Address, filterer bind.ContractFilterer) (*ERC20PortalFilterer, error) {
	contract, err := bindERC20Portal(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &ERC20PortalFilterer{contract: contract}, nil
}

// bindERC20Portal binds a generic wrapper to an already deployed contract.
func bindERC20Portal(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := ERC20PortalMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_ERC20Portal *ERC20PortalRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _ERC20Portal.Contract.ERC20PortalCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_ERC20Portal *ERC20PortalRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _ERC20Portal.Contract.ERC20PortalTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_ERC20Portal *ERC20PortalRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _ERC20Portal.Contract.ERC20PortalTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_ERC20Portal *ERC20PortalCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _ERC20Portal.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_ERC20Portal *ERC20PortalTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _ERC20Portal.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_ERC20Portal *ERC20PortalTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _ERC20Portal.Contract.contract.Transact(opts, method, params...)
}

// GetInputBox is a free data retrieval call binding the contract method 0x00aace9a.
//
// Solidity: function getInputBox() view returns(address)
func (_ERC20Portal *ERC20PortalCaller) GetInputBox(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _ERC20Portal.contract.Call(opts, &out, "getInputBox")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// GetInputBox is a free data retrieval call binding the contract method 0x00aace9a.
//
// Solidity: function getInputBox() view returns(address)
func (_ERC20Portal *ERC20PortalSession) GetInputBox() (common.Address, error) {
	return _ERC20Portal.Contract.GetInputBox(&_ERC20Portal.CallOpts)
}

// GetInputBox is a free data retrieval call binding the contract method 0x00aace9a.
//
// Solidity: function getInputBox() view returns(address)
func (_ERC20Portal *ERC20PortalCallerSession) GetInputBox() (common.Address, error) {
	return _ERC20Portal.Contract.GetInputBox(&_ERC20Portal.CallOpts)
}

// DepositERC20Tokens is a paid mutator transaction binding the contract method 0x95854b81.
//
// Solidity: function depositERC20Tokens(address token, address appContract, uint256 value, bytes execLayerData) returns()
func (_ERC20Portal *ERC20PortalTransactor) DepositERC20Tokens(opts *bind.TransactOpts, token common.Address, appContract common.Address, value *big.Int, execLayerData []byte) (*types.Transaction, error) {
	return _ERC20Portal.contract.Transact(opts, "depositERC20Tokens", token, appContract, value, execLayerData)
}

// DepositERC20Tokens is a paid mutator transaction binding the contract method 0x95854b81.
//
// Solidity: function depositERC20Tokens(address token, address appContract, uint256 value, bytes execLayerData) returns()
func (_ERC20Portal *ERC20PortalSession) DepositERC20Tokens(token common.Address, appContract common.Address, value *big.Int, execLayerData []byte) (*types.Transaction, error) {
	return _ERC20Portal.Contract.DepositERC20Tokens(&_ERC20Portal.TransactOpts, token, appContract, value, execLayerData)
}

// DepositERC20Tokens is a paid mutator transaction binding the contract method 0x95854b81.
//
// Solidity: function depositERC20Tokens(address token, address appContract, uint256 value, bytes execLayerData) returns()
func (_ERC20Portal *ERC20PortalTransactorSession) DepositERC20Tokens(token common.Address, appContract common.Address, value *big.Int, execLayerData []byte) (*types.Transaction, error) {
	return _ERC20Portal.Contract.DepositERC20Tokens(&_ERC20Portal.TransactOpts, token, appContract, value, execLayerData)
}
