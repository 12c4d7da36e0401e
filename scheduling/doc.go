// Package scheduling owns the academy's time logic: wall-clock times in the
// academy's IANA zone, weekly availability windows and their overlaps. It is
// pure (plain structs in, plain structs out, no PocketBase types) so every
// rule can be unit-tested and fuzzed in microseconds; the PocketBase glue
// lives in hooks/.
package scheduling
