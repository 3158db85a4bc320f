package caseflow

import (
	"time"
	// The embedded zone database keeps Asia/Ho_Chi_Minh loadable on minimal
	// images that ship without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// ZoneName is the IANA name of the province's time zone, as SQL names it.
const ZoneName = "Asia/Ho_Chi_Minh"

// Zone is the province's time zone, Asia/Ho_Chi_Minh: legal days, periods
// and case years are counted in it and times are shown in it. When the zone
// database cannot be read it is the equivalent fixed UTC+7 zone: Vietnam has
// had no daylight saving time since 1975, so both give the same answers.
var Zone = func() *time.Location {
	loc, err := time.LoadLocation(ZoneName)
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}()

// Local shows a time in the province's zone.
func Local(t time.Time) time.Time { return t.In(Zone) }
