package audit

import (
	"context"

	"github.com/pocketbase/pocketbase/core"
)

// RunInTransaction runs fn in a transaction whose writes are recorded as
// actor: the txApp fn receives stamps actor on every record it saves or
// deletes that carries no stamp of its own. Route handlers that save
// records themselves use it (with RequestActor) instead of
// app.RunInTransaction; fn must use only txApp.
func RunInTransaction(app core.App, actor Actor, fn func(txApp core.App) error) error {
	return app.RunInTransaction(func(txApp core.App) error {
		return fn(actingAs(txApp, actor))
	})
}

// actorApp is an app whose record writes are recorded as actor. Only the
// write methods and RunInTransaction (so nested transactions and
// PocketBase's cascade deletes keep the actor) differ from the app it
// wraps.
type actorApp struct {
	core.App
	actor Actor
}

func actingAs(app core.App, actor Actor) core.App {
	if a, ok := app.(*actorApp); ok {
		app = a.App
	}
	return &actorApp{App: app, actor: actor}
}

// actorOf is the actor app writes as, if it is an actorApp.
func actorOf(app core.App) (Actor, bool) {
	a, ok := app.(*actorApp)
	if !ok {
		return Actor{}, false
	}
	return a.actor, true
}

// stamped runs write with m stamped with a's actor, unless m is not a
// record or already carries a stamp.
func (a *actorApp) stamped(m core.Model, write func() error) error {
	var r *core.Record
	switch v := m.(type) {
	case *core.Record:
		r = v
	case core.RecordProxy:
		r = v.ProxyRecord()
	}
	if r == nil {
		return write()
	}
	if _, ok := stampOf(r); ok {
		return write()
	}
	setStamp(r, a.actor)
	defer clearStamp(r)
	return write()
}

func (a *actorApp) RunInTransaction(fn func(txApp core.App) error) error {
	return a.App.RunInTransaction(func(txApp core.App) error {
		return fn(actingAs(txApp, a.actor))
	})
}

func (a *actorApp) Save(m core.Model) error {
	return a.stamped(m, func() error { return a.App.Save(m) })
}

func (a *actorApp) SaveWithContext(ctx context.Context, m core.Model) error {
	return a.stamped(m, func() error { return a.App.SaveWithContext(ctx, m) })
}

func (a *actorApp) SaveNoValidate(m core.Model) error {
	return a.stamped(m, func() error { return a.App.SaveNoValidate(m) })
}

func (a *actorApp) SaveNoValidateWithContext(ctx context.Context, m core.Model) error {
	return a.stamped(m, func() error { return a.App.SaveNoValidateWithContext(ctx, m) })
}

func (a *actorApp) Delete(m core.Model) error {
	return a.stamped(m, func() error { return a.App.Delete(m) })
}

func (a *actorApp) DeleteWithContext(ctx context.Context, m core.Model) error {
	return a.stamped(m, func() error { return a.App.DeleteWithContext(ctx, m) })
}
