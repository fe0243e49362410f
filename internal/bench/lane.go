package bench

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Lane summarises the inclusion lane's group commits during the load, from
// serve's Prometheus metrics (internal port).
type Lane struct {
	Commits        int     `json:"commits"`
	CommitsPerSec  float64 `json:"commits_per_sec"`
	MeanChunkOps   float64 `json:"mean_chunk_ops"`
	MeanCommitMs   float64 `json:"mean_commit_ms"` // execute + write + commit of one chunk
	BusyFraction   float64 `json:"busy_fraction"`  // time inside chunks / wall time
	MetricsMissing bool    `json:"metrics_missing,omitempty"`
}

// laneSample is the cumulative lane counters at one instant.
type laneSample struct {
	at                                       time.Time
	commitSum, commitCount, chunkSum, chunks float64
}

// laneMetrics are the metric names read from /metrics.
var laneMetrics = []string{
	"sequencer_lane_commit_seconds_sum", "sequencer_lane_commit_seconds_count",
	"sequencer_lane_chunk_ops_sum", "sequencer_lane_chunk_ops_count",
}

// scrapeLane reads the lane counters from serve's internal /metrics.
func scrapeLane(internalAddr string) (laneSample, error) {
	s := laneSample{at: time.Now()}
	vals, err := scrapeMetrics(internalAddr, laneMetrics)
	if err != nil {
		return s, err
	}
	if len(vals) != len(laneMetrics) {
		return s, fmt.Errorf("scrape serve metrics: lane metrics not found")
	}
	s.commitSum, s.commitCount = vals[laneMetrics[0]], vals[laneMetrics[1]]
	s.chunkSum, s.chunks = vals[laneMetrics[2]], vals[laneMetrics[3]]
	return s, nil
}

// scrapeMetrics reads the named unlabelled samples from serve's internal
// /metrics; absent ones are absent from the map.
func scrapeMetrics(internalAddr string, names []string) (map[string]float64, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + internalAddr + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("scrape serve metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape serve metrics: HTTP %d", resp.StatusCode)
	}
	return parseMetrics(resp.Body, names)
}

// parseMetrics extracts unlabelled samples of the named metrics from the
// Prometheus text format.
func parseMetrics(r io.Reader, names []string) (map[string]float64, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !want[name] {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			return nil, fmt.Errorf("parse metric %s: %w", name, err)
		}
		out[name] = v
	}
	return out, sc.Err()
}

// laneBetween is the lane's activity from a to b.
func laneBetween(a, b laneSample) Lane {
	wall := b.at.Sub(a.at).Seconds()
	commits := b.commitCount - a.commitCount
	l := Lane{Commits: int(commits)}
	if wall > 0 {
		l.CommitsPerSec = commits / wall
		l.BusyFraction = (b.commitSum - a.commitSum) / wall
	}
	if commits > 0 {
		l.MeanCommitMs = (b.commitSum - a.commitSum) / commits * 1000
	}
	if chunks := b.chunks - a.chunks; chunks > 0 {
		l.MeanChunkOps = (b.chunkSum - a.chunkSum) / chunks
	}
	return l
}

// longestCommitMetric is serve's gauge of the longest lane commit (ops,
// frames with their drains, seals) since the process started.
const longestCommitMetric = "sequencer_lane_longest_commit_seconds"

// scrapeLongestCommit reads longestCommitMetric in milliseconds; nil when
// serve does not export it (a build before the gauge) or the scrape fails,
// reported as n/a rather than failing the run.
func scrapeLongestCommit(internalAddr string) (*float64, error) {
	vals, err := scrapeMetrics(internalAddr, []string{longestCommitMetric})
	if err != nil {
		return nil, err
	}
	v, ok := vals[longestCommitMetric]
	if !ok {
		return nil, nil
	}
	ms := v * 1000
	return &ms, nil
}
