// Package store is the sequencer's Postgres persistence (pgx v5), one file
// per writer role: lane.go for the inclusion lane (the only writer of
// batches, frames, user ops and the replay order in normal operation),
// danger.go and feed.go/snapshots.go for read-only views. The schema's
// triggers and constraints (migrations/) enforce the invariants; this
// package only shapes queries.
package store
