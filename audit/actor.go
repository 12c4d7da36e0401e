package audit

import (
	"context"

	"github.com/pocketbase/pocketbase/core"
)

// Actor is who a write is recorded as.
type Actor struct {
	Name      string // "users:<id>", "_superusers:<id>", "guest" or "system"
	RequestID string // the request's id, when it came through HTTP
	IP        string // the caller's address, when it came through HTTP
}

// System is the actor of writes no caller asked for: CLI, migrations,
// workflows, webhooks.
var System = Actor{Name: "system"}

// guest is the actor of an anonymous request, i.e. self sign-up.
const guest = "guest"

// RequestIDKey is where the request id sits in the RequestEvent store
// (hooks' request log sets it); the audit log records it.
const RequestIDKey = "requestId"

// RequestActor is the caller of e: its signed-in record, else guest.
func RequestActor(e *core.RequestEvent) Actor {
	name := guest
	if e.Auth != nil {
		name = e.Auth.Collection().Name + ":" + e.Auth.Id
	}
	requestID, _ := e.Get(RequestIDKey).(string)
	return Actor{Name: name, RequestID: requestID, IP: e.RealIP()}
}

type actorKey struct{}

// ContextWithActor returns ctx carrying actor, for code that writes on a
// caller's behalf outside its handler (billing's route calls).
func ContextWithActor(ctx context.Context, actor Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFromContext is the actor ctx carries, else System.
func ActorFromContext(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// stampKey holds a record's actor as custom record data: field names are
// \w+ so it never clashes with a field, it is exported neither to the DB
// nor to JSON, and the API's upsert form loads known fields only, so a
// client cannot forge it (nor can other packages: stamp is unexported).
const stampKey = "@audit"

type stamp struct{ actor Actor }

func stampOf(r *core.Record) (Actor, bool) {
	s, ok := r.GetRaw(stampKey).(stamp)
	return s.actor, ok
}

func setStamp(r *core.Record, actor Actor) { r.Set(stampKey, stamp{actor}) }

// clearStamp removes a stamp (a nil value is no stamp), so a record object
// reused later is not recorded as an earlier actor.
func clearStamp(r *core.Record) { r.Set(stampKey, nil) }

// EventActor is who writes e's record: its stamp, else the actor of the app
// it is written through, else System.
func EventActor(e *core.RecordEvent) Actor {
	a, _ := actorFor(e)
	return a
}
