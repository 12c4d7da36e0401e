// Package stripestub is a stateful stand-in for the part of Stripe's API the
// academy uses, for tests and benchmarks. stripe-mock checks that requests
// are valid but keeps nothing; this keeps customers, products, prices,
// subscriptions, invoices, payment intents, charges and refunds, honours
// idempotency keys, declines when told to, and emits the events Stripe
// would, signed with webhook.GenerateTestSignedPayload and delivered to a
// webhook URL. It speaks Stripe's JSON closely enough for stripe-go v76 and
// no more: it is not a Stripe simulator.
package stripestub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Obj is one Stripe object as JSON.
type Obj = map[string]any

// Server is the stand-in. Its fields are safe to set before use; its
// methods are safe for concurrent use.
type Server struct {
	URL string

	// WebhookURL and WebhookSecret: where and how events are delivered.
	WebhookURL    string
	WebhookSecret string

	srv    *httptest.Server
	client *http.Client

	mu       sync.Mutex
	offset   time.Duration
	seq      int
	objects  map[string]Obj      // by id
	kinds    map[string][]string // object type → ids, oldest first
	idem     map[string]idemEntry
	calls    map[string]int
	events   []Obj
	pending  []Obj             // events not yet delivered
	declines map[string]string // customer or payment method → decline code; "*" declines all
	// action: payment methods that require 3-D Secure: a payment waits in
	// requires_action, a subscription with a trial starts trialing with a
	// pending_setup_intent in requires_action (ConfirmSetup, FailSetup).
	action map[string]bool
	// incomplete: customers or payment methods whose new subscriptions
	// start incomplete ("*": every one), see StartIncomplete.
	incomplete map[string]bool

	// SearchLag makes customer search find nothing, as Stripe's search
	// does for customers created in the last minute.
	searchLag bool
}

type idemEntry struct {
	fingerprint string
	status      int
	body        []byte
}

// New starts a stand-in closed with the test.
func New(t testing.TB) *Server {
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a stand-in; Close it when done.
func Start() *Server {
	s := &Server{
		objects:  map[string]Obj{},
		kinds:    map[string][]string{},
		idem:     map[string]idemEntry{},
		calls:    map[string]int{},
		declines: map[string]string{},
		action: map[string]bool{"pm_card_threeDSecure2Required": true, "pm_card_authenticationRequired": true,
			"pm_card_authenticationRequiredOnSetup": true},
		// A stand-in's own test card (Stripe has no such id): its
		// customer's subscriptions start incomplete.
		incomplete: map[string]bool{"pm_card_incomplete": true},
		client:     &http.Client{Timeout: 30 * time.Second},
	}
	s.declines["pm_card_chargeDeclined"] = "generic_decline"
	s.declines["pm_card_visa_chargeDeclined"] = "generic_decline"
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Now is the stand-in's clock (real time plus Advance).
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

func (s *Server) now() time.Time { return time.Now().Add(s.offset) }

// Advance moves the stand-in's clock forward (events get later created).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	s.offset += d
	s.mu.Unlock()
}

// Decline makes every charge of customerOrPM fail with code (""
// stops declining it); "*" declines every charge.
func (s *Server) Decline(customerOrPM, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		delete(s.declines, customerOrPM)
		return
	}
	s.declines[customerOrPM] = code
}

// StartIncomplete makes new subscriptions of customerOrPM (the
// customer's default payment method counts) start in status incomplete,
// their setup waiting for the family, until Complete; on=false stops it;
// "*" means every subscription. The test card pm_card_incomplete does this
// from the start. Stripe itself starts a subscription with a trial as
// trialing (an authentication it needs waits in pending_setup_intent, which
// the stand-in does for 3-D Secure cards: setup_intents.go): this is a
// switch for tests of the academy's pending path, not Stripe's behaviour
// for such a card.
func (s *Server) StartIncomplete(customerOrPM string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !on {
		delete(s.incomplete, customerOrPM)
		return
	}
	s.incomplete[customerOrPM] = true
}

// SetSearchLag turns Stripe's search lag on or off.
func (s *Server) SetSearchLag(on bool) {
	s.mu.Lock()
	s.searchLag = on
	s.mu.Unlock()
}

// ForgetIdempotencyKeys drops every remembered key, as Stripe does after
// 24 hours.
func (s *Server) ForgetIdempotencyKeys() {
	s.mu.Lock()
	s.idem = map[string]idemEntry{}
	s.mu.Unlock()
}

// Calls counts requests by "METHOD /path" with ids replaced by {id}, and
// the requests that created something by "created <type>".
func (s *Server) Calls(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

// Count is the number of objects of a type ("customer", "subscription"…).
func (s *Server) Count(objectType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.kinds[objectType])
}

// Get returns a copy of an object, nil when unknown.
func (s *Server) Get(id string) Obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.objects[id]; ok {
		return clone(o)
	}
	return nil
}

// All returns copies of every object of a type, oldest first.
func (s *Server) All(objectType string) []Obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Obj{}
	for _, id := range s.kinds[objectType] {
		out = append(out, clone(s.objects[id]))
	}
	return out
}

// -------------------------------------------------------------------
// HTTP

var idSegment = regexp.MustCompile(`^(cus|prod|price|cedarheights_plan|sub|si|pi|ch|re|dp|in|il|seti|bps|evt|pm)_[A-Za-z0-9_]+$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer sk_") {
		writeError(w, 401, "invalid_request_error", "", "Invalid API Key provided.", "")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, 400, "invalid_request_error", "", "Invalid form body.", "")
		return
	}
	params := parseForm(r.Form)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	pattern := make([]string, len(parts))
	for i, p := range parts {
		if idSegment.MatchString(p) && !(i == 2 && p == "search") {
			pattern[i] = "{id}"
		} else {
			pattern[i] = p
		}
	}
	route := r.Method + " /" + strings.Join(pattern, "/")

	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[route]++

	key := r.Header.Get("Idempotency-Key")
	if r.Method == http.MethodPost && key != "" {
		fp := route + "?" + canonical(params)
		if prev, ok := s.idem[key]; ok {
			if prev.fingerprint != fp {
				writeError(w, 400, "idempotency_error", "", "Keys for idempotent requests can only be used with the same parameters they were first used with.", "")
				return
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(prev.status)
			w.Write(prev.body)
			return
		}
		rec := &recorder{header: http.Header{}, status: 200}
		s.route(rec, r, route, parts, params)
		s.idem[key] = idemEntry{fingerprint: fp, status: rec.status, body: rec.body}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.status)
		w.Write(rec.body)
		return
	}
	s.route(w, r, route, parts, params)
}

type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }

func (s *Server) route(w http.ResponseWriter, r *http.Request, route string, parts []string, p Obj) {
	id := ""
	if len(parts) > 2 {
		id = parts[2]
	}
	switch route {
	case "POST /v1/customers":
		s.createCustomer(w, p)
	case "GET /v1/customers/search":
		s.searchCustomers(w, p)
	case "GET /v1/customers/{id}":
		s.retrieve(w, id, "customer")
	case "POST /v1/customers/{id}":
		s.updateCustomer(w, id, p)
	case "GET /v1/products/{id}":
		s.retrieve(w, id, "product")
	case "POST /v1/products":
		s.createProduct(w, p)
	case "POST /v1/products/{id}":
		s.updateSimple(w, id, "product", p, "name", "active")
	case "POST /v1/prices":
		s.createPrice(w, p)
	case "GET /v1/prices/{id}":
		s.retrieve(w, id, "price")
	case "GET /v1/prices":
		keys := strings.Join(strs(p["lookup_keys"]), "\x00")
		s.list(w, r, "price", p, func(o Obj) bool {
			return keys == "" || strings.Contains("\x00"+keys+"\x00", "\x00"+str(o["lookup_key"])+"\x00")
		})
	case "POST /v1/subscriptions":
		s.createSubscription(w, p)
	case "GET /v1/subscriptions/{id}":
		if sub := s.find(id, "subscription"); sub != nil {
			writeJSON(w, 200, s.expanded(sub, p))
		} else {
			writeMissing(w, "subscription", id)
		}
	case "POST /v1/subscriptions/{id}":
		s.updateSubscription(w, id, p)
	case "DELETE /v1/subscriptions/{id}":
		s.cancelSubscription(w, id, p)
	case "POST /v1/payment_methods/{id}/attach":
		s.attachPaymentMethod(w, id, p)
	case "POST /v1/setup_intents":
		s.createSetupIntent(w, p)
	case "GET /v1/setup_intents/{id}":
		s.retrieve(w, id, "setup_intent")
	case "POST /v1/billing_portal/sessions":
		s.createPortalSession(w, p)
	case "POST /v1/payment_intents":
		s.createPaymentIntent(w, p)
	case "GET /v1/payment_intents/{id}":
		s.retrieve(w, id, "payment_intent")
	case "POST /v1/refunds":
		s.createRefund(w, p)
	case "GET /v1/disputes/{id}":
		s.retrieve(w, id, "dispute")
	case "GET /v1/refunds/{id}":
		s.retrieve(w, id, "refund")
	case "GET /v1/refunds":
		charge, pi := str(p["charge"]), str(p["payment_intent"])
		s.list(w, r, "refund", p, func(o Obj) bool {
			return (charge == "" || o["charge"] == charge) && (pi == "" || o["payment_intent"] == pi)
		})
	case "GET /v1/charges":
		customer := str(p["customer"])
		s.list(w, r, "charge", p, func(o Obj) bool { return customer == "" || o["customer"] == customer })
	case "GET /v1/invoices":
		customer, status := str(p["customer"]), str(p["status"])
		s.list(w, r, "invoice", p, func(o Obj) bool {
			return (customer == "" || o["customer"] == customer) && (status == "" || o["status"] == status)
		})
	case "GET /v1/invoices/upcoming":
		s.upcomingInvoice(w, p)
	case "GET /v1/invoices/{id}":
		s.retrieve(w, id, "invoice")
	case "GET /v1/events":
		s.listEvents(w, r, p)
	default:
		writeError(w, 404, "invalid_request_error", "", "Unrecognized request URL ("+route+"): the stand-in does not serve it.", "")
	}
}

// -------------------------------------------------------------------
// Objects

func (s *Server) newID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s_stub%06d", prefix, s.seq)
}

func (s *Server) put(o Obj) Obj {
	id := o["id"].(string)
	if _, ok := s.objects[id]; !ok {
		t := o["object"].(string)
		s.kinds[t] = append(s.kinds[t], id)
		s.calls["created "+t]++
	}
	s.objects[id] = o
	return o
}

func (s *Server) find(id, objectType string) Obj {
	o, ok := s.objects[id]
	if !ok || o["object"] != objectType {
		return nil
	}
	return o
}

func (s *Server) retrieve(w http.ResponseWriter, id, objectType string) {
	o := s.find(id, objectType)
	if o == nil {
		writeMissing(w, objectType, id)
		return
	}
	writeJSON(w, 200, o)
}

func (s *Server) updateSimple(w http.ResponseWriter, id, objectType string, p Obj, fields ...string) {
	o := s.find(id, objectType)
	if o == nil {
		writeMissing(w, objectType, id)
		return
	}
	for _, f := range fields {
		if v, ok := p[f]; ok {
			o[f] = coerce(v)
		}
	}
	if m, ok := p["metadata"].(Obj); ok {
		mergeMetadata(o, m)
	}
	writeJSON(w, 200, o)
}

// list answers a Stripe list, newest first, paged by limit and
// starting_after.
func (s *Server) list(w http.ResponseWriter, r *http.Request, objectType string, p Obj, keep func(Obj) bool) {
	ids := s.kinds[objectType]
	var items []Obj
	for i := len(ids) - 1; i >= 0; i-- {
		o := s.objects[ids[i]]
		if keep(o) && createdIn(o, p) {
			items = append(items, o)
		}
	}
	writeJSON(w, 200, page(r.URL.Path, items, p))
}

func page(path string, items []Obj, p Obj) Obj {
	limit := 10
	if l, err := strconv.Atoi(str(p["limit"])); err == nil && l > 0 && l <= 100 {
		limit = l
	}
	start := 0
	if after := str(p["starting_after"]); after != "" {
		for i, o := range items {
			if o["id"] == after {
				start = i + 1
				break
			}
		}
	}
	end := start + limit
	if end > len(items) {
		end = len(items)
	}
	data := make([]any, 0, end-start)
	for _, o := range items[start:end] {
		data = append(data, o)
	}
	return Obj{"object": "list", "url": path, "has_more": end < len(items), "data": data}
}

func createdIn(o Obj, p Obj) bool {
	c, ok := p["created"].(Obj)
	if !ok {
		return true
	}
	created, _ := o["created"].(int64)
	if v, err := strconv.ParseInt(str(c["gte"]), 10, 64); err == nil && created < v {
		return false
	}
	if v, err := strconv.ParseInt(str(c["gt"]), 10, 64); err == nil && created <= v {
		return false
	}
	if v, err := strconv.ParseInt(str(c["lte"]), 10, 64); err == nil && created > v {
		return false
	}
	if v, err := strconv.ParseInt(str(c["lt"]), 10, 64); err == nil && created >= v {
		return false
	}
	return true
}

// -------------------------------------------------------------------
// Form parsing: stripe-go sends a[b][0][c]=v

func parseForm(values url.Values) Obj {
	root := Obj{}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := splitKey(k)
		node := root
		for i, seg := range path {
			if i == len(path)-1 {
				node[seg] = values.Get(k)
				break
			}
			next, ok := node[seg].(Obj)
			if !ok {
				next = Obj{}
				node[seg] = next
			}
			node = next
		}
	}
	return arrays(root).(Obj)
}

func splitKey(k string) []string {
	i := strings.IndexByte(k, '[')
	if i < 0 {
		return []string{k}
	}
	out := []string{k[:i]}
	for _, seg := range strings.Split(strings.TrimSuffix(k[i+1:], "]"), "][") {
		out = append(out, seg)
	}
	return out
}

// arrays turns maps keyed 0..n-1 into lists.
func arrays(v any) any {
	m, ok := v.(Obj)
	if !ok {
		return v
	}
	for k, child := range m {
		m[k] = arrays(child)
	}
	if len(m) == 0 {
		return m
	}
	list := make([]any, len(m))
	for k, child := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(m) {
			return m
		}
		list[i] = child
	}
	return list
}

func canonical(p Obj) string {
	raw, _ := json.Marshal(p) // map keys are sorted
	return string(raw)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		out = append(out, str(x))
	}
	return out
}

func num(v any) int64 {
	n, _ := strconv.ParseInt(str(v), 10, 64)
	return n
}

func coerce(v any) any {
	switch str(v) {
	case "true":
		return true
	case "false":
		return false
	}
	return v
}

func mergeMetadata(o Obj, m Obj) {
	meta, ok := o["metadata"].(Obj)
	if !ok {
		meta = Obj{}
	}
	for k, v := range m {
		if str(v) == "" {
			delete(meta, k)
		} else {
			meta[k] = v
		}
	}
	o["metadata"] = meta
}

func metadata(p Obj) Obj {
	m, ok := p["metadata"].(Obj)
	if !ok {
		return Obj{}
	}
	out := Obj{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func clone(o Obj) Obj {
	raw, _ := json.Marshal(o)
	out := Obj{}
	_ = json.Unmarshal(raw, &out)
	return normalizeNumbers(out).(Obj)
}

// normalizeNumbers turns JSON float64s back into int64 (amounts and times
// are integers).
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			x[k] = normalizeNumbers(c)
		}
		return x
	case []any:
		for i, c := range x {
			x[i] = normalizeNumbers(c)
		}
		return x
	case float64:
		return int64(x)
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, code, msg, param string, extra ...Obj) {
	e := Obj{"type": typ, "message": msg}
	if code != "" {
		e["code"] = code
	}
	if param != "" {
		e["param"] = param
	}
	for _, x := range extra {
		for k, v := range x {
			e[k] = v
		}
	}
	writeJSON(w, status, Obj{"error": e})
}

func writeMissing(w http.ResponseWriter, objectType, id string) {
	writeError(w, 404, "invalid_request_error", "resource_missing", fmt.Sprintf("No such %s: '%s'", objectType, id), "id")
}
