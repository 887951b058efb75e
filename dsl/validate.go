package dsl

// validate checks the rules the schema cannot express (placeholder; being written).
func (c *compiler) validate(d *Definition) {}
