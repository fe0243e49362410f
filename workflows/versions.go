package workflows

import "go.temporal.io/sdk/workflow"

// Workflow code changes that running histories must survive are guarded by
// workflow.GetVersion (docs/worker.md, versioning policy). Each guarded
// change has a change ID and the version that introduced it, listed here;
// histories recorded before and after it sit in testdata/ and both replay in
// `make test`. A guard is removed only once no run recorded before it can
// exist any more (every run has continued as new since the deploy) — and its
// -v0 history goes with it.
const (
	// ChangeContinueAsNewSuggested: the observer and snapshot maintenance
	// continue as new when the server suggests it (history size or length),
	// with their round cap as the backstop; before it, only the cap ended
	// a run.
	ChangeContinueAsNewSuggested                   = "continue-as-new-suggested"
	VersionContinueAsNewSuggested workflow.Version = 1
)

// runOver reports whether a forever loop's run should end in
// Continue-As-New: at the round cap, or, for runs of version
// VersionContinueAsNewSuggested and later, as soon as the server suggests it
// (the suggestion is part of the recorded workflow task, so a replay sees
// the same answer). A run does at least one round: a server that kept
// suggesting could otherwise chain empty runs forever.
func runOver(ctx workflow.Context, v workflow.Version, rounds, roundsPerRun int) bool {
	if rounds >= roundsPerRun {
		return true
	}
	return v >= VersionContinueAsNewSuggested && rounds > 0 && workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// continueAsNewVersion is the version of ChangeContinueAsNewSuggested this
// run follows: DefaultVersion when replaying a run started by older code,
// else the newest (recorded as a marker).
func continueAsNewVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, ChangeContinueAsNewSuggested, workflow.DefaultVersion, VersionContinueAsNewSuggested)
}
