package deal

import "strings"

// rankDigits are the digits of card ranks, in byte order, so ranks sort the
// same on both engines (the PostgreSQL column uses the "C" collation).
const rankDigits = "0123456789abcdefghijklmnopqrstuvwxyz"

// Between returns a rank that sorts strictly after a and before b; "" for
// a means the start of the column and "" for b its end. a < b when both are
// set. Ranks never end in the zero digit, so there is always room between
// two of them: moving a card rewrites one row, never the column.
func Between(a, b string) string {
	if b != "" && a >= b {
		b = ""
	}
	return midpoint(a, b)
}

func midpoint(a, b string) string {
	if b != "" {
		n := 0
		for n < len(b) && digitAt(a, n) == b[n] {
			n++
		}
		if n > 0 {
			return b[:n] + midpoint(tail(a, n), b[n:])
		}
	}
	da := 0
	if a != "" {
		da = strings.IndexByte(rankDigits, a[0])
	}
	db := len(rankDigits)
	if b != "" {
		db = strings.IndexByte(rankDigits, b[0])
	}
	if db-da > 1 {
		return string(rankDigits[(da+db+1)/2])
	}
	if len(b) > 1 {
		return b[:1]
	}
	return string(rankDigits[da]) + midpoint(tail(a, 1), "")
}

func digitAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return rankDigits[0]
}

func tail(s string, n int) string {
	if n >= len(s) {
		return ""
	}
	return s[n:]
}

// SeqRank is the rank of the i-th card of a column filled in one go (demo
// and benchmark data): fixed width, so ranks sort as the numbers do.
func SeqRank(i int) string {
	const width = 5
	var buf [width + 1]byte
	for p := width - 1; p >= 0; p-- {
		buf[p] = rankDigits[i%36]
		i /= 36
	}
	buf[width] = 'i'
	return string(buf[:])
}
