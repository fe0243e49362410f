package bench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times (100 on every
// Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// CPU is the CPU time spent during the load (warm-up included) by each
// party, as a fraction of one core (1.0 = one core busy the whole time).
type CPU struct {
	Serve    float64 `json:"serve_cores"`
	Postgres float64 `json:"postgres_cores"` // -1 when not measurable (--database-url)
	Bench    float64 `json:"bench_cores"`
	// Machine is every core's busy time (/proc/stat); Other is what is left
	// after serve, postgres and the bench: foreign load that skews the run.
	Machine float64 `json:"machine_busy_cores"`
	Other   float64 `json:"other_cores"`
}

// cpuSample is cumulative CPU time per party at one instant.
type cpuSample struct {
	at                     time.Time
	serve, postgres, bench time.Duration
	machine                time.Duration
	postgresOK             bool
}

// sampleCPU reads the serve child's, the postgres server's (postmaster and
// its children, when postmasterPID > 0) and this process's CPU time.
func sampleCPU(servePID, postmasterPID int) cpuSample {
	s := cpuSample{at: time.Now()}
	s.serve, _ = procCPU(servePID)
	if postmasterPID > 0 {
		s.postgres, s.postgresOK = treeCPU(postmasterPID), true
	}
	s.machine, _ = machineBusy()
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.bench = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s
}

// cpuBetween is the CPU use from a to b in cores.
func cpuBetween(a, b cpuSample) CPU {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return CPU{}
	}
	c := CPU{Serve: (b.serve - a.serve).Seconds() / wall, Bench: (b.bench - a.bench).Seconds() / wall, Postgres: -1}
	if a.postgresOK && b.postgresOK {
		c.Postgres = (b.postgres - a.postgres).Seconds() / wall
	}
	c.Machine = (b.machine - a.machine).Seconds() / wall
	c.Other = max(0, c.Machine-c.Serve-c.Bench-max(c.Postgres, 0))
	return c
}

// machineBusy is the busy time of all cores since boot: every /proc/stat
// "cpu" field except idle and iowait (guest time is already in user).
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("parse /proc/stat")
	}
	var busy int64
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		if i == 3 || i == 4 {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * clockTick, nil
}

// procCPU is utime+stime of pid, and its parent's pid.
func procCPU(pid int) (time.Duration, error) {
	cpu, _, err := procStat(pid)
	return cpu, err
}

// procStat parses /proc/<pid>/stat: utime+stime and ppid.
func procStat(pid int) (time.Duration, int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may hold spaces; fields restart after ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	ppid, _ := strconv.Atoi(f[1])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick, ppid, nil
}

// treeCPU sums the CPU time of root and its direct children (PostgreSQL's
// backends and auxiliary processes are all children of the postmaster).
func treeCPU(root int) time.Duration {
	total, _ := procCPU(root)
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == root {
			continue
		}
		if cpu, ppid, err := procStat(pid); err == nil && ppid == root {
			total += cpu
		}
	}
	return total
}

// postmasterPID reads the first line of dataDir/postmaster.pid.
func postmasterPID(dataDir string) int {
	f, err := os.Open(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(sc.Text()))
	return pid
}
