package calendar_test

import (
	"fmt"
	"time"

	"caseflow/internal/calendar"
)

func ExampleCalendar_Due() {
	holidays := []calendar.Date{
		{Year: 2026, Month: time.April, Day: 27},
		{Year: 2026, Month: time.April, Day: 30},
		{Year: 2026, Month: time.May, Day: 1},
	}
	cal := calendar.New(holidays)

	limit, err := calendar.ParseLimit("20 days")
	if err != nil {
		panic(err)
	}

	// Reported on Monday 2 March 2026 at 09:00 in Hà Nội. Day 20 is Sunday
	// 22 March: the limit runs to the end of that Sunday under the strict
	// reading of Điều 134, to the end of Monday 23 March under the lenient.
	start := time.Date(2026, time.March, 2, 9, 0, 0, 0, calendar.Location())
	due := cal.Due(start, limit)
	lenient := cal.WithPolicy(calendar.Lenient).Due(start, limit)

	fmt.Println(limit)
	fmt.Println(due)
	fmt.Println(due.In(calendar.Location()).Format("Mon 2006-01-02 15:04 MST"))
	fmt.Println(lenient.In(calendar.Location()).Format("Mon 2006-01-02 15:04 MST"))
	// Output:
	// 20 calendar days
	// 2026-03-22 17:00:00 +0000 UTC
	// Mon 2026-03-23 00:00 +07
	// Tue 2026-03-24 00:00 +07
}
