package hooks_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/internal/testapp"
)

// Fixed tokens for feeds a test seeds (40 alphanumerics, like minted ones).
const (
	feedTokenA = "AAAAaaaa1111BBBBbbbb2222CCCCcccc3333DDDD"
	feedTokenB = "BBBBbbbb2222CCCCcccc3333DDDDdddd4444EEEE"
	feedTokenX = "XXXXxxxx1111YYYYyyyy2222ZZZZzzzz3333WWWW"
	feedTokenY = "YYYYyyyy2222ZZZZzzzz3333WWWWwwww4444VVVV"
)

var mintedToken = regexp.MustCompile(`^[A-Za-z0-9]{40}$`)

func TestCalendarFeedMint(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/calendars/feed"
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous is 401", Method: http.MethodPost, URL: url,
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: feedCount(0),
		},
		{
			Name: "teacher X gets its teacher feed", Method: http.MethodPost, URL: url,
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 201, ExpectedContent: []string{`"kind":"teacher"`},
			AfterTestFunc: feedAnswered("teacher", f.TeacherX, ""),
		},
		{
			Name: "parent A gets its family feed", Method: http.MethodPost, URL: url,
			Headers: apiAs(f.ParentA), ExpectedStatus: 201, ExpectedContent: []string{`"kind":"family"`},
			AfterTestFunc: feedAnswered("family", "", f.ParentA.ID),
		},
		{
			Name: "parent A naming its own family is the same", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": f.ParentA.ID}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 201, ExpectedContent: []string{`"kind":"family"`},
			AfterTestFunc: feedAnswered("family", "", f.ParentA.ID),
		},
		{
			Name: "admin gets teacher Y's feed", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"teacher": f.TeacherY}),
			Headers: apiAs(f.Admin), ExpectedStatus: 201, ExpectedContent: []string{`"kind":"teacher"`},
			AfterTestFunc: feedAnswered("teacher", f.TeacherY, ""),
		},
		{
			Name: "admin gets parent B's family feed", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": f.ParentB.ID}),
			Headers: apiAs(f.Admin), ExpectedStatus: 201, ExpectedContent: []string{`"kind":"family"`},
			AfterTestFunc: feedAnswered("family", "", f.ParentB.ID),
		},
		{
			Name: "superuser gets parent A's family feed", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": f.ParentA.ID}),
			Headers: apiAs(f.Superuser), ExpectedStatus: 201, ExpectedContent: []string{`"kind":"family"`},
			AfterTestFunc: feedAnswered("family", "", f.ParentA.ID),
		},
		{
			Name: "a second call answers the existing feed", Method: http.MethodPost, URL: url,
			Headers: apiAs(f.ParentA), BeforeTestFunc: feedSeed("family", "", f.ParentA.ID, feedTokenA),
			ExpectedStatus: 200, ExpectedContent: []string{`"token":"` + feedTokenA + `"`, `"url":"/api/v1/calendars/` + feedTokenA + `.ics"`},
			AfterTestFunc: feedCount(1),
		},
		{
			Name: "parent A minting parent B's feed is 403", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": f.ParentB.ID}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: feedCount(0),
		},
		{
			Name: "parent A reading parent B's existing feed is 403", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": f.ParentB.ID}),
			Headers: apiAs(f.ParentA), BeforeTestFunc: feedSeed("family", "", f.ParentB.ID, feedTokenB),
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, NotExpectedContent: []string{feedTokenB}, AfterTestFunc: feedCount(1),
		},
		{
			Name: "parent A minting teacher X's feed is 403", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"teacher": f.TeacherX}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: feedCount(0),
		},
		{
			Name: "parent A naming an unknown family is refused, not told it is unknown", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": "nosuchfamily000"}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: feedCount(0),
		},
		{
			Name: "teacher X minting teacher Y's feed is 403", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"teacher": f.TeacherY}),
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: feedCount(0),
		},
		{
			Name: "teacher X minting a family feed for itself is 403", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": f.TeacherXUser.ID}),
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: feedCount(0),
		},
		{
			Name: "admin naming an unknown teacher is 400 on teacher", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"teacher": "nosuchteacher00"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"teacher":{"code":"validation_missing_rel_records"`}, AfterTestFunc: feedCount(0),
		},
		{
			Name: "admin naming a teacher's account as a family is 400 on family", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": f.TeacherXUser.ID}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"family":{"code":"validation_not_parent"`}, AfterTestFunc: feedCount(0),
		},
		{
			Name: "admin naming nobody is 400 on both fields", Method: http.MethodPost, URL: url,
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"teacher":{"code":"validation_required"`, `"family":{"code":"validation_required"`},
		},
		{
			Name: "superuser naming nobody is 400", Method: http.MethodPost, URL: url,
			Headers: apiAs(f.Superuser), ExpectedStatus: 400, ExpectedContent: []string{`"teacher":{"code":"validation_required"`},
		},
		{
			Name: "a teacher and a family at once is 400", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"teacher": f.TeacherX, "family": f.ParentA.ID}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"family":{"code":"validation_one_owner"`}, AfterTestFunc: feedCount(0),
		},
		{
			Name: "wrong types are 400 naming the field", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"teacher": 5, "family": []string{"a"}}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"teacher":{"code":"validation_invalid_type"`, `"family":{"code":"validation_invalid_type"`},
		},
		{
			Name: "a malformed id is 400", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": "a b'"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"family":{"code":"validation_match_invalid"`},
		},
		{
			Name: "malformed JSON is 400", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"teacher":`),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, AfterTestFunc: feedCount(0),
		},
		{
			Name: "an oversized body is 413", Method: http.MethodPost, URL: url, Body: apiOversized("teacher"),
			Headers: apiAs(f.Admin), ExpectedStatus: 413, ExpectedContent: []string{`"status":413`}, AfterTestFunc: feedCount(0),
		},
	})
}

func TestCalendarFeedRotate(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/calendars/feed/rotate"
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous is 401", Method: http.MethodPost, URL: url, BeforeTestFunc: feedSeed("family", "", f.ParentA.ID, feedTokenA),
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: feedTokenIs(feedTokenA, "family", "", f.ParentA.ID),
		},
		{
			Name: "parent A replaces its token", Method: http.MethodPost, URL: url, BeforeTestFunc: feedSeed("family", "", f.ParentA.ID, feedTokenA),
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"kind":"family"`}, NotExpectedContent: []string{feedTokenA},
			AfterTestFunc: feedAnswered("family", "", f.ParentA.ID),
		},
		{
			Name: "rotating a feed that does not exist yet creates it", Method: http.MethodPost, URL: url,
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 201, ExpectedContent: []string{`"kind":"teacher"`},
			AfterTestFunc: feedAnswered("teacher", f.TeacherX, ""),
		},
		{
			Name: "admin rotates teacher X's token", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"teacher": f.TeacherX}),
			BeforeTestFunc: feedSeed("teacher", f.TeacherX, "", feedTokenX),
			Headers:        apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"kind":"teacher"`}, NotExpectedContent: []string{feedTokenX},
			AfterTestFunc: feedAnswered("teacher", f.TeacherX, ""),
		},
		{
			Name: "parent A rotating parent B's token is 403", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": f.ParentB.ID}),
			BeforeTestFunc: feedSeed("family", "", f.ParentB.ID, feedTokenB),
			Headers:        apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: feedTokenIs(feedTokenB, "family", "", f.ParentB.ID),
		},
		{
			Name: "teacher Y rotating teacher X's token is 403", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"teacher": f.TeacherX}),
			BeforeTestFunc: feedSeed("teacher", f.TeacherX, "", feedTokenX),
			Headers:        apiAs(f.TeacherYUser), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: feedTokenIs(feedTokenX, "teacher", f.TeacherX, ""),
		},
		{
			Name: "wrong type is 400", Method: http.MethodPost, URL: url, Body: apiBody(map[string]any{"family": true}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"family":{"code":"validation_invalid_type"`},
		},
	})
}

// TestCalendarFeedRotationRevokesOldURL walks the whole life of a feed URL
// over real HTTP: mint, fetch, rotate, the old URL is gone.
func TestCalendarFeedRotationRevokesOldURL(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)

	first := feedCall(t, srv.URL, "/api/v1/calendars/feed", f.ParentA)
	if got, _ := feedGet(t, srv.URL+first["url"]); got != 200 {
		t.Fatalf("minted URL: %d", got)
	}
	again := feedCall(t, srv.URL, "/api/v1/calendars/feed", f.ParentA)
	if again["token"] != first["token"] {
		t.Fatalf("minting twice changed the token: %s then %s", first["token"], again["token"])
	}
	rotated := feedCall(t, srv.URL, "/api/v1/calendars/feed/rotate", f.ParentA)
	if rotated["token"] == first["token"] || !mintedToken.MatchString(rotated["token"]) {
		t.Fatalf("rotation answered %q (was %q)", rotated["token"], first["token"])
	}
	if got, _ := feedGet(t, srv.URL+first["url"]); got != 404 {
		t.Fatalf("old URL after rotation: %d, want 404", got)
	}
	if got, body := feedGet(t, srv.URL+rotated["url"]); got != 200 || !strings.Contains(body, "UID:"+f.LessonA1+"@cedarheights") {
		t.Fatalf("new URL: %d\n%s", got, body)
	}
	if n := apiCount(t, app, "calendar_feeds"); n != 1 {
		t.Fatalf("%d feed records, want 1", n)
	}
}

func TestCalendarFeedTeacherWithoutProfile(t *testing.T) {
	t.Parallel()
	app, _ := testapp.New(t)
	srv := testapp.Serve(t, app)
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	user := core.NewRecord(users)
	user.Load(map[string]any{"name": "New Teacher", "role": "teacher"})
	user.SetEmail("new.teacher@cedarheights.test")
	user.SetPassword(testapp.Password)
	if err := app.Save(user); err != nil {
		t.Fatal(err)
	}
	token, err := user.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/calendars/feed", nil)
	req.Header.Set("Authorization", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("a teacher account without a profile: %d, want 404", res.StatusCode)
	}
	if n := apiCount(t, app, "calendar_feeds"); n != 0 {
		t.Fatalf("%d feeds written", n)
	}
}

func TestCalendarFeedServe(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := func(token string) string { return "/api/v1/calendars/" + token + ".ics" }
	uid := func(lesson string) string { return "UID:" + lesson + "@cedarheights" }
	moveLesson := func(id string, start time.Time) func(testing.TB, *tests.TestApp, *core.ServeEvent) {
		return func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
			t.Helper()
			// Straight to the table: the window test needs lessons where
			// the calendar rules would not let a client put them.
			_, err := app.DB().Update("lessons", dbx.Params{
				"start": start.Format(types.DefaultDateLayout),
				"end":   start.Add(time.Hour).Format(types.DefaultDateLayout),
			}, dbx.HashExp{"id": id}).Execute()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	seedAnd := func(seed func(testing.TB, *tests.TestApp, *core.ServeEvent), more ...func(testing.TB, *tests.TestApp, *core.ServeEvent)) func(testing.TB, *tests.TestApp, *core.ServeEvent) {
		return func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
			seed(t, app, e)
			for _, m := range more {
				m(t, app, e)
			}
		}
	}
	softDeleteA1 := func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
		t.Helper()
		student := testapp.Record(t, app, "students", f.StudentA1)
		student.Set("deleted", types.NowDateTime())
		if err := app.Save(student); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Hour)

	apiRun(t, []tests.ApiScenario{
		{
			Name: "teacher X's feed holds lesson A1, not B1, and no private note", Method: http.MethodGet, URL: url(feedTokenX),
			BeforeTestFunc: feedSeed("teacher", f.TeacherX, "", feedTokenX), ExpectedStatus: 200,
			ExpectedContent: []string{
				"BEGIN:VCALENDAR\r\n", "VERSION:2.0\r\n", "PRODID:", "CALSCALE:GREGORIAN\r\n",
				"X-WR-CALNAME:Cedar Heights Music Academy – Xavier Xu\r\n", "X-WR-TIMEZONE:UTC\r\n",
				"BEGIN:VTIMEZONE\r\nTZID:UTC\r\n", "BEGIN:STANDARD\r\n",
				uid(f.LessonA1), "SUMMARY:Piano: Amy\r\n", "LOCATION:Studio 1\r\n", "DESCRIPTION:Practise scales\r\n",
				"STATUS:CONFIRMED\r\n", "DTSTART;TZID=UTC:" + testapp.NextMonday().Format("20060102T150405") + "\r\n",
			},
			NotExpectedContent: []string{f.LessonB1, "Parent asked about exam fees", "Ben", "Anders"},
			AfterTestFunc:      feedChecked(1),
		},
		{
			Name: "teacher Y's feed holds B1, not A1", Method: http.MethodGet, URL: url(feedTokenY),
			BeforeTestFunc: feedSeed("teacher", f.TeacherY, "", feedTokenY), ExpectedStatus: 200,
			ExpectedContent: []string{uid(f.LessonB1), "SUMMARY:Violin: Ben\r\n"}, NotExpectedContent: []string{f.LessonA1, "LOCATION:"},
			AfterTestFunc: feedChecked(1),
		},
		{
			Name: "parent A's family feed holds A1, not B1", Method: http.MethodGet, URL: url(feedTokenA),
			BeforeTestFunc: feedSeed("family", "", f.ParentA.ID, feedTokenA), ExpectedStatus: 200,
			ExpectedContent: []string{
				"X-WR-CALNAME:Cedar Heights Music Academy – Alice Anders\r\n",
				uid(f.LessonA1), "SUMMARY:Piano with Xavier Xu (Amy)\r\n", "DESCRIPTION:Practise scales\r\n",
			},
			NotExpectedContent: []string{f.LessonB1, "Parent asked about exam fees", "Ben"},
			AfterTestFunc:      feedChecked(1),
		},
		{
			Name: "parent B's family feed holds B1, not A1", Method: http.MethodGet, URL: url(feedTokenB),
			BeforeTestFunc: feedSeed("family", "", f.ParentB.ID, feedTokenB), ExpectedStatus: 200,
			ExpectedContent: []string{uid(f.LessonB1), "SUMMARY:Violin with Yara Young (Ben)\r\n"}, NotExpectedContent: []string{f.LessonA1, "Amy"},
			AfterTestFunc: feedChecked(1),
		},
		{
			Name: "a soft deleted student leaves the family feed", Method: http.MethodGet, URL: url(feedTokenA),
			BeforeTestFunc: seedAnd(feedSeed("family", "", f.ParentA.ID, feedTokenA), softDeleteA1),
			ExpectedStatus: 200, ExpectedContent: []string{"BEGIN:VCALENDAR"}, NotExpectedContent: []string{"BEGIN:VEVENT", f.LessonA1},
			AfterTestFunc: feedChecked(0),
		},
		{
			Name: "its lessons stay in the teacher's feed", Method: http.MethodGet, URL: url(feedTokenX),
			BeforeTestFunc: seedAnd(feedSeed("teacher", f.TeacherX, "", feedTokenX), softDeleteA1),
			ExpectedStatus: 200, ExpectedContent: []string{uid(f.LessonA1)}, AfterTestFunc: feedChecked(1),
		},
		{
			Name: "a lesson 30 days ago is in the window", Method: http.MethodGet, URL: url(feedTokenY),
			BeforeTestFunc: seedAnd(feedSeed("teacher", f.TeacherY, "", feedTokenY), moveLesson(f.LessonB1, now.AddDate(0, 0, -30))),
			ExpectedStatus: 200, ExpectedContent: []string{uid(f.LessonB1)}, AfterTestFunc: feedChecked(1),
		},
		{
			Name: "a lesson 70 days ago is not", Method: http.MethodGet, URL: url(feedTokenY),
			BeforeTestFunc: seedAnd(feedSeed("teacher", f.TeacherY, "", feedTokenY), moveLesson(f.LessonB1, now.AddDate(0, 0, -70))),
			ExpectedStatus: 200, ExpectedContent: []string{"BEGIN:VCALENDAR"}, NotExpectedContent: []string{f.LessonB1}, AfterTestFunc: feedChecked(0),
		},
		{
			Name: "a lesson 390 days ahead is in the window", Method: http.MethodGet, URL: url(feedTokenY),
			BeforeTestFunc: seedAnd(feedSeed("teacher", f.TeacherY, "", feedTokenY), moveLesson(f.LessonB1, now.AddDate(0, 0, 390))),
			ExpectedStatus: 200, ExpectedContent: []string{uid(f.LessonB1)}, AfterTestFunc: feedChecked(1),
		},
		{
			Name: "a lesson 410 days ahead is not", Method: http.MethodGet, URL: url(feedTokenY),
			BeforeTestFunc: seedAnd(feedSeed("teacher", f.TeacherY, "", feedTokenY), moveLesson(f.LessonB1, now.AddDate(0, 0, 410))),
			ExpectedStatus: 200, ExpectedContent: []string{"BEGIN:VCALENDAR"}, NotExpectedContent: []string{f.LessonB1}, AfterTestFunc: feedChecked(0),
		},
		{
			Name: "an unknown token is 404", Method: http.MethodGet, URL: url(feedTokenB),
			BeforeTestFunc: feedSeed("family", "", f.ParentA.ID, feedTokenA),
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "a token without .ics is 404", Method: http.MethodGet, URL: "/api/v1/calendars/" + feedTokenA,
			BeforeTestFunc: feedSeed("family", "", f.ParentA.ID, feedTokenA),
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "a malformed token is 404", Method: http.MethodGet, URL: "/api/v1/calendars/%27%20OR%201%3D1.ics",
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "GET on the mint route is not a feed", Method: http.MethodGet, URL: "/api/v1/calendars/feed",
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
	})
}

// TestCalendarFeedFollowsLessonChanges: a lesson keeps its UID when it is
// edited, moved and cancelled, while SEQUENCE and LAST-MODIFIED move on.
func TestCalendarFeedFollowsLessonChanges(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	feedSeed("teacher", f.TeacherX, "", feedTokenX)(t, app, nil)
	feedURL := srv.URL + "/api/v1/calendars/" + feedTokenX + ".ics"

	// The fixture lesson was written moments ago; date it an hour back so
	// the next update is measurably later (SEQUENCE counts seconds).
	hourAgo := time.Now().UTC().Add(-time.Hour).Format(types.DefaultDateLayout)
	if _, err := app.DB().Update("lessons", dbx.Params{"created": hourAgo, "updated": hourAgo}, dbx.HashExp{"id": f.LessonA1}).Execute(); err != nil {
		t.Fatal(err)
	}
	before := feedLessonEvent(t, feedURL, f.LessonA1)
	if before.sequence != 0 || before.status != "CONFIRMED" {
		t.Fatalf("new lesson: SEQUENCE %d, STATUS %s", before.sequence, before.status)
	}

	// Move it half an hour later and change the notes.
	lesson := testapp.Record(t, app, "lessons", f.LessonA1)
	start := testapp.NextMonday().Add(30 * time.Minute)
	lesson.Set("start", start)
	lesson.Set("end", start.Add(30*time.Minute))
	lesson.Set("teacher_notes", "Scales, then Bach; slowly")
	if err := app.Save(lesson); err != nil {
		t.Fatal(err)
	}
	moved := feedLessonEvent(t, feedURL, f.LessonA1)
	if moved.sequence <= before.sequence || !moved.modified.After(before.modified) {
		t.Fatalf("after the move: SEQUENCE %d (was %d), LAST-MODIFIED %s (was %s)", moved.sequence, before.sequence, moved.modified, before.modified)
	}
	if !moved.start.Equal(start) || moved.description != "Scales, then Bach; slowly" {
		t.Fatalf("after the move: start %s, description %q", moved.start, moved.description)
	}

	// Cancel it: still there, same UID, now CANCELLED.
	lesson = testapp.Record(t, app, "lessons", f.LessonA1)
	lesson.Set("status", "cancelled")
	lesson.Set("cancelled_by", "academy")
	if err := app.Save(lesson); err != nil {
		t.Fatal(err)
	}
	cancelled := feedLessonEvent(t, feedURL, f.LessonA1)
	if cancelled.status != "CANCELLED" || cancelled.sequence < moved.sequence || !strings.HasPrefix(cancelled.summary, "Cancelled: ") {
		t.Fatalf("after cancelling: STATUS %s, SEQUENCE %d (was %d), SUMMARY %q", cancelled.status, cancelled.sequence, moved.sequence, cancelled.summary)
	}
}

// TestCalendarFeedAcademyZone: in America/Vancouver the events carry the
// local wall clock and the VTIMEZONE has both kinds of period.
func TestCalendarFeedAcademyZone(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	settings, err := app.FindFirstRecordByFilter("academy", "")
	if err != nil {
		t.Fatal(err)
	}
	settings.Set("timezone", "America/Vancouver")
	if err := app.Save(settings); err != nil {
		t.Fatal(err)
	}
	feedSeed("family", "", f.ParentA.ID, feedTokenA)(t, app, nil)

	code, body := feedGet(t, srv.URL+"/api/v1/calendars/"+feedTokenA+".ics")
	if code != 200 {
		t.Fatalf("feed: %d\n%s", code, body)
	}
	vancouver, _ := time.LoadLocation("America/Vancouver")
	wall := testapp.NextMonday().In(vancouver).Format("20060102T150405")
	for _, want := range []string{"X-WR-TIMEZONE:America/Vancouver\r\n", "DTSTART;TZID=America/Vancouver:" + wall + "\r\n", "TZID:America/Vancouver\r\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in\n%s", want, body)
		}
	}
	cal := feedParse(t, body)
	tzs := cal.Timezones()
	if len(tzs) != 1 || tzs[0].GetProperty(ics.ComponentPropertyTzid).Value != "America/Vancouver" {
		t.Fatalf("VTIMEZONEs: %v", tzs)
	}
	kinds := map[string]int{}
	for _, sub := range tzs[0].Components {
		switch c := sub.(type) {
		case *ics.Standard:
			kinds["STANDARD"]++
			feedExpectOffsets(t, &c.ComponentBase, "-0700", "-0800")
		case *ics.Daylight:
			kinds["DAYLIGHT"]++
			feedExpectOffsets(t, &c.ComponentBase, "-0800", "-0700")
		}
	}
	if kinds["STANDARD"] != 1 || kinds["DAYLIGHT"] != 1 {
		t.Fatalf("observances %v, want one STANDARD and one DAYLIGHT", kinds)
	}
	ev := feedEventByUID(t, cal, f.LessonA1)
	start, err := ev.GetStartAt()
	if err != nil || !start.Equal(testapp.NextMonday()) {
		t.Fatalf("DTSTART reads back as %s (%v), want %s", start, err, testapp.NextMonday())
	}
}

// feedSeed stores a feed with a known token, as minting would.
func feedSeed(kind, teacher, family, token string) func(testing.TB, *tests.TestApp, *core.ServeEvent) {
	return func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
		t.Helper()
		c, err := app.FindCollectionByNameOrId("calendar_feeds")
		if err != nil {
			t.Fatal(err)
		}
		r := core.NewRecord(c)
		r.Load(map[string]any{"kind": kind, "teacher": teacher, "family": family, "token": token})
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
	}
}

// feedCount fails unless the feeds table holds n records.
func feedCount(n int64) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		t.Helper()
		if got := apiCount(t, app, "calendar_feeds"); got != n {
			t.Fatalf("%d calendar feeds, want %d", got, n)
		}
	}
}

// feedAnswered checks the answer against the one stored feed of owner: a
// fresh 40-character token and the URL built on it.
func feedAnswered(kind, teacher, family string) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, res *http.Response) {
		t.Helper()
		body := apiDecode(t, res)
		token, _ := body["token"].(string)
		if !mintedToken.MatchString(token) || body["url"] != "/api/v1/calendars/"+token+".ics" || body["kind"] != kind {
			t.Fatalf("answer %v", body)
		}
		feedTokenIs(token, kind, teacher, family)(t, app, res)
	}
}

// feedTokenIs fails unless the only stored feed is owner's, with token.
func feedTokenIs(token, kind, teacher, family string) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, res *http.Response) {
		t.Helper()
		feedCount(1)(t, app, res)
		feed, err := app.FindFirstRecordByData("calendar_feeds", "token", token)
		if err != nil {
			t.Fatalf("no feed with token %s: %v", token, err)
		}
		if feed.GetString("kind") != kind || feed.GetString("teacher") != teacher || feed.GetString("family") != family {
			t.Fatalf("feed %v, want %s teacher=%q family=%q", feed.FieldsData(), kind, teacher, family)
		}
	}
}

// feedChecked parses the body with golang-ical, checks the headers, the
// line format (CRLF, folded at 75 octets) and the number of events.
func feedChecked(events int) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, _ *tests.TestApp, res *http.Response) {
		t.Helper()
		if ct := res.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") || !strings.Contains(cc, "private") {
			t.Errorf("Cache-Control %q", cc)
		}
		raw, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		cal := feedParse(t, string(raw))
		if got := len(cal.Events()); got != events {
			t.Fatalf("%d events, want %d", got, events)
		}
		for _, ev := range cal.Events() {
			for _, p := range []ics.ComponentProperty{ics.ComponentPropertyUniqueId, ics.ComponentPropertyDtstamp, ics.ComponentPropertyDtStart, ics.ComponentPropertyDtEnd, ics.ComponentPropertySequence, ics.ComponentPropertyLastModified, ics.ComponentPropertyStatus, ics.ComponentPropertySummary} {
				if ev.GetProperty(p) == nil {
					t.Errorf("event %s has no %s", ev.Id(), p)
				}
			}
		}
	}
}

// feedParse parses a feed and checks what golang-ical's parser forgives:
// every line ends in CRLF and is at most 75 octets, the calendar's required
// properties are there, and one VTIMEZONE names the zone every TZID uses.
func feedParse(t testing.TB, body string) *ics.Calendar {
	t.Helper()
	if !strings.HasSuffix(body, "END:VCALENDAR\r\n") {
		t.Fatalf("feed does not end with END:VCALENDAR CRLF:\n%s", body)
	}
	for i, line := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if len(line) > 75 || strings.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d is not a folded content line: %q", i+1, line)
		}
	}
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	props := map[string]string{}
	for _, p := range cal.CalendarProperties {
		props[p.IANAToken] = p.Value
	}
	if props["VERSION"] != "2.0" || props["PRODID"] == "" || props["CALSCALE"] != "GREGORIAN" || props["X-WR-CALNAME"] == "" {
		t.Fatalf("calendar properties %v", props)
	}
	tzs := cal.Timezones()
	if len(tzs) != 1 || tzs[0].GetProperty(ics.ComponentPropertyTzid).Value != props["X-WR-TIMEZONE"] {
		t.Fatalf("want one VTIMEZONE for %s, got %d", props["X-WR-TIMEZONE"], len(tzs))
	}
	for _, ev := range cal.Events() {
		if tzid := ev.GetProperty(ics.ComponentPropertyDtStart).ICalParameters["TZID"]; len(tzid) == 1 && tzid[0] != props["X-WR-TIMEZONE"] {
			t.Fatalf("event %s uses TZID %v", ev.Id(), tzid)
		}
	}
	return cal
}

func feedEventByUID(t testing.TB, cal *ics.Calendar, lesson string) *ics.VEvent {
	t.Helper()
	for _, ev := range cal.Events() {
		if ev.Id() == lesson+"@cedarheights" {
			return ev
		}
	}
	t.Fatalf("no event for lesson %s", lesson)
	return nil
}

func feedExpectOffsets(t testing.TB, c *ics.ComponentBase, from, to string) {
	t.Helper()
	gotFrom := c.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom)).Value
	gotTo := c.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto)).Value
	if gotFrom != from || gotTo != to || c.GetProperty(ics.ComponentPropertyDtStart) == nil {
		t.Errorf("observance %s→%s, want %s→%s", gotFrom, gotTo, from, to)
	}
}

// feedLesson is what a client reads of one lesson.
type feedLesson struct {
	sequence        int
	status, summary string
	description     string
	start, modified time.Time
}

func feedLessonEvent(t testing.TB, url, lesson string) feedLesson {
	t.Helper()
	code, body := feedGet(t, url)
	if code != 200 {
		t.Fatalf("feed: %d\n%s", code, body)
	}
	ev := feedEventByUID(t, feedParse(t, body), lesson)
	seq, err := strconv.Atoi(ev.GetProperty(ics.ComponentPropertySequence).Value)
	if err != nil {
		t.Fatal(err)
	}
	start, err := ev.GetStartAt()
	if err != nil {
		t.Fatal(err)
	}
	modified, err := ev.GetLastModifiedAt()
	if err != nil {
		t.Fatal(err)
	}
	out := feedLesson{sequence: seq, start: start, modified: modified,
		status: ev.GetProperty(ics.ComponentPropertyStatus).Value, summary: ev.GetProperty(ics.ComponentPropertySummary).Value}
	if d := ev.GetProperty(ics.ComponentPropertyDescription); d != nil {
		out.description = d.Value
	}
	return out
}

// feedCall POSTs to a feed route as who and returns the string fields.
func feedCall(t testing.TB, base, path string, who testapp.Account) map[string]string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, nil)
	req.Header.Set("Authorization", who.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 && res.StatusCode != 201 { // 201 when the call made the feed
		raw, _ := io.ReadAll(res.Body)
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, raw)
	}
	out := map[string]string{}
	for k, v := range apiDecode(t, res) {
		out[k], _ = v.(string)
	}
	return out
}

// feedGet fetches a feed the way a calendar app does: no credentials.
func feedGet(t testing.TB, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(raw)
}
