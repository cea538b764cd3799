package order

import (
	"strconv"
	"strings"
)

// ParseQuantity reads a whole quantity of one or more.
func ParseQuantity(s string) (int64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "Enter a quantity."
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, "Enter a whole number, like 3."
	}
	if n < 1 {
		return n, "Enter a quantity of 1 or more."
	}
	if n > MaxQuantity {
		return n, "Enter a smaller quantity."
	}
	return n, ""
}

// Limits keep every total within int64 with room to spare.
const (
	MaxAmount   int64 = 1e13 // 100 billion in a two-decimal currency
	MaxQuantity int64 = 1e5
	MaxLines          = 200
)
