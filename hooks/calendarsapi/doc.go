// Package calendarsapi serves the calendar feeds: minting and rotating a
// feed's token, and the .ics feed itself (ics.go), which needs only its
// token.
//
// It imports hooks (the plumbing), academy and letters.
package calendarsapi
