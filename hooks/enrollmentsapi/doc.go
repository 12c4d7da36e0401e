// Package enrollmentsapi serves /api/v1/enrollments (start, match,
// cancel) and the public enrollment of a new family: each starts or
// compensates the enrollment workflow and answers with the run.
//
// It imports hooks (the plumbing), workflowsapi (the answer to a run),
// enrollment, matching and workflows.
package enrollmentsapi
