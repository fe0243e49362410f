//go:build ignore

// gen.go regenerates the bindings in this directory from the npm artifacts
// under <module root>/node_modules. Run it with `go generate ./l1/bindings`
// (or `go run gen.go` from this directory) after `npm ci --ignore-scripts`.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// abigen is pinned to the go-ethereum version in go.mod.
const abigen = "github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10"

type binding struct {
	artifact string // relative to node_modules
	typ      string // Go type name
	out      string // output file
	deploy   bool   // also bind the creation bytecode
}

var bindings = []binding{
	{"@cartesi/rollups/out/InputBox.sol/InputBox.json", "InputBox", "inputbox.go", true},
	{"@cartesi/rollups/out/ERC20Portal.sol/ERC20Portal.json", "ERC20Portal", "erc20portal.go", true},
	{"@cartesi/rollups/out/Inputs.sol/Inputs.json", "Inputs", "inputs.go", false},
	{"@cartesi/rollups/out/Application.sol/Application.json", "Application", "application.go", true},
	{"@cartesi/rollups/out/DataAvailability.sol/DataAvailability.json", "DataAvailability", "dataavailability.go", false},
	{"@openzeppelin/contracts/build/contracts/ERC20PresetFixedSupply.json", "ERC20PresetFixedSupply", "erc20presetfixedsupply.go", true},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	modules := filepath.Join("..", "..", "node_modules")
	if _, err := os.Stat(modules); err != nil {
		return fmt.Errorf("%s missing: run `npm ci --ignore-scripts` at the module root: %w", modules, err)
	}
	tmp, err := os.MkdirTemp("", "bindings-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, b := range bindings {
		abiPath, binPath, err := extract(filepath.Join(modules, b.artifact), tmp, b.typ)
		if err != nil {
			return err
		}
		args := []string{"run", abigen, "--abi", abiPath, "--pkg", "bindings", "--type", b.typ, "--out", b.out}
		if b.deploy {
			args = append(args, "--bin", binPath)
		}
		cmd := exec.Command("go", args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("abigen %s: %w", b.typ, err)
		}
		if err := os.Chmod(b.out, 0o644); err != nil {
			return err
		}
		fmt.Println("generated", b.out)
	}
	return nil
}

// extract writes the artifact's ABI and creation bytecode to files abigen
// reads. Foundry artifacts carry {"bytecode":{"object":"0x…"}}, Hardhat/
// Truffle ones {"bytecode":"0x…"}.
func extract(path, dir, name string) (abiPath, binPath string, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	var art struct {
		ABI      json.RawMessage `json:"abi"`
		Bytecode json.RawMessage `json:"bytecode"`
	}
	if err := json.Unmarshal(raw, &art); err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	var code string
	if err := json.Unmarshal(art.Bytecode, &code); err != nil {
		var obj struct {
			Object string `json:"object"`
		}
		if err := json.Unmarshal(art.Bytecode, &obj); err != nil {
			return "", "", fmt.Errorf("%s: bytecode: %w", path, err)
		}
		code = obj.Object
	}
	abiPath = filepath.Join(dir, name+".abi")
	binPath = filepath.Join(dir, name+".bin")
	if err := os.WriteFile(abiPath, art.ABI, 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(binPath, []byte(code), 0o644); err != nil {
		return "", "", err
	}
	return abiPath, binPath, nil
}
