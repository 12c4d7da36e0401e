// Package workflowsapi serves /api/v1/workflows over the workflow engine:
// runs listed, viewed, started, retried, resumed, cancelled, events
// signalled, trial confirmations; and the answer to a run (RouteWait,
// AwaitAndRespond, WorkflowError) that enrollmentsapi gives too.
//
// It imports hooks (the plumbing), notify and workflows.
package workflowsapi
