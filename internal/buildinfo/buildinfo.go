// Package buildinfo says which build of the sequencer is running: the
// version, the commit it was built from and the Go toolchain. Both
// processes export it as sequencer_build_info and `sequencer version`
// prints it.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// version is set at link time by a release build:
//
//	go build -ldflags "-X github.com/cartesi/sequencer/internal/buildinfo.version=v1.2.3" ./cmd/sequencer
//
// It is the one variable the linker writes; nothing assigns it at run time.
var version string

// Info describes the running build.
type Info struct {
	// Version is the link-time version, else the module version `go
	// install …@vX` records, else "devel".
	Version string `json:"version"`
	// Commit is the VCS revision the Go toolchain stamped (go build in a
	// git checkout), with "-dirty" when the tree had local changes;
	// "unknown" when not stamped (go test, -buildvcs=false).
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
}

// Read returns the running build's Info.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	return fromBuildInfo(version, bi, ok)
}

func fromBuildInfo(linked string, bi *debug.BuildInfo, ok bool) Info {
	info := Info{Version: linked, Commit: "unknown", GoVersion: runtime.Version()}
	if !ok || bi == nil {
		if info.Version == "" {
			info.Version = "devel"
		}
		return info
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	var revision, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision != "" {
		info.Commit = revision
		if modified == "true" {
			info.Commit += "-dirty"
		}
	}
	return info
}
