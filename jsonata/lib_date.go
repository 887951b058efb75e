package jsonata

// registerDateFunctions adds $now, $millis, $fromMillis and $toMillis.
func registerDateFunctions(add func(*Builtin)) {
	add(&Builtin{Name: "now", Signature: "<s?s?:s>", Fn: fnNow})
	add(&Builtin{Name: "millis", Signature: "<:n>", Fn: fnMillis})
	add(&Builtin{Name: "fromMillis", Signature: "<n-s?s?:s>", Fn: fnFromMillis})
	add(&Builtin{Name: "toMillis", Signature: "<s-s?:n>", Fn: fnToMillis})
}

// fnNow is $now([picture [, timezone]]): the evaluation's timestamp, so
// every $now() of one evaluation agrees.
func fnNow(c *Call, args []any) (any, error) {
	return fromMillis(float64(c.Now), optArg(args, 0), optArg(args, 1))
}

// fnMillis is $millis(): the evaluation's timestamp in milliseconds.
func fnMillis(c *Call, _ []any) (any, error) {
	return float64(c.Now), nil
}

// fnFromMillis is $fromMillis(number [, picture [, timezone]]).
func fnFromMillis(_ *Call, args []any) (any, error) {
	millis, ok := args[0].(float64)
	if !ok {
		return Undefined, nil
	}
	return fromMillis(millis, optArg(args, 1), optArg(args, 2))
}

// optArg is the i-th argument when it is a string, else Undefined.
func optArg(args []any, i int) any {
	if i < len(args) {
		if s, ok := args[i].(string); ok {
			return s
		}
	}
	return Undefined
}

// fromMillis formats millis with a picture (Undefined: ISO 8601) in a
// timezone (Undefined: UTC).
func fromMillis(millis float64, picture, timezone any) (any, error) {
	parts := isoParts
	if p, ok := picture.(string); ok {
		var err error
		if parts, err = analyseDateTimePicture(p); err != nil {
			return nil, err
		}
	}
	tz, hasTZ := timezone.(string)
	return formatDateTime(millis, parts, tz, hasTZ)
}

// fnToMillis is $toMillis(timestamp [, picture]). Like jsonata-js it gives
// NaN for a timestamp of the right shape naming no time ("2018-13-01").
func fnToMillis(c *Call, args []any) (any, error) {
	timestamp, ok := args[0].(string)
	if !ok {
		return Undefined, nil
	}
	picture, ok := optArg(args, 1).(string)
	if !ok {
		if !isoTimestamp.MatchString(timestamp) {
			return nil, newError("D3110", 0, "", timestamp)
		}
		return parseISO(timestamp), nil
	}
	millis, ok, err := parseDateTime(timestamp, picture, c.Now)
	if err != nil || !ok {
		return Undefined, err
	}
	return millis, nil
}
