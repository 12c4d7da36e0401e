package stripestub

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

// -------------------------------------------------------------------
// Customers

func (s *Server) createCustomer(w http.ResponseWriter, p Obj) {
	c := s.put(Obj{
		"id": s.newID("cus"), "object": "customer", "created": s.now().Unix(), "livemode": false,
		"email": str(p["email"]), "name": str(p["name"]), "metadata": metadata(p), "balance": int64(0),
		"invoice_settings": Obj{"default_payment_method": nil},
	})
	writeJSON(w, 200, c)
}

func (s *Server) updateCustomer(w http.ResponseWriter, id string, p Obj) {
	// The default payment method is kept: StartIncomplete looks at it.
	if c := s.find(id, "customer"); c != nil {
		if is, ok := p["invoice_settings"].(Obj); ok {
			if pm, ok := is["default_payment_method"]; ok {
				c["invoice_settings"] = Obj{"default_payment_method": nilIfEmpty(str(pm))}
			}
		}
	}
	s.updateSimple(w, id, "customer", p, "email", "name")
}

var searchQuery = regexp.MustCompile(`^metadata\['([A-Za-z0-9_]+)'\]:'([^']*)'$`)

func (s *Server) searchCustomers(w http.ResponseWriter, p Obj) {
	m := searchQuery.FindStringSubmatch(str(p["query"]))
	if m == nil {
		writeError(w, 400, "invalid_request_error", "", "The stand-in searches metadata['key']:'value' only.", "query")
		return
	}
	data := []any{}
	if !s.searchLag {
		for _, id := range s.kinds["customer"] {
			c := s.objects[id]
			if meta, _ := c["metadata"].(Obj); str(meta[m[1]]) == m[2] {
				data = append(data, c)
			}
		}
	}
	writeJSON(w, 200, Obj{"object": "search_result", "url": "/v1/customers/search", "has_more": false, "next_page": nil, "data": data})
}

// -------------------------------------------------------------------
// Products and prices

func (s *Server) createProduct(w http.ResponseWriter, p Obj) {
	id := str(p["id"])
	if id == "" {
		id = s.newID("prod")
	}
	if s.objects[id] != nil {
		writeError(w, 400, "invalid_request_error", "resource_already_exists", "Product already exists.", "id")
		return
	}
	writeJSON(w, 200, s.put(Obj{
		"id": id, "object": "product", "created": s.now().Unix(), "name": str(p["name"]), "active": true,
		"metadata": metadata(p), "livemode": false,
	}))
}

func (s *Server) createPrice(w http.ResponseWriter, p Obj) {
	product := str(p["product"])
	if s.find(product, "product") == nil {
		writeMissing(w, "product", product)
		return
	}
	key := str(p["lookup_key"])
	for _, id := range s.kinds["price"] {
		if key != "" && s.objects[id]["lookup_key"] == key {
			writeError(w, 400, "invalid_request_error", "lookup_key_already_exists", "A price with this lookup key exists.", "lookup_key")
			return
		}
	}
	price := Obj{
		"id": s.newID("price"), "object": "price", "created": s.now().Unix(), "active": true, "product": product,
		"unit_amount": num(p["unit_amount"]), "currency": str(p["currency"]), "lookup_key": key,
		"nickname": str(p["nickname"]), "metadata": metadata(p), "type": "one_time", "livemode": false,
	}
	if rec, ok := p["recurring"].(Obj); ok {
		count := num(rec["interval_count"])
		if count == 0 {
			count = 1
		}
		price["type"] = "recurring"
		price["recurring"] = Obj{"interval": str(rec["interval"]), "interval_count": count, "usage_type": "licensed"}
	}
	writeJSON(w, 200, s.put(price))
}

// -------------------------------------------------------------------
// Subscriptions and their invoices

func (s *Server) createSubscription(w http.ResponseWriter, p Obj) {
	customer := str(p["customer"])
	if s.find(customer, "customer") == nil {
		writeMissing(w, "customer", customer)
		return
	}
	items, _ := p["items"].([]any)
	if len(items) != 1 {
		writeError(w, 400, "invalid_request_error", "", "The stand-in takes exactly one item.", "items")
		return
	}
	priceID := str(items[0].(Obj)["price"])
	price := s.find(priceID, "price")
	if price == nil {
		writeMissing(w, "price", priceID)
		return
	}
	now := s.now()
	sub := Obj{
		"id": s.newID("sub"), "object": "subscription", "created": now.Unix(), "customer": customer,
		"metadata": metadata(p), "cancel_at_period_end": false, "cancel_at": nil, "canceled_at": nil,
		"pause_collection": nil, "currency": price["currency"], "livemode": false, "start_date": now.Unix(),
		"pending_setup_intent": nil,
		"items":                Obj{"object": "list", "data": []any{Obj{"id": s.newID("si"), "object": "subscription_item", "price": price, "quantity": int64(1)}}},
	}
	if c := num(p["cancel_at"]); c > 0 {
		sub["cancel_at"] = c
	}
	s.setPeriod(sub, now)
	s.put(sub)

	var extra []Obj
	for _, it := range anyList(p["add_invoice_items"]) {
		if pd, ok := it.(Obj)["price_data"].(Obj); ok {
			extra = append(extra, Obj{"amount": num(pd["unit_amount"]), "description": "One-time item", "currency": str(pd["currency"])})
		}
	}
	if days := num(p["trial_period_days"]); days > 0 {
		end := now.AddDate(0, 0, int(days))
		sub["status"] = "trialing"
		sub["trial_start"], sub["trial_end"] = now.Unix(), end.Unix()
		sub["current_period_end"] = end.Unix()
		if s.startsIncomplete(customer) {
			sub["status"] = "incomplete"
			s.firstInvoiceWaits(sub, nil)
		} else if pm := s.defaultPM(customer); s.action[pm] {
			sub["pending_setup_intent"] = s.setupIntentFor(customer, pm)["id"]
		}
		s.emit("customer.subscription.created", sub, nil)
		s.pendingItems(sub, extra)
		writeJSON(w, 200, s.expanded(sub, p))
		return
	}
	sub["status"] = "incomplete"
	s.emit("customer.subscription.created", sub, nil)
	if s.startsIncomplete(customer) {
		s.firstInvoiceWaits(sub, extra)
		writeJSON(w, 200, s.expanded(sub, p))
		return
	}
	inv := s.invoiceFor(sub, "subscription_create", extra)
	if s.attempt(inv) {
		s.setSubStatus(sub, "active")
	}
	writeJSON(w, 200, s.expanded(sub, p))
}

// startsIncomplete: see StartIncomplete.
func (s *Server) startsIncomplete(customer string) bool {
	pm := s.defaultPM(customer)
	return s.incomplete["*"] || s.incomplete[customer] || (pm != "" && s.incomplete[pm])
}

func (s *Server) defaultPM(customer string) string {
	if c := s.find(customer, "customer"); c != nil {
		if is, ok := c["invoice_settings"].(Obj); ok {
			return str(is["default_payment_method"])
		}
	}
	return ""
}

// expanded is o as answered to a request that asked (expand[]) for some
// of its fields as objects; the stand-in expands the fields it holds ids
// in (pending_setup_intent, latest_invoice), and dotted paths as Stripe
// does (latest_invoice.payment_intent).
func (s *Server) expanded(o Obj, p Obj) Obj {
	fields := strs(p["expand"])
	if len(fields) == 0 {
		return o
	}
	out := clone(o)
	for _, f := range fields {
		s.expandPath(out, strings.Split(f, "."))
	}
	return out
}

// expandPath replaces the id at path[0] of o (a clone) by a clone of its
// object, then goes on inside it.
func (s *Server) expandPath(o Obj, path []string) {
	var inner Obj
	switch v := o[path[0]].(type) {
	case string:
		target, ok := s.objects[v]
		if !ok {
			return
		}
		inner = clone(target)
		o[path[0]] = inner
	case Obj:
		inner = v
	default:
		return
	}
	if len(path) > 1 {
		s.expandPath(inner, path[1:])
	}
}

// Complete finishes the setup of a subscription StartIncomplete left
// incomplete, as the family would: one with a trial goes on trialing,
// one without bills its first invoice (active when paid). It reports
// whether the subscription was waiting.
func (s *Server) Complete(subscriptionID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.find(subscriptionID, "subscription")
	if sub == nil || sub["status"] != "incomplete" {
		return false
	}
	inv := s.find(str(sub["latest_invoice"]), "invoice")
	if inv == nil || inv["status"] != "open" {
		return false
	}
	if !s.attempt(inv) {
		return true
	}
	if end, _ := sub["trial_end"].(int64); end > s.now().Unix() {
		s.setSubStatus(sub, "trialing")
	} else {
		s.setSubStatus(sub, "active")
	}
	return true
}

// firstInvoiceWaits bills an incomplete subscription's first invoice and
// leaves its payment waiting for the family, as Stripe does when the card
// needs 3-D Secure: the invoice open, its PaymentIntent requires_action
// with the client_secret the family's browser confirms. (With a trial
// Stripe would charge nothing now; StartIncomplete is a switch for tests,
// so its first invoice bills the first period all the same.)
func (s *Server) firstInvoiceWaits(sub Obj, extra []Obj) {
	inv := s.invoiceFor(sub, "subscription_create", extra)
	customer := str(sub["customer"])
	pi := s.paymentIntent(customer, inv["amount_due"].(int64), str(inv["currency"]), s.defaultPM(customer), Obj{}, "Invoice "+str(inv["number"]))
	pi["invoice"] = inv["id"]
	pi["status"] = "requires_action"
	pi["next_action"] = Obj{"type": "use_stripe_sdk", "use_stripe_sdk": Obj{"type": "three_d_secure_redirect"}}
	inv["payment_intent"] = pi["id"]
	inv["attempt_count"] = int64(1)
	inv["attempted"] = true
}

func (s *Server) pendingItems(sub Obj, extra []Obj) {
	if len(extra) > 0 {
		sub["_pending_items"] = anySlice(extra)
	}
}

func (s *Server) setPeriod(sub Obj, start time.Time) {
	rec := sub["items"].(Obj)["data"].([]any)[0].(Obj)["price"].(Obj)["recurring"].(Obj)
	n := int(rec["interval_count"].(int64))
	end := start.AddDate(0, n, 0)
	if rec["interval"] == "year" {
		end = start.AddDate(n, 0, 0)
	}
	sub["current_period_start"], sub["current_period_end"] = start.Unix(), end.Unix()
}

func (s *Server) updateSubscription(w http.ResponseWriter, id string, p Obj) {
	sub := s.find(id, "subscription")
	if sub == nil {
		writeMissing(w, "subscription", id)
		return
	}
	if sub["status"] == "canceled" {
		writeError(w, 400, "invalid_request_error", "", "A canceled subscription can only update its cancellation_details and metadata.", "")
		return
	}
	previous := Obj{}
	if v, ok := p["pause_collection"]; ok {
		previous["pause_collection"] = sub["pause_collection"]
		if pc, isObj := v.(Obj); isObj {
			sub["pause_collection"] = Obj{"behavior": str(pc["behavior"]), "resumes_at": nil}
		} else {
			sub["pause_collection"] = nil
		}
	}
	if v, ok := p["cancel_at_period_end"]; ok {
		previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
		sub["cancel_at_period_end"] = str(v) == "true"
	}
	if items, ok := p["items"].([]any); ok && len(items) == 1 {
		it := items[0].(Obj)
		price := s.find(str(it["price"]), "price")
		if price == nil {
			writeMissing(w, "price", str(it["price"]))
			return
		}
		item := sub["items"].(Obj)["data"].([]any)[0].(Obj)
		old := item["price"].(Obj)
		previous["items"] = clone(sub["items"].(Obj))
		item["price"] = price
		if str(p["proration_behavior"]) != "none" {
			sub["_prorations"] = []any{
				Obj{"amount": -old["unit_amount"].(int64) / 2, "description": "Unused time on " + str(old["nickname"]), "proration": true},
				Obj{"amount": price["unit_amount"].(int64) / 2, "description": "Remaining time on " + str(price["nickname"]), "proration": true},
			}
		}
	}
	if m, ok := p["metadata"].(Obj); ok {
		previous["metadata"] = clone(Obj{"m": sub["metadata"]})["m"]
		mergeMetadata(sub, m)
	}
	if len(previous) > 0 {
		s.emit("customer.subscription.updated", sub, previous)
	}
	writeJSON(w, 200, s.expanded(sub, p))
}

func (s *Server) cancelSubscription(w http.ResponseWriter, id string, p Obj) {
	sub := s.find(id, "subscription")
	if sub == nil {
		writeMissing(w, "subscription", id)
		return
	}
	s.cancel(sub)
	writeJSON(w, 200, s.expanded(sub, p))
}

func (s *Server) cancel(sub Obj) {
	sub["status"] = "canceled"
	sub["canceled_at"] = s.now().Unix()
	sub["ended_at"] = s.now().Unix()
	s.emit("customer.subscription.deleted", sub, nil)
}

func (s *Server) setSubStatus(sub Obj, status string) {
	if sub["status"] == status {
		return
	}
	previous := Obj{"status": sub["status"]}
	sub["status"] = status
	s.emit("customer.subscription.updated", sub, previous)
}

// invoiceFor bills the subscription's current period (plus extra items).
func (s *Server) invoiceFor(sub Obj, reason string, extra []Obj) Obj {
	item := sub["items"].(Obj)["data"].([]any)[0].(Obj)
	price := item["price"].(Obj)
	lines := []any{Obj{
		"id": s.newID("il"), "object": "line_item", "amount": price["unit_amount"], "currency": price["currency"],
		"description": "1 × " + str(price["nickname"]), "price": price, "proration": false, "type": "subscription",
		"subscription": sub["id"], "period": Obj{"start": sub["current_period_start"], "end": sub["current_period_end"]},
	}}
	total := price["unit_amount"].(int64)
	for _, x := range extra {
		lines = append(lines, Obj{"id": s.newID("il"), "object": "line_item", "amount": x["amount"], "currency": price["currency"],
			"description": x["description"], "proration": false, "type": "invoiceitem"})
		total += x["amount"].(int64)
	}
	now := s.now()
	id := s.newID("in")
	inv := s.put(Obj{
		"id": id, "object": "invoice", "created": now.Unix(), "customer": sub["customer"], "subscription": sub["id"],
		"subscription_details": Obj{"metadata": sub["metadata"]}, "billing_reason": reason,
		"amount_due": total, "amount_paid": int64(0), "amount_remaining": total, "total": total, "subtotal": total,
		"currency": price["currency"], "status": "open", "attempt_count": int64(0), "attempted": false, "paid": false,
		"next_payment_attempt": nil, "hosted_invoice_url": "https://invoice.stripe.test/" + id,
		"number": strings.ToUpper(id[len(id)-6:]), "payment_intent": nil, "livemode": false,
		"period_start": sub["current_period_start"], "period_end": sub["current_period_end"],
		"lines":              Obj{"object": "list", "data": lines, "has_more": false},
		"status_transitions": Obj{"finalized_at": now.Unix(), "paid_at": nil},
	})
	sub["latest_invoice"] = id
	return inv
}

// MaxAttempts is how many times the stand-in tries an invoice (Stripe's
// Smart Retries default: the first attempt and three retries).
const MaxAttempts = 4

// attempt tries to collect an open invoice; it reports success.
func (s *Server) attempt(inv Obj) bool {
	now := s.now()
	customer := str(inv["customer"])
	amount := inv["amount_due"].(int64)
	// A payment that waited for the family's authentication is the same
	// PaymentIntent, now confirmed; any other attempt makes a new one.
	pi := s.find(str(inv["payment_intent"]), "payment_intent")
	if pi != nil && pi["status"] == "requires_action" {
		delete(pi, "next_action")
	} else {
		pi = s.paymentIntent(customer, amount, str(inv["currency"]), "", Obj{}, "Invoice "+str(inv["number"]))
		pi["invoice"] = inv["id"]
		inv["payment_intent"] = pi["id"]
		inv["attempt_count"] = inv["attempt_count"].(int64) + 1
	}
	inv["attempted"] = true
	sub := s.find(str(inv["subscription"]), "subscription")

	if code := s.declineCode(customer, ""); code != "" {
		pi["status"] = "requires_payment_method"
		pi["last_payment_error"] = Obj{"type": "card_error", "code": "card_declined", "decline_code": code, "message": "Your card was declined."}
		if inv["attempt_count"].(int64) >= MaxAttempts {
			inv["next_payment_attempt"] = nil
		} else {
			inv["next_payment_attempt"] = now.Add(72 * time.Hour).Unix()
		}
		s.emit("payment_intent.payment_failed", pi, nil)
		s.emit("invoice.payment_failed", inv, nil)
		if sub != nil && sub["status"] != "incomplete" {
			if inv["next_payment_attempt"] == nil {
				s.setSubStatus(sub, "unpaid")
			} else {
				s.setSubStatus(sub, "past_due")
			}
		}
		return false
	}
	s.succeed(pi)
	inv["status"] = "paid"
	inv["paid"] = true
	inv["amount_paid"] = amount
	inv["amount_remaining"] = int64(0)
	inv["next_payment_attempt"] = nil
	inv["status_transitions"].(Obj)["paid_at"] = now.Unix()
	s.emit("invoice.paid", inv, nil)
	if sub != nil && sub["status"] != "incomplete" {
		s.setSubStatus(sub, "active")
	}
	return true
}

// Renew starts the subscription's next period and bills it; it returns the
// invoice id. A trial ends this way too.
func (s *Server) Renew(subscriptionID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.find(subscriptionID, "subscription")
	if sub == nil || sub["status"] == "canceled" {
		return ""
	}
	if sub["cancel_at_period_end"] == true {
		s.cancel(sub)
		return ""
	}
	if sub["status"] == "trialing" {
		s.setSubStatus(sub, "active")
	}
	s.setPeriod(sub, time.Unix(sub["current_period_end"].(int64), 0))
	var extra []Obj
	for _, x := range anyList(sub["_pending_items"]) {
		extra = append(extra, x.(Obj))
	}
	delete(sub, "_pending_items")
	delete(sub, "_prorations")
	inv := s.invoiceFor(sub, "subscription_cycle", extra)
	if pc, ok := sub["pause_collection"].(Obj); ok && pc["behavior"] == "void" {
		inv["status"] = "void"
		return str(inv["id"])
	}
	s.attempt(inv)
	return str(inv["id"])
}

// Retry makes Stripe's next automatic attempt at an open invoice; it
// reports success.
func (s *Server) Retry(invoiceID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := s.find(invoiceID, "invoice")
	if inv == nil || inv["status"] != "open" {
		return false
	}
	return s.attempt(inv)
}

// -------------------------------------------------------------------
// Payment intents, charges, refunds

func (s *Server) declineCode(customer, pm string) string {
	if c := s.declines["*"]; c != "" {
		return c
	}
	if c := s.declines[pm]; c != "" && pm != "" {
		return c
	}
	return s.declines[customer]
}

func (s *Server) paymentIntent(customer string, amount int64, currency, pm string, meta Obj, description string) Obj {
	id := s.newID("pi")
	return s.put(Obj{
		"id": id, "object": "payment_intent", "created": s.now().Unix(), "amount": amount, "amount_received": int64(0),
		"currency": currency, "customer": customer, "payment_method": nilIfEmpty(pm), "metadata": meta,
		"description": description, "status": "requires_confirmation", "client_secret": id + "_secret_stub",
		"invoice": nil, "latest_charge": nil, "last_payment_error": nil, "livemode": false,
		"payment_method_types": []any{"card"},
	})
}

func (s *Server) succeed(pi Obj) {
	ch := s.put(Obj{
		"id": s.newID("ch"), "object": "charge", "created": s.now().Unix(), "amount": pi["amount"],
		"amount_captured": pi["amount"], "amount_refunded": int64(0), "captured": true, "refunded": false,
		"currency": pi["currency"], "customer": pi["customer"], "payment_intent": pi["id"], "invoice": pi["invoice"],
		"status": "succeeded", "paid": true, "metadata": pi["metadata"], "livemode": false,
	})
	pi["status"] = "succeeded"
	pi["amount_received"] = pi["amount"]
	pi["latest_charge"] = ch["id"]
	pi["last_payment_error"] = nil
	s.emit("payment_intent.succeeded", pi, nil)
}

func (s *Server) createPaymentIntent(w http.ResponseWriter, p Obj) {
	amount := num(p["amount"])
	if amount < 50 {
		writeError(w, 400, "invalid_request_error", "amount_too_small", "Amount must be at least 50 cents.", "amount")
		return
	}
	customer := str(p["customer"])
	if customer != "" && s.find(customer, "customer") == nil {
		writeMissing(w, "customer", customer)
		return
	}
	pm := str(p["payment_method"])
	pi := s.paymentIntent(customer, amount, str(p["currency"]), pm, metadata(p), str(p["description"]))
	if str(p["confirm"]) != "true" {
		pi["status"] = "requires_payment_method"
		writeJSON(w, 200, pi)
		return
	}
	if code := s.declineCode(customer, pm); code != "" {
		pi["status"] = "requires_payment_method"
		pi["last_payment_error"] = Obj{"type": "card_error", "code": "card_declined", "decline_code": code, "message": "Your card was declined."}
		s.emit("payment_intent.payment_failed", pi, nil)
		writeError(w, 402, "card_error", "card_declined", "Your card was declined.", "", Obj{"decline_code": code, "payment_intent": pi})
		return
	}
	if s.action[pm] {
		pi["status"] = "requires_action"
		pi["next_action"] = Obj{"type": "use_stripe_sdk", "use_stripe_sdk": Obj{"type": "three_d_secure_redirect"}}
		writeJSON(w, 200, pi)
		return
	}
	s.succeed(pi)
	writeJSON(w, 200, pi)
}

// CompleteAction finishes a payment waiting for 3-D Secure, as the
// family's browser would.
func (s *Server) CompleteAction(paymentIntentID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.find(paymentIntentID, "payment_intent")
	if pi != nil && pi["status"] == "requires_action" {
		delete(pi, "next_action")
		s.succeed(pi)
	}
}

func (s *Server) createRefund(w http.ResponseWriter, p Obj) {
	piID := str(p["payment_intent"])
	pi := s.find(piID, "payment_intent")
	if pi == nil {
		writeMissing(w, "payment_intent", piID)
		return
	}
	ch := s.find(str(pi["latest_charge"]), "charge")
	if ch == nil {
		writeError(w, 400, "invalid_request_error", "charge_not_refundable", "This PaymentIntent has no successful charge.", "payment_intent")
		return
	}
	left := ch["amount_captured"].(int64) - ch["amount_refunded"].(int64)
	amount := num(p["amount"])
	if amount == 0 {
		amount = left
	}
	if amount <= 0 || amount > left {
		writeError(w, 400, "invalid_request_error", "amount_too_large", "Refund amount is greater than the unrefunded amount on the charge.", "amount")
		return
	}
	re := s.put(Obj{
		"id": s.newID("re"), "object": "refund", "created": s.now().Unix(), "amount": amount, "currency": ch["currency"],
		"charge": ch["id"], "payment_intent": piID, "status": "succeeded", "reason": nilIfEmpty(str(p["reason"])),
		"metadata": metadata(p),
	})
	previous := Obj{"amount_refunded": ch["amount_refunded"], "refunded": ch["refunded"]}
	ch["amount_refunded"] = ch["amount_refunded"].(int64) + amount
	ch["refunded"] = ch["amount_refunded"] == ch["amount_captured"]
	s.emit("charge.refunded", ch, previous)
	writeJSON(w, 200, re)
}

// RefundOutside refunds a charge as the Stripe dashboard would: no call of
// ours made it, only the charge.refunded event tells.
func (s *Server) RefundOutside(paymentIntentID string, amount int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &recorder{header: http.Header{}}
	s.createRefund(rec, Obj{"payment_intent": paymentIntentID, "amount": itoa(amount)})
	return paymentIntentID
}

// FailRefund fails a refund as Stripe does when the bank rejects it after
// the fact: the money comes back to the charge (amount_refunded drops)
// and charge.refund.updated tells.
func (s *Server) FailRefund(refundID, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	re := s.find(refundID, "refund")
	if re == nil || re["status"] == "failed" {
		return
	}
	re["status"], re["failure_reason"] = "failed", reason
	if ch := s.find(str(re["charge"]), "charge"); ch != nil {
		ch["amount_refunded"] = ch["amount_refunded"].(int64) - re["amount"].(int64)
		ch["refunded"] = false
	}
	s.emit("charge.refund.updated", re, Obj{"status": "succeeded"})
}

// Dispute opens a dispute on a payment's charge as a family's bank would:
// an inquiry (warning_needs_response) moves no money, a dispute
// (needs_response) takes the amount back. It returns the dispute's id.
func (s *Server) Dispute(paymentIntentID, reason string, inquiry bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.find(paymentIntentID, "payment_intent")
	if pi == nil {
		return ""
	}
	ch := s.find(str(pi["latest_charge"]), "charge")
	status := "needs_response"
	if inquiry {
		status = "warning_needs_response"
	}
	dp := s.put(Obj{
		"id": s.newID("dp"), "object": "dispute", "created": s.now().Unix(), "amount": ch["amount_captured"],
		"currency": ch["currency"], "charge": ch["id"], "payment_intent": paymentIntentID, "reason": reason,
		"status": status, "is_charge_refundable": false, "livemode": false, "metadata": Obj{},
		"evidence_details": Obj{"due_by": s.now().Add(7 * 24 * time.Hour).Unix(), "has_evidence": false, "past_due": false, "submission_count": int64(0)},
	})
	ch["disputed"] = true
	s.emit("charge.dispute.created", dp, nil)
	return str(dp["id"])
}

// SetDisputeStatus moves a dispute on (under_review, won, lost,
// warning_closed, …) and sends charge.dispute.closed for the final ones,
// charge.dispute.updated otherwise.
func (s *Server) SetDisputeStatus(disputeID, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dp := s.find(disputeID, "dispute")
	if dp == nil {
		return
	}
	previous := Obj{"status": dp["status"]}
	dp["status"] = status
	switch status {
	case "won", "lost", "warning_closed":
		s.emit("charge.dispute.closed", dp, previous)
	default:
		s.emit("charge.dispute.updated", dp, previous)
	}
}

// -------------------------------------------------------------------
// Setup intents, portal, upcoming invoices

func (s *Server) createSetupIntent(w http.ResponseWriter, p Obj) {
	customer := str(p["customer"])
	if s.find(customer, "customer") == nil {
		writeMissing(w, "customer", customer)
		return
	}
	id := s.newID("seti")
	writeJSON(w, 200, s.put(Obj{
		"id": id, "object": "setup_intent", "created": s.now().Unix(), "customer": customer,
		"client_secret": id + "_secret_stub", "status": "requires_payment_method", "usage": str(p["usage"]),
		"metadata": metadata(p), "livemode": false,
	}))
}

// attachPaymentMethod attaches a card to a customer; like Stripe, it
// checks the card first and refuses one that declines (402 card_error).
func (s *Server) attachPaymentMethod(w http.ResponseWriter, id string, p Obj) {
	customer := str(p["customer"])
	if s.find(customer, "customer") == nil {
		writeMissing(w, "customer", customer)
		return
	}
	if code := s.declineCode(customer, id); code != "" {
		writeError(w, 402, "card_error", "card_declined", "Your card was declined.", "", Obj{"decline_code": code})
		return
	}
	pm := s.find(id, "payment_method")
	if pm == nil {
		pm = s.put(Obj{"id": id, "object": "payment_method", "created": s.now().Unix(), "type": "card",
			"card": Obj{"brand": "visa", "last4": "4242"}, "livemode": false})
	}
	pm["customer"] = customer
	writeJSON(w, 200, pm)
}

func (s *Server) createPortalSession(w http.ResponseWriter, p Obj) {
	customer := str(p["customer"])
	if s.find(customer, "customer") == nil {
		writeMissing(w, "customer", customer)
		return
	}
	id := s.newID("bps")
	writeJSON(w, 200, s.put(Obj{
		"id": id, "object": "billing_portal.session", "created": s.now().Unix(), "customer": customer,
		"return_url": nilIfEmpty(str(p["return_url"])), "url": "https://billing.stripe.test/session/" + id, "livemode": false,
	}))
}

func (s *Server) upcomingInvoice(w http.ResponseWriter, p Obj) {
	subID := str(p["subscription"])
	sub := s.find(subID, "subscription")
	if sub == nil || sub["status"] == "canceled" || sub["cancel_at_period_end"] == true {
		writeError(w, 404, "invalid_request_error", "invoice_upcoming_none", "No upcoming invoices for customer.", "")
		return
	}
	price := sub["items"].(Obj)["data"].([]any)[0].(Obj)["price"].(Obj)
	start := time.Unix(sub["current_period_end"].(int64), 0)
	next := Obj{"items": sub["items"]}
	s.setPeriod(next, start)
	lines := []any{}
	total := int64(0)
	for _, pr := range anyList(sub["_prorations"]) {
		l := clone(pr.(Obj))
		l["object"], l["currency"] = "line_item", price["currency"]
		l["period"] = Obj{"start": sub["current_period_start"], "end": sub["current_period_end"]}
		lines = append(lines, l)
		total += l["amount"].(int64)
	}
	for _, x := range anyList(sub["_pending_items"]) {
		l := clone(x.(Obj))
		l["object"], l["proration"] = "line_item", false
		lines = append(lines, l)
		total += l["amount"].(int64)
	}
	lines = append(lines, Obj{
		"object": "line_item", "amount": price["unit_amount"], "currency": price["currency"], "price": price,
		"description": "1 × " + str(price["nickname"]), "proration": false, "type": "subscription",
		"period": Obj{"start": next["current_period_start"], "end": next["current_period_end"]},
	})
	total += price["unit_amount"].(int64)
	writeJSON(w, 200, Obj{
		"object": "invoice", "customer": sub["customer"], "subscription": subID, "currency": price["currency"],
		"amount_due": total, "total": total, "subtotal": total, "status": "draft", "created": s.now().Unix(),
		"next_payment_attempt": sub["current_period_end"], "period_start": sub["current_period_start"],
		"period_end": sub["current_period_end"], "lines": Obj{"object": "list", "data": lines, "has_more": false},
	})
}

func nilIfEmpty(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

func anySlice(objs []Obj) []any {
	out := make([]any, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}

func itoa(n int64) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{digits[n%10]}, b...)
		n /= 10
	}
	return string(b)
}

// Cancel cancels a subscription at once, as the dashboard would.
func (s *Server) Cancel(subscriptionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.find(subscriptionID, "subscription"); sub != nil && sub["status"] != "canceled" {
		s.cancel(sub)
	}
}
