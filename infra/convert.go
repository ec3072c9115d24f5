package main

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// seconds converts d, which settings.Validate has checked to be whole seconds.
func seconds(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}

// retentionDays converts a number of days that settings.Validate has checked to the
// matching awslogs value.
func retentionDays(days int) awslogs.RetentionDays {
	values := map[int]awslogs.RetentionDays{
		1:    awslogs.RetentionDays_ONE_DAY,
		3:    awslogs.RetentionDays_THREE_DAYS,
		5:    awslogs.RetentionDays_FIVE_DAYS,
		7:    awslogs.RetentionDays_ONE_WEEK,
		14:   awslogs.RetentionDays_TWO_WEEKS,
		30:   awslogs.RetentionDays_ONE_MONTH,
		60:   awslogs.RetentionDays_TWO_MONTHS,
		90:   awslogs.RetentionDays_THREE_MONTHS,
		120:  awslogs.RetentionDays_FOUR_MONTHS,
		150:  awslogs.RetentionDays_FIVE_MONTHS,
		180:  awslogs.RetentionDays_SIX_MONTHS,
		365:  awslogs.RetentionDays_ONE_YEAR,
		400:  awslogs.RetentionDays_THIRTEEN_MONTHS,
		545:  awslogs.RetentionDays_EIGHTEEN_MONTHS,
		731:  awslogs.RetentionDays_TWO_YEARS,
		1096: awslogs.RetentionDays_THREE_YEARS,
		1827: awslogs.RetentionDays_FIVE_YEARS,
		2192: awslogs.RetentionDays_SIX_YEARS,
		2557: awslogs.RetentionDays_SEVEN_YEARS,
		2922: awslogs.RetentionDays_EIGHT_YEARS,
		3288: awslogs.RetentionDays_NINE_YEARS,
		3653: awslogs.RetentionDays_TEN_YEARS,
	}
	value, ok := values[days]
	if !ok {
		panic(fmt.Sprintf("infra: log retention of %d days has no awslogs value", days))
	}
	return value
}

// applicationLogLevel converts a slog level name that settings.Validate has checked. With
// JSON logging, Lambda drops application log lines below this level.
func applicationLogLevel(level string) awslambda.ApplicationLogLevel {
	switch level {
	case "debug":
		return awslambda.ApplicationLogLevel_DEBUG
	case "warn":
		return awslambda.ApplicationLogLevel_WARN
	case "error":
		return awslambda.ApplicationLogLevel_ERROR
	default:
		return awslambda.ApplicationLogLevel_INFO
	}
}
