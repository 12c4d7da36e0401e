// Package doctor checks the invariants of a live academy: it reads the
// database (never writes it) and lists every record that breaks a rule the
// rest of the code is supposed to keep, with the rule's stable code, the ids
// involved and a sentence for a person.
//
// One file per group of invariants:
//
//   - overlaps.go: no two live lessons overlap for a teacher (with the
//     academy's buffer), a student or a room;
//   - placement.go: every live lesson fits its teacher's availability,
//     instruments and lengths and lies outside time off and closures;
//     a lesson that a later change of those left behind needs attention;
//   - lifecycle.go: lesson states as the lifecycle allows them;
//   - credits.go: make-up credits, each from an allowed cancellation, none
//     spent twice;
//   - money.go: billing's reconciliation (not repeated here) plus the
//     ledger checks it does not make;
//   - runs.go: every unfinished workflow run has something that will move
//     it (a lease, a timer, an awaited event);
//   - outbox.go: every outbox message sent, queued, or retrying with a
//     reason;
//   - audit.go: every record of an audited collection has its create entry.
//
// Two severities: a violation breaks an invariant the code must keep (the
// CLI exits non-zero); attention marks a state that is allowed but needs a
// person (a lesson a later closure left behind, a run whose worker died, a
// message given up). Heavy checks run as SQL over the collections'
// indexes so a school year of lessons takes seconds.
//
// doctor imports academy (the settings), scheduling (the rules), lessons
// (the lesson length bound, the teacher's offered lengths), billing (its
// reconciliation) and audit (the audited collections); it reads the
// workflow and outbox collections by their stored statuses. Only the CLI
// and the HTTP route import it.
package doctor
