package enrollment

import (
	"regexp"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"

	"cedarheights/records"
	"cedarheights/scheduling"
)

// Input is what an enrollment run starts from. The routes fill Parent.ID
// (the signed-in parent, or the account they created for a new parent),
// Source and, for admins only, Teacher.
type Input struct {
	Parent  ParentInput  `json:"parent"`
	Student StudentInput `json:"student"`
	Plan    string       `json:"plan"`
	// Trial is a slot taken from the public timeslots; MatchMe asks the
	// academy to pick the teacher and the slot instead. Exactly one.
	Trial   *TrialSlot `json:"trial,omitempty"`
	MatchMe bool       `json:"match_me,omitempty"`
	// Teacher is an admin's choice of teacher over the matched one.
	Teacher string `json:"teacher,omitempty"`
	// PaymentMethod is a Stripe payment method collected by Stripe
	// Elements (online billing only); it is attached to the family's
	// customer before the subscription is made.
	PaymentMethod string `json:"payment_method,omitempty"`
	Source        string `json:"source"`
}

// ParentInput names the parent: an existing account (ID) or a new one.
// NewAccount says the route created the account for this enrollment (a
// failure before anything was recorded removes it again).
type ParentInput struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	NewAccount bool   `json:"new_account,omitempty"`
}

// StudentInput describes the child (or adult) to enroll.
type StudentInput struct {
	FirstName        string       `json:"first_name"`
	LastName         string       `json:"last_name"`
	BirthDate        string       `json:"birth_date"` // YYYY-MM-DD
	Instrument       string       `json:"instrument"`
	Level            string       `json:"level,omitempty"`
	PreferredTimes   []TimeWindow `json:"preferred_times,omitempty"`
	PreferredTeacher string       `json:"preferred_teacher,omitempty"`
}

// TimeWindow is a weekly preferred time, wall-clock in the academy's zone.
type TimeWindow struct {
	Weekday int    `json:"weekday"` // 0 = Sunday
	Start   string `json:"start"`   // HH:MM
	End     string `json:"end"`
}

// TrialSlot is a trial lesson slot as /api/v1/public/timeslots lists it.
type TrialSlot struct {
	Teacher string    `json:"teacher"`
	Start   time.Time `json:"start"`
}

// Sources of an enrollment.
const (
	SourcePublic = "public"
	SourceParent = "parent"
	SourceAdmin  = "admin"
)

var (
	phoneLike = regexp.MustCompile(`^\+?[0-9 ()\-.]{5,31}$`)
	stripePM  = regexp.MustCompile(`^pm_[A-Za-z0-9_]{1,200}$`)
	isID      = records.IsID
	levels    = []any{"beginner", "intermediate", "advanced"}
)

// Validate checks the input's shape, every field at once; what needs the
// database (age, instrument, plan, teacher, slot) is Check's.
func (in Input) Validate() error {
	errs := validation.Errors{}
	if err := in.Parent.validate(); err != nil {
		errs["parent"] = err
	}
	if err := in.Student.Validate(); err != nil {
		errs["student"] = err
	}
	if err := validation.Validate(in.Plan, validation.Required, isID); err != nil {
		errs["plan"] = err
	}
	switch {
	case in.Trial == nil && !in.MatchMe:
		errs["trial"] = validation.NewError("validation_trial_or_match", "Pick a trial slot, or ask us to match you (match_me).")
	case in.Trial != nil && in.MatchMe:
		errs["trial"] = validation.NewError("validation_trial_or_match", "Pick a trial slot or match_me, not both.")
	case in.Trial != nil:
		if err := in.Trial.validate(); err != nil {
			errs["trial"] = err
		}
	}
	if err := validation.Validate(in.Teacher, isID); err != nil {
		errs["teacher"] = err
	} else if in.Teacher != "" && in.Trial != nil && in.Trial.Teacher != in.Teacher {
		errs["teacher"] = validation.NewError("validation_teacher_mismatch", "Must be the trial slot's teacher when a slot is picked.")
	}
	if err := validation.Validate(in.PaymentMethod, validation.Match(stripePM).Error("Must be a Stripe payment method id (pm_…).")); err != nil {
		errs["payment_method"] = err
	}
	if err := validation.Validate(in.Source, validation.Required, validation.In(SourcePublic, SourceParent, SourceAdmin)); err != nil {
		errs["source"] = err
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func (p ParentInput) validate() error {
	if p.ID != "" {
		return validation.ValidateStruct(&p, validation.Field(&p.ID, isID))
	}
	return validation.ValidateStruct(&p,
		validation.Field(&p.Name, validation.Required, validation.RuneLength(1, 100)),
		validation.Field(&p.Email, validation.Required, validation.Length(3, 255), is.EmailFormat),
		validation.Field(&p.Phone, validation.Match(phoneLike).Error("Must be a phone number.")),
	)
}

// Validate checks the student's fields.
func (s StudentInput) Validate() error {
	return validation.ValidateStruct(&s,
		validation.Field(&s.FirstName, validation.Required, validation.RuneLength(1, 100)),
		validation.Field(&s.LastName, validation.Required, validation.RuneLength(1, 100)),
		validation.Field(&s.BirthDate, validation.Required, validation.Date(time.DateOnly).Error("Must be a date such as 2017-03-02.")),
		validation.Field(&s.Instrument, validation.Required, isID),
		validation.Field(&s.Level, validation.In(levels...)),
		validation.Field(&s.PreferredTimes, validation.Length(0, 28)),
		validation.Field(&s.PreferredTeacher, isID),
	)
}

func (t TrialSlot) validate() error {
	return validation.ValidateStruct(&t,
		validation.Field(&t.Teacher, validation.Required, isID),
		validation.Field(&t.Start, validation.Required),
	)
}

// Validate checks one preferred weekly time.
func (w TimeWindow) Validate() error {
	return validation.ValidateStruct(&w,
		validation.Field(&w.Weekday, validation.Min(0), validation.Max(6)),
		validation.Field(&w.Start, validation.Required, validation.By(clockRule)),
		validation.Field(&w.End, validation.Required, validation.By(clockRule), validation.By(func(any) error {
			s, err1 := scheduling.ParseClock(w.Start)
			e, err2 := scheduling.ParseClock(w.End)
			if err1 == nil && err2 == nil && e <= s {
				return validation.NewError("validation_end_before_start", "Must be after the start.")
			}
			return nil
		})),
	)
}

func clockRule(v any) error {
	if _, err := scheduling.ParseClock(v.(string)); err != nil {
		return validation.NewError("validation_clock", "Must be a time of day such as 16:30.")
	}
	return nil
}

// windows turns the preferred times into scheduling's weekly windows.
func (s StudentInput) windows() []scheduling.WeeklyWindow {
	out := make([]scheduling.WeeklyWindow, 0, len(s.PreferredTimes))
	for _, w := range s.PreferredTimes {
		start, _ := scheduling.ParseClock(w.Start)
		end, _ := scheduling.ParseClock(w.End)
		out = append(out, scheduling.WeeklyWindow{Weekday: time.Weekday(w.Weekday), Start: start, End: end})
	}
	return out
}
