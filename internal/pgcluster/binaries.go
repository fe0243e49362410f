package pgcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MinMajorVersion is the oldest PostgreSQL major version the cluster accepts.
const MinMajorVersion = 15

// debianPGRoot is where Debian/Ubuntu install versioned server binaries;
// they are not on PATH there.
const debianPGRoot = "/usr/lib/postgresql"

// Binaries locates the PostgreSQL server programs a Cluster runs.
type Binaries struct {
	Dir      string // directory holding initdb and postgres
	Initdb   string
	Postgres string
	Major    int // server major version, e.g. 15
}

var versionRe = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+)`)

// FindBinaries locates initdb and postgres (version MinMajorVersion or newer).
// If dir is non-empty only that directory is considered. Otherwise it tries
// the directory of `postgres` found on PATH (symlinks resolved), then
// /usr/lib/postgresql/<version>/bin from the highest version down.
// It is safe for concurrent use.
func FindBinaries(ctx context.Context, dir string) (Binaries, error) {
	var candidates []string
	if dir != "" {
		candidates = []string{dir}
	} else {
		if p, err := exec.LookPath("postgres"); err == nil {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				p = r
			}
			candidates = append(candidates, filepath.Dir(p))
		}
		candidates = append(candidates, debianBinDirs()...)
	}
	if len(candidates) == 0 {
		return Binaries{}, fmt.Errorf("pgcluster: no PostgreSQL server binaries: postgres not on PATH and nothing under %s (install postgresql-%d or newer)", debianPGRoot, MinMajorVersion)
	}
	var reasons []string
	for _, d := range candidates {
		b, err := probeBinDir(ctx, d)
		if err == nil {
			return b, nil
		}
		reasons = append(reasons, err.Error())
	}
	return Binaries{}, fmt.Errorf("pgcluster: no usable PostgreSQL %d+ server binaries: %s", MinMajorVersion, strings.Join(reasons, "; "))
}

// debianBinDirs lists /usr/lib/postgresql/<N>/bin, highest N first.
func debianBinDirs() []string {
	entries, err := os.ReadDir(debianPGRoot)
	if err != nil {
		return nil
	}
	type v struct {
		n   int
		dir string
	}
	var vs []v
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		vs = append(vs, v{n, filepath.Join(debianPGRoot, e.Name(), "bin")})
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].n > vs[j].n })
	dirs := make([]string, len(vs))
	for i := range vs {
		dirs[i] = vs[i].dir
	}
	return dirs
}

func probeBinDir(ctx context.Context, dir string) (Binaries, error) {
	b := Binaries{
		Dir:      dir,
		Initdb:   filepath.Join(dir, "initdb"),
		Postgres: filepath.Join(dir, "postgres"),
	}
	for _, p := range []string{b.Initdb, b.Postgres} {
		st, err := os.Stat(p)
		if err != nil {
			return Binaries{}, fmt.Errorf("%s: %w", dir, err)
		}
		if st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			return Binaries{}, fmt.Errorf("%s: not executable", p)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, b.Postgres, "--version").CombinedOutput()
	if err != nil {
		return Binaries{}, fmt.Errorf("%s --version: %w (%s)", b.Postgres, err, strings.TrimSpace(string(out)))
	}
	m := versionRe.FindSubmatch(out)
	if m == nil {
		return Binaries{}, fmt.Errorf("%s --version: unrecognised output %q", b.Postgres, out)
	}
	b.Major, _ = strconv.Atoi(string(m[1]))
	if b.Major < MinMajorVersion {
		return Binaries{}, fmt.Errorf("%s: version %d is older than %d", dir, b.Major, MinMajorVersion)
	}
	return b, nil
}
