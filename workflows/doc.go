// Package workflows is a durable workflow engine: DAG workflows defined in
// Go, run by a worker pool inside the PocketBase process and checkpointed
// in PocketBase collections (workflow_runs, workflow_steps,
// workflow_events, workflow_schedules, email_outbox).
//
// A definition is typed: Define(name, version, init, nodes...) takes the
// run's input type and a state type that every node reads and extends.
// Nodes are tasks, routers (a branch by name, with a required fallback),
// joins (wait for every predecessor), sleeps (durable timers) and waits
// (an external event with a correlation key, or a timeout branch, its
// deadline optionally taken from the state with Until); a task
// may name a compensating task. Registration rejects graphs with unknown
// nodes, cycles, unreachable nodes, routers without a fallback and joins
// with a single predecessor.
//
// Guarantees: a run is committed before Start returns; each node's
// completion, the new state and the next ready nodes are written in one
// transaction together with the database writes the node asked for
// (Step.Write), so local effects happen exactly once. Calls outside the
// process happen at least once; they carry Step.IdempotencyKey (run id and
// node, the same on every attempt) so the other side can deduplicate. Mail
// goes through the outbox (EnqueueMail), never straight from a node. Quick
// tasks in a row without writes commit together (exec_chain.go): such a
// task's checkpoint is held for at most 2 ms while the next task runs, so
// after a crash in that window both run again.
//
// Runs start explicitly (Start), from a record created or updated
// (OnRecordCreate, OnRecordUpdate: in the write's transaction), from an
// event (OnSignal) or on a cron schedule (Schedule).
//
// The package is the engine only and knows nothing of the academy: the
// academy's workflows live with their capabilities (notify, billing), which
// register them on a Registry; the wiring builds the registry and the
// engine (NewEngine). Nothing registers itself from init. The package owns
// its collections and the /api/v1/workflows semantics; the HTTP handlers
// live in hooks/workflowsapi and the CLI in cli/. It imports PocketBase only.
package workflows
