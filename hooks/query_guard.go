package hooks

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/dbutils"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

const (
	queryGuardMiddlewareId = "academyQueryGuard"
	// After PocketBase's own middlewares (the auth token is loaded).
	queryGuardPriority = 5
)

// queryCostGuard refuses, with a 400 naming the parameter, a filter, sort
// or expand that follows more relations than query_cost.go allows, on every
// route (the record API and the auth routes take them; our /api/v1 routes
// map ?sort= through an allowlist and pass). Superusers are exempt: their
// queries are bounded by the deadline alone.
func queryCostGuard() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       queryGuardMiddlewareId,
		Priority: queryGuardPriority,
		Func: func(e *core.RequestEvent) error {
			if e.HasSuperuserAuth() {
				return e.Next()
			}
			if errs := queryParamErrors(e.Request.URL.Query().Get, indexedIn(e.App)); errs != nil {
				return e.BadRequestError("The query follows too many relations.", errs)
			}
			return e.Next()
		},
	}
}

// guardRealtimeOptions applies the same limits to realtime subscriptions,
// whose options carry a filter and an expand evaluated on every change of
// the subscribed collection.
func guardRealtimeOptions(e *core.RealtimeSubscribeRequestEvent) error {
	if e.HasSuperuserAuth() {
		return e.Next()
	}
	for _, topic := range e.Subscriptions {
		if errs := queryParamErrors(subscriptionQuery(topic), indexedIn(e.App)); errs != nil {
			return e.BadRequestError("A subscription's query follows too many relations.", errs)
		}
	}
	return e.Next()
}

// subscriptionQuery reads a topic's `?options={"query":{…}}` with
// PocketBase's own subscription parser, so both read the same values.
func subscriptionQuery(topic string) func(string) string {
	client := subscriptions.NewDefaultClient()
	client.Subscribe(topic)
	query := client.Subscriptions()[topic].Query
	return func(param string) string { return query[param] }
}

// indexedIn reads the back-relation indexes from app's cached collections.
func indexedIn(app core.App) backRelIndexed {
	return func(collection, field string) bool {
		c, err := app.FindCachedCollectionByNameOrId(collection)
		if err != nil || c.Fields.GetByName(field) == nil {
			return true
		}
		for _, raw := range c.Indexes {
			if idx := dbutils.ParseIndex(raw); len(idx.Columns) > 0 && strings.EqualFold(idx.Columns[0].Name, field) {
				return true
			}
		}
		return false
	}
}
