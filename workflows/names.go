package workflows

import (
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"go.temporal.io/sdk/workflow"
)

// Identity is what one deployment is: one application on one chain. Two
// deployments may share a Temporal namespace; their names (Names) differ
// because their identities do.
type Identity struct {
	ChainID uint64
	App     common.Address
}

// Names are a deployment's Temporal names: its task queue and the IDs of its
// workflows. Scoping them by identity keeps two deployments in one namespace
// apart: neither attaches to the other's workflows nor takes the other's
// tasks (a recovery started for one never runs its cascade against the
// other's database).
type Names struct {
	TaskQueue string // sequencer-<chain id>-<app, lowercase 0x hex>
	Observer  string // <task queue>/l1-observer
	Submitter string // <task queue>/batch-submitter
	Snapshot  string // <task queue>/snapshot-maintenance
	Recovery  string // <task queue>/recovery
	FeeOracle string // <task queue>/fee-oracle
}

// NamesFor derives a deployment's names from its identity. It is the one
// place they are built: the worker, the CLI and (through the task queue,
// see namesIn) the workflows themselves all use it. Readable in the
// Temporal UI, e.g. sequencer-31337-0xab…cd/batch-submitter.
func NamesFor(id Identity) Names {
	return namesOf(fmt.Sprintf("sequencer-%d-%s", id.ChainID, strings.ToLower(id.App.Hex())))
}

func namesOf(taskQueue string) Names {
	return Names{
		TaskQueue: taskQueue,
		Observer:  taskQueue + "/l1-observer",
		Submitter: taskQueue + "/batch-submitter",
		Snapshot:  taskQueue + "/snapshot-maintenance",
		Recovery:  taskQueue + "/recovery",
		FeeOracle: taskQueue + "/fee-oracle",
	}
}

// namesIn returns the names of the deployment the running workflow belongs
// to. The worker starts every workflow on the task queue NamesFor derived
// from its identity, and a child or Continue-As-New inherits it, so the task
// queue carries the scope: no workflow input has to (and none can get it
// wrong).
func namesIn(ctx workflow.Context) Names {
	return namesOf(workflow.GetInfo(ctx).TaskQueueName)
}
