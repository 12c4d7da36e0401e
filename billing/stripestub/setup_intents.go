package stripestub

// setup_intents.go: the SetupIntent Stripe makes for a subscription that
// charges nothing at first (a trial). Stripe starts such a subscription
// trialing, not incomplete; when the card needs the family's authentication
// the subscription's pending_setup_intent is a SetupIntent in
// requires_action, which the family's browser confirms (ConfirmSetup) or
// fails (FailSetup). The stand-in does this for the customers whose default
// payment method requires 3-D Secure (pm_card_threeDSecure2Required,
// pm_card_authenticationRequired, pm_card_authenticationRequiredOnSetup).
// A confirmed SetupIntent stays named by the subscription here: only the
// setup_intent.* events tell the outcome.

// setupIntentFor makes the subscription's SetupIntent for pm, waiting for
// authentication; called with s.mu held.
func (s *Server) setupIntentFor(customer, pm string) Obj {
	id := s.newID("seti")
	si := s.put(Obj{
		"id": id, "object": "setup_intent", "created": s.now().Unix(), "customer": customer,
		"client_secret": id + "_secret_stub", "status": "requires_action", "usage": "off_session",
		"payment_method": pm, "payment_method_types": []any{"card"}, "last_setup_error": nil,
		"next_action":         Obj{"type": "use_stripe_sdk", "use_stripe_sdk": Obj{"type": "three_d_secure_redirect"}},
		"cancellation_reason": nil, "description": nil, "metadata": Obj{}, "livemode": false,
	})
	s.emit("setup_intent.created", si, nil)
	s.emit("setup_intent.requires_action", si, nil)
	return si
}

// SetupIntentOf returns the id of the subscription's pending SetupIntent
// ("" when it has none).
func (s *Server) SetupIntentOf(subscriptionID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.find(subscriptionID, "subscription"); sub != nil {
		return str(sub["pending_setup_intent"])
	}
	return ""
}

// ConfirmSetup completes a SetupIntent waiting for authentication, as the
// family's browser would after 3-D Secure: it succeeds and
// setup_intent.succeeded tells. It reports whether the SetupIntent waited.
func (s *Server) ConfirmSetup(setupIntentID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	si := s.find(setupIntentID, "setup_intent")
	if si == nil || si["status"] != "requires_action" {
		return false
	}
	si["status"], si["next_action"], si["last_setup_error"] = "succeeded", nil, nil
	s.emit("setup_intent.succeeded", si, nil)
	return true
}

// FailSetup fails the authentication of a SetupIntent waiting for it, as
// a family that cancels 3-D Secure or fails it: like Stripe, the
// SetupIntent goes back to requires_payment_method with last_setup_error
// and setup_intent.setup_failed tells. It reports whether the SetupIntent
// waited.
func (s *Server) FailSetup(setupIntentID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	si := s.find(setupIntentID, "setup_intent")
	if si == nil || si["status"] != "requires_action" {
		return false
	}
	si["status"], si["next_action"] = "requires_payment_method", nil
	si["last_setup_error"] = Obj{
		"type": "invalid_request_error", "code": "setup_intent_authentication_failure",
		"message":        "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
		"payment_method": Obj{"id": si["payment_method"], "object": "payment_method", "type": "card"},
	}
	si["payment_method"] = nil
	s.emit("setup_intent.setup_failed", si, nil)
	return true
}
