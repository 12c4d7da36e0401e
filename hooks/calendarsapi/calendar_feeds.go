package calendarsapi

import (
	"bytes"
	"database/sql"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/academy"
	"cedarheights/hooks"
	"cedarheights/letters"
)

// calendar_feeds.go: per-teacher and per-family iCalendar feeds under
// /api/v1/calendars. The feed URL carries a random token and needs no login
// (calendar apps cannot sign in); its owner mints and rotates it. Who may
// have which feed is the calendar_feeds ViewRule's call, evaluated on the
// feed record itself (see ownedFeed).

const (
	// feedTokenLength: 40 characters of 62 give about 238 random bits.
	feedTokenLength = 40
	// The window a feed shows, around the time it is fetched.
	feedPastDays   = 60
	feedFutureDays = 400
)

var feedTokenPattern = regexp.MustCompile(`^[A-Za-z0-9]{32,64}$`)

func newFeedToken() string { return security.RandomString(feedTokenLength) }

func feedURL(token string) string { return "/api/v1/calendars/" + token + ".ics" }

// feedOwner names a feed: a teacher profile or a family (a parent account).
type feedOwner struct {
	Kind    string `json:"kind"`
	Teacher string `json:"teacher"`
	Family  string `json:"family"`
}

func MintCalendarFeed(e *core.RequestEvent) error   { return answerFeed(e, false) }
func RotateCalendarFeed(e *core.RequestEvent) error { return answerFeed(e, true) }

// answerFeed returns the caller's (or, for admins, the named owner's) feed,
// creating it on first use (201; 200 when it existed); rotate replaces its
// token so the old URL stops working.
func answerFeed(e *core.RequestEvent, rotate bool) error {
	owner, err := readFeedOwner(e)
	if err != nil {
		return err
	}
	var feed *core.Record
	var created bool
	err = e.App.RunInTransaction(func(txApp core.App) error {
		var err error
		feed, created, err = ownedFeed(txApp, e, owner, rotate)
		return err
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	token := feed.GetString("token")
	return e.JSON(status, map[string]any{
		"kind":  feed.GetString("kind"),
		"url":   feedURL(token),
		"token": token,
	})
}

// readFeedOwner reads {"teacher": id} or {"family": userId}; without
// either, the caller means its own feed and its role says which kind (a
// default only: whether it may have that feed is still the rule's call).
func readFeedOwner(e *core.RequestEvent) (feedOwner, error) {
	b, err := hooks.ReadBody(e)
	if err != nil {
		return feedOwner{}, err
	}
	owner := feedOwner{Teacher: b.Str("teacher"), Family: b.Str("family")}
	b.AddAll(validation.ValidateStruct(&owner,
		validation.Field(&owner.Teacher, hooks.IsRecordID),
		validation.Field(&owner.Family, hooks.IsRecordID),
	), "")
	if err := b.Check(e); err != nil {
		return feedOwner{}, err
	}

	switch {
	case owner.Teacher != "" && owner.Family != "":
		return feedOwner{}, e.BadRequestError("Invalid submitted data.", validation.Errors{
			"family": validation.NewError("validation_one_owner", "Give a teacher or a family, not both."),
		})
	case owner.Teacher != "":
		owner.Kind = "teacher"
		return owner, nil
	case owner.Family != "":
		owner.Kind = "family"
		return owner, nil
	}

	if e.Auth != nil && e.Auth.Collection().Name == "users" {
		switch e.Auth.GetString("role") {
		case "teacher":
			profile, err := e.App.FindFirstRecordByData("teachers", "user", e.Auth.Id)
			if errors.Is(err, sql.ErrNoRows) {
				return feedOwner{}, e.NotFoundError("Your account has no teacher profile.", nil)
			}
			if err != nil {
				return feedOwner{}, e.InternalServerError("", err)
			}
			return feedOwner{Kind: "teacher", Teacher: profile.Id}, nil
		case "parent":
			return feedOwner{Kind: "family", Family: e.Auth.Id}, nil
		}
	}
	required := validation.NewError("validation_required", "Give the teacher or the family whose feed you want.")
	return feedOwner{}, e.BadRequestError("Invalid submitted data.", validation.Errors{"teacher": required, "family": required})
}

// ownedFeed finds or creates owner's feed and hands it over only if the
// calendar_feeds ViewRule shows that feed to the caller (its own teacher
// profile, its own family, or an admin). A new feed is saved before it is
// validated so the rule is asked first: an unknown id is then refused like
// any other feed the rule hides, and only callers the rule admits learn
// that the id does not exist. Any refusal rolls the new record back.
func ownedFeed(txApp core.App, e *core.RequestEvent, owner feedOwner, rotate bool) (*core.Record, bool, error) {
	feed := &core.Record{}
	err := txApp.RecordQuery("calendar_feeds").
		AndWhere(dbx.HashExp{"kind": owner.Kind, "teacher": owner.Teacher, "family": owner.Family}).
		Limit(1).
		One(feed)
	fresh := errors.Is(err, sql.ErrNoRows)
	if err != nil && !fresh {
		return nil, false, e.InternalServerError("", err)
	}
	if fresh {
		collection, err := txApp.FindCachedCollectionByNameOrId("calendar_feeds")
		if err != nil {
			return nil, false, e.InternalServerError("", err)
		}
		feed = core.NewRecord(collection)
		feed.Load(map[string]any{"kind": owner.Kind, "teacher": owner.Teacher, "family": owner.Family, "token": newFeedToken()})
		if err := txApp.SaveNoValidate(feed); err != nil {
			return nil, false, e.InternalServerError("", err)
		}
	}

	info, err := e.RequestInfo()
	if err != nil {
		return nil, false, hooks.RequestError(e, err)
	}
	ok, err := txApp.CanAccessRecord(feed, info, feed.Collection().ViewRule)
	if err != nil {
		return nil, false, e.InternalServerError("", err)
	}
	if !ok {
		return nil, false, e.ForbiddenError("The collection's rules do not give you this calendar feed.", nil)
	}

	switch {
	case fresh:
		if err := txApp.Validate(feed); err != nil {
			return nil, false, hooks.SaveError(e, err)
		}
	case rotate:
		feed.Set("token", newFeedToken())
		if err := txApp.Save(feed); err != nil {
			return nil, false, hooks.SaveError(e, err)
		}
	}
	if owner.Kind == "family" {
		// A family feed lists a parent's children; any other account has none.
		user, err := txApp.FindRecordById("users", owner.Family)
		if err != nil {
			return nil, false, e.InternalServerError("", err)
		}
		if user.GetString("role") != "parent" {
			return nil, false, e.BadRequestError("Invalid submitted data.", validation.Errors{
				"family": validation.NewError("validation_not_parent", "Must be a parent's account."),
			})
		}
	}
	return feed, fresh, nil
}

// ServeCalendarFeed answers GET /api/v1/calendars/{token}.ics. The token is
// the only credential, so an unknown one is a plain 404.
func ServeCalendarFeed(e *core.RequestEvent) error {
	token, ok := strings.CutSuffix(e.Request.PathValue("file"), ".ics")
	if !ok || !feedTokenPattern.MatchString(token) {
		return e.NotFoundError("", nil)
	}
	feed, err := e.App.FindFirstRecordByData("calendar_feeds", "token", token)
	if errors.Is(err, sql.ErrNoRows) {
		return e.NotFoundError("", nil)
	}
	if err != nil {
		return e.InternalServerError("", err)
	}
	settings, err := academy.Load(e.App)
	if err != nil {
		return e.InternalServerError("", err)
	}
	now := time.Now().UTC()
	cal, err := feedCalendar(e.App, feed, settings, now.AddDate(0, 0, -feedPastDays), now.AddDate(0, 0, feedFutureDays))
	if errors.Is(err, sql.ErrNoRows) {
		return e.NotFoundError("", nil) // the feed's owner is gone
	}
	if err != nil {
		return e.InternalServerError("", err)
	}
	var buf bytes.Buffer
	if err := cal.write(&buf); err != nil {
		return e.InternalServerError("", err)
	}
	// The URL is a secret: keep the body out of shared caches and disk.
	e.Response.Header().Set("Cache-Control", "private, no-store")
	e.Response.Header().Set("Content-Disposition", `inline; filename="lessons.ics"`)
	return e.Blob(http.StatusOK, "text/calendar; charset=utf-8", buf.Bytes())
}

// feedCalendar gathers the feed's lessons starting in [from, to): the
// teacher's, or those of the family's students that are not soft deleted.
func feedCalendar(app core.App, feed *core.Record, settings academy.Settings, from, to time.Time) (icsCalendar, error) {
	query := app.RecordQuery("lessons").
		AndWhere(dbx.NewExp("[[lessons.start]] >= {:from} AND [[lessons.start]] < {:to}", dbx.Params{
			"from": from.UTC().Format(types.DefaultDateLayout),
			"to":   to.UTC().Format(types.DefaultDateLayout),
		})).
		OrderBy("lessons.start ASC", "lessons.id ASC")

	kind := feed.GetString("kind")
	var ownerName string
	switch kind {
	case "teacher":
		teacher, err := app.FindRecordById("teachers", feed.GetString("teacher"))
		if err != nil {
			return icsCalendar{}, err
		}
		ownerName = teacher.GetString("display_name")
		query.AndWhere(dbx.HashExp{"lessons.teacher": teacher.Id})
	case "family":
		family, err := app.FindRecordById("users", feed.GetString("family"))
		if err != nil {
			return icsCalendar{}, err
		}
		ownerName = family.GetString("name")
		if ownerName == "" {
			ownerName = "Family"
		}
		query.AndWhere(dbx.NewExp(
			"[[lessons.student]] IN (SELECT [[id]] FROM {{students}} WHERE [[parent]] = {:family} AND [[deleted]] = '')",
			dbx.Params{"family": family.Id}))
	default:
		return icsCalendar{}, sql.ErrNoRows
	}

	lessons := []*core.Record{}
	if err := query.All(&lessons); err != nil {
		return icsCalendar{}, err
	}
	related, err := loadLessonRelations(app, lessons)
	if err != nil {
		return icsCalendar{}, err
	}
	events := make([]icsEvent, 0, len(lessons))
	for _, lesson := range lessons {
		events = append(events, lessonEvent(lesson, related, kind))
	}
	return icsCalendar{
		Name:   settings.Name + " – " + ownerName,
		Zone:   settings.Zone,
		From:   from,
		To:     to,
		Events: events,
	}, nil
}

// lessonRelations holds the records the feed's lessons point at, by id.
type lessonRelations map[string]map[string]*core.Record

// loadLessonRelations loads each related collection in one query.
func loadLessonRelations(app core.App, lessons []*core.Record) (lessonRelations, error) {
	out := lessonRelations{}
	for field, collection := range map[string]string{"student": "students", "teacher": "teachers", "instrument": "instruments", "room": "rooms"} {
		var ids []string
		for _, l := range lessons {
			if id := l.GetString(field); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		out[field] = map[string]*core.Record{}
		if len(ids) == 0 {
			continue
		}
		records, err := app.FindRecordsByIds(collection, ids)
		if err != nil {
			return nil, err
		}
		for _, r := range records {
			out[field][r.Id] = r
		}
	}
	return out, nil
}

// text is a related record's field, or "" when the relation is empty.
func (rel lessonRelations) text(lesson *core.Record, field, name string) string {
	if r := rel[field][lesson.GetString(field)]; r != nil {
		return r.GetString(name)
	}
	return ""
}

var (
	lessonKindLabels   = map[string]string{"trial": " · trial", "makeup": " · make-up"}
	lessonStatusLabels = map[string]string{"completed": "Attended.", "no_show": "Marked as a no-show."}
)

// lessonEvent is one lesson in the feed. Teachers see whom they teach, a
// family with whom; the description holds only what the family may read
// (teacher_notes, the cancellation note), never lesson_private_notes.
func lessonEvent(lesson *core.Record, rel lessonRelations, feedKind string) icsEvent {
	instrument := rel.text(lesson, "instrument", "name")
	if instrument == "" {
		instrument = "Lesson"
	}
	student := rel.text(lesson, "student", "first_name")
	var summary string
	if feedKind == "teacher" {
		summary = instrument + ": " + student
	} else {
		summary = instrument + " with " + rel.text(lesson, "teacher", "display_name") + " (" + student + ")"
	}
	summary += lessonKindLabels[lesson.GetString("kind")]

	status := lesson.GetString("status")
	cancelled := status == "cancelled"
	var notes []string
	if cancelled {
		summary = "Cancelled: " + summary
		if note := lesson.GetString("cancellation_note"); note != "" {
			notes = append(notes, note)
		}
	}
	if label := lessonStatusLabels[status]; label != "" {
		notes = append(notes, label)
	}
	if n := strings.TrimSpace(lesson.GetString("teacher_notes")); n != "" {
		notes = append(notes, n)
	}

	return icsEvent{
		UID:         letters.LessonUID(lesson.Id),
		Start:       lesson.GetDateTime("start").Time(),
		End:         lesson.GetDateTime("end").Time(),
		Summary:     summary,
		Location:    rel.text(lesson, "room", "name"),
		Description: strings.Join(notes, "\n\n"),
		Cancelled:   cancelled,
		Created:     lesson.GetDateTime("created").Time(),
		Updated:     lesson.GetDateTime("updated").Time(),
	}
}
