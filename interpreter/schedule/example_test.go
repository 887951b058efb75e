package schedule_test

import (
	"fmt"
	"time"

	"github.com/sfn-project/sfn/interpreter/schedule"
)

// The slots of a cron expression in New York across the spring change:
// 02:30 does not exist on March 9, 2025, so that day has no slot.
func ExamplePlan_Next() {
	expr, err := schedule.Parse("cron(30 2 * * ? *)")
	if err != nil {
		panic(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	p := schedule.Plan{Expr: expr, Loc: ny}
	at := time.Date(2025, 3, 7, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		at, _ = p.Next(at)
		fmt.Println(at.In(ny).Format("Mon Jan 2 15:04 MST"), schedule.ExecutionName("nightly", at))
	}
	// Output:
	// Sat Mar 8 02:30 EST nightly-20250308T073000Z
	// Mon Mar 10 02:30 EDT nightly-20250310T063000Z
	// Tue Mar 11 02:30 EDT nightly-20250311T063000Z
}

func ExampleParse_error() {
	_, err := schedule.Parse("cron(0 9 ? * MON-FRY *)")
	fmt.Println(err)
	// Output:
	// expression "cron(0 9 ? * MON-FRY *)": day-of-week field, column 18: "FRY" is not a value: want 1-7 or SUN-SAT
}
