// Package offers offers a cancelled lesson's slot to the families who can
// use it, by mail with a link, first come first served: first to families
// holding an open make-up credit for a student who plays the lesson's
// instrument, then also to students whose family asked for a different
// weekly time (students.wants_other_time). One acceptance wins; the others
// are told the slot is gone; offers close before the slot starts.
//
//   - workflow.go: the slot_offers workflow and its trigger (a lesson that
//     becomes cancelled far enough ahead starts a run in the cancelling
//     transaction);
//   - timing.go: when offers close and when the second round starts;
//   - candidates.go: who is offered the slot, each checked against the
//     calendar like a real booking;
//   - rounds.go: the two rounds, offers and mails written in the node's
//     checkpoint;
//   - accept.go: an acceptance, decided in the transaction that books;
//   - settle.go: the end of a run: the other families told the slot is
//     gone, or open offers expired (the winner's booking is told by the
//     lesson's own mail, from notify);
//   - letters.go: what the mails say;
//   - view.go: an offer as its link shows it (View, ViewOf); the link's
//     handlers and page (GET /api/v1/offers/{token},
//     POST /api/v1/offers/{token}/accept) are in hooks/offersapi.
//
// offers owns the slot_offers collection and students.wants_other_time's
// meaning. It imports the workflow engine,
// the lesson model (lessons: the guard decides every booking), letters,
// academy, audit and PocketBase; the wiring registers its workflow
// (Workflows) and hooks/offersapi serves its link. Nothing imports it
// but those two.
package offers
