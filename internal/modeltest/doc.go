// Package modeltest holds a randomized, model-based test (TestModel) that
// plays the adversary against the real sequencer code with a simulated L1
// in-process. Everything lives in the test files; this file only documents
// the package.
//
// Each seed is one schedule on a fresh database (pgtest, cloned from the
// migrated template): a real inclusion lane (hotpath.Lane, tiny batches),
// the worker's real activities (Observe, PlanSubmissionRound,
// SendSubmissionRound, RecoveryFence/Assess, FlushMempool, WaitSynced, Cascade,
// RecoveryResume) run in Temporal's activity test environment, and an
// in-memory L1 (sim_test.go) behind the activities' narrow interfaces: a
// chain of blocks, the submitter's account nonce, a node mempool with geth's
// replacement rule, the InputBox (addInput calldata decoded with the real
// ABI, transactions really signed), safe = latest − lag. The workflows are
// step machines mirroring workflows.BatchSubmitter and workflows.Recovery
// (workflows_test.go), interleaved one activity at a time.
//
// The adversary (model_test.go) picks, per step: user ops through the lane,
// deposits, mining that includes the pooled transaction or any other known
// one at the next nonce (replaced or dropped versions: zombies), delays,
// drops, re-injections, reorgs of unsafe blocks, finality stalls, jumps of
// 850–1550 blocks (past the danger line and MAX_WAIT_BLOCKS), observer
// rounds, submitter and recovery steps, activity attempts that die midway
// (a fault at the k-th L1 call; for a send, possibly after the node took
// it) and are retried at the same step, workflows restarted from their first
// step, lane restarts, and time passing for the sequencer without
// observation. Then an honest phase must settle everything (liveness).
//
// After every step (invariants_test.go), against the database and the
// simulated chain, with the reference scheduler folded over the whole
// InputBox: (a) the expected batch nonce equals the batches accepted, and
// accepted_batches is exactly the fold over the safe inputs (safe_inputs
// mirrors L1 up to the stored safe head); (b) no invalidated batch ever
// executes, and every accepted batch is the valid local batch with that
// nonce; (c) batch by batch, the valid feed equals what the rollup executed
// (direct inputs the backstop forced may only lead the next accepted batch's
// feed); (d) every acknowledged op is in the valid feed at its offset or was
// revoked by a cascade, and every op in the valid feed was acknowledged; (e)
// write-before-broadcast at every send, and after a completed flush the safe
// account nonce passed the watermark. At the end, the rollup's wallet equals
// a replay of the valid feed, and so does the lane's live state.
//
// Determinism: the lane polls, so the model runs it on a virtual clock and,
// after each step that changes what the lane reacts to, waits until the lane
// matches the danger the model computes and its next maintenance pass has
// nothing to do (-strict verifies that prediction by waiting a whole pass).
// The same seed replays the same schedule.
//
//	go test ./internal/modeltest                                   # 200 seeds × 40 steps
//	go test ./internal/modeltest -run TestModel -seeds=5000 -par=6 -keepgoing -v
//	MODELTEST_SEEDS=5000 MODELTEST_FIRST_SEED=10000 go test ./internal/modeltest
//	go test ./internal/modeltest -run TestModel -seed=1234 -v      # replay one, step by step
package modeltest
