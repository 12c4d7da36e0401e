package authapi

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"cedarheights/hooks"
)

// auth.go: the seed's /auth routes mapped onto PocketBase auth for the
// `users` collection. Tokens are PocketBase's own, so a token from
// /auth/login works with the SDK and the record API and vice versa. The
// routes stay under /auth so the rate limiter can give them a strict rule.

// loginForm is the seed's login body.
type loginForm struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (f loginForm) validate() error {
	return validation.ValidateStruct(&f,
		validation.Field(&f.Email, validation.Required, validation.Length(1, 255), is.EmailFormat),
		validation.Field(&f.Password, validation.Required, validation.Length(1, 255)),
	)
}

// Login is PocketBase's password auth for `users` under the seed's path: it
// runs the same OnRecordAuthWithPasswordRequest hooks and answers
// apis.RecordAuthResponse ({token, record}); wrong credentials get the same
// 400 whether the e-mail exists or not. PocketBase's handler is not public;
// TestLoginMatchesPasswordAuth pins this copy to its endpoint.
func Login(e *core.RequestEvent) error {
	users, err := e.App.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return e.InternalServerError("", err)
	}
	if !users.PasswordAuth.Enabled {
		return e.ForbiddenError("Password authentication is disabled.", nil)
	}
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	form := loginForm{Email: b.Str("email"), Password: b.Str("password")}
	b.AddAll(form.validate(), "email")
	if err := b.Check(e); err != nil {
		return err
	}

	e.Set(core.RequestEventKeyInfoContext, core.RequestInfoContextPasswordAuth)
	record, err := e.App.FindAuthRecordByEmail(users, form.Email)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return e.InternalServerError("", err)
	}

	event := new(core.RecordAuthWithPasswordRequestEvent)
	event.RequestEvent = e
	event.Collection = users
	event.Record = record
	event.Identity = form.Email
	event.Password = form.Password
	event.IdentityField = core.FieldNameEmail

	return e.App.OnRecordAuthWithPasswordRequest().Trigger(event, func(e *core.RecordAuthWithPasswordRequestEvent) error {
		if e.Record == nil {
			burnPasswordCheck(e.App, e.Collection)
		}
		if e.Record == nil || !e.Record.ValidatePassword(e.Password) {
			return e.BadRequestError("Failed to authenticate.", errors.New("invalid login credentials"))
		}
		return apis.RecordAuthResponse(e.RequestEvent, e.Record, core.MFAMethodPassword, nil)
	})
}

// burnPasswordCheck spends a password hash's time when the e-mail is
// unknown, so response times do not tell which e-mails have accounts.
func burnPasswordCheck(app core.App, collection *core.Collection) {
	sample := &core.Record{}
	if err := app.RecordQuery(collection).Limit(1).One(sample); err == nil {
		sample.ValidatePassword("")
	}
}

// Me answers the caller's own auth record.
func Me(e *core.RequestEvent) error {
	return hooks.RespondRecord(e, http.StatusOK, e.Auth)
}

// Refresh issues a fresh token for the caller, like PocketBase's
// auth-refresh: same hooks, same response. Tokens minted as
// non-refreshable (impersonation) are refused rather than extended.
func Refresh(e *core.RequestEvent) error {
	token := strings.TrimPrefix(e.Request.Header.Get("Authorization"), "Bearer ")
	claims, _ := security.ParseUnverifiedJWT(token) // already verified by PocketBase's auth middleware
	if refreshable, _ := claims[core.TokenClaimRefreshable].(bool); !refreshable {
		return e.ForbiddenError("This token cannot be refreshed.", nil)
	}

	event := new(core.RecordAuthRefreshRequestEvent)
	event.RequestEvent = e
	event.Collection = e.Auth.Collection()
	event.Record = e.Auth
	return e.App.OnRecordAuthRefreshRequest().Trigger(event, func(e *core.RecordAuthRefreshRequestEvent) error {
		return apis.RecordAuthResponse(e.RequestEvent, e.Record, "", nil)
	})
}
