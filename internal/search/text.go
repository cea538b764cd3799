package search

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Both engines index and query the same tokens, made here in Go: the
// PostgreSQL text parser and SQLite's tokenizer disagree on emails, hosts
// and numbers, and PostgreSQL cannot drop accents without the unaccent
// extension, which a per-schema migration cannot install.
const (
	// maxTokenRunes cuts very long tokens on both sides, so a prefix of a
	// cut token still matches and PostgreSQL's 2 KB lexeme limit is never
	// reached.
	maxTokenRunes = 64
	// maxQueryTokens bounds the work one query can ask for.
	maxQueryTokens = 12
	// maxDocTokens bounds one document, far above any contact's needs and
	// far below PostgreSQL's 1 MB tsvector limit.
	maxDocTokens = 2000
	// minPhoneDigits is how many digits a term or query needs before it is
	// treated as a phone number and also matched as one run of digits.
	minPhoneDigits = 3
)

// letterFold maps lower-case letters that have no Unicode decomposition to
// what people type instead; ς→σ makes Greek final sigma match any sigma.
var letterFold = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d",
	'ð': "d", 'þ': "th", 'ı': "i", 'ς': "σ",
}

// fold lowers s and removes the accents of Latin, Greek and Cyrillic
// letters, so "Zoë", "ZOE" and "zoe" are one word. Only the combining
// diacritical marks block is dropped: marks of other scripts (Devanagari
// vowel signs, Japanese voicing marks) change the letter and are kept.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFKD.String(s) {
		if r >= 0x300 && r <= 0x36f {
			continue
		}
		r = unicode.ToLower(r)
		if f, ok := letterFold[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// isWordRune reports whether r belongs inside a word. Everything else
// (spaces, punctuation, @, +, quotes, operators of either query language)
// separates words, which is what neutralises hostile query text.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// words returns the folded words of s, each cut to maxTokenRunes.
func words(s string) []string {
	fields := strings.FieldsFunc(fold(s), func(r rune) bool { return !isWordRune(r) })
	for i, f := range fields {
		if utf8.RuneCountInString(f) > maxTokenRunes {
			fields[i] = string([]rune(f)[:maxTokenRunes])
		}
	}
	return fields
}

// Words returns the tokens search indexes for s: folded, split on
// punctuation. For tools that read the index with plain SQL (the
// benchmarks' baselines).
func Words(s string) []string { return words(s) }

// phoneDigits returns the digits of s when s is written like a phone
// number: only digits, spaces and + - ( ) . / with at least
// minPhoneDigits digits. "+49 (151) 234-56" gives "4915123456".
func phoneDigits(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(" \t+-()./", r):
		default:
			return "", false
		}
	}
	if b.Len() < minPhoneDigits {
		return "", false
	}
	d := b.String()
	if len(d) > maxTokenRunes {
		d = d[:maxTokenRunes]
	}
	return d, true
}

// docWords returns the tokens to index for d in order: the title, the
// subtitle, then every term, each phone-like term followed by its digits
// written together so "+49 151 2345678" is also found as "49151234".
func docWords(d Doc) []string {
	out, _ := titledWords(d)
	return out
}

// titledWords is docWords with the number of its first tokens that are
// the title's.
func titledWords(d Doc) ([]string, int) {
	out := words(d.Title)
	title := len(out)
	out = append(out, words(d.Subtitle)...)
	for _, t := range d.Terms {
		w := words(t)
		out = append(out, w...)
		if digits, ok := phoneDigits(t); ok && (len(w) != 1 || w[0] != digits) {
			out = append(out, digits)
		}
	}
	return out[:min(len(out), maxDocTokens)], min(title, maxDocTokens)
}

// query is parsed user input: each whitespace-separated word of the input
// becomes a phrase of its tokens ("anna.smith@exa" → anna smith exa) whose
// last token is a prefix, and all phrases must match.
type query struct {
	phrases [][]string
}

// parseQuery turns user input into a query. Input with no letters or
// digits gives an empty query. Input written like a phone number from its
// start ("+49 151 234", "(030) 123", "0151-23") is one prefix of its digits,
// matched against the digits-only copies docWords indexes; reading it as
// separate numbers would match "49" in every German number.
func parseQuery(text string) query {
	var q query
	t := strings.TrimSpace(text)
	if d, ok := phoneDigits(t); ok && strings.ContainsAny(t[:1], "+0(") {
		q.phrases = [][]string{{d}}
		return q
	}
	n := 0
	for _, field := range strings.Fields(t) {
		w := words(field)
		if len(w) == 0 {
			continue
		}
		if n+len(w) > maxQueryTokens {
			w = w[:maxQueryTokens-n]
		}
		q.phrases = append(q.phrases, w)
		n += len(w)
		if n == maxQueryTokens {
			break
		}
	}
	return q
}

// empty reports whether q can match nothing.
func (q query) empty() bool { return len(q.phrases) == 0 }

// tokens returns every token of q's phrases in order.
func (q query) tokens() []string {
	var out []string
	for _, p := range q.phrases {
		out = append(out, p...)
	}
	return out
}

// ftsQuery writes q as an FTS5 MATCH expression. Every phrase is a quoted
// string, so FTS5 reads no operator, column filter or NEAR from user text.
func ftsQuery(q query) string {
	parts := make([]string, len(q.phrases))
	for i, p := range q.phrases {
		parts[i] = ftsString(strings.Join(p, " ")) + "*"
	}
	return strings.Join(parts, " AND ")
}

// ftsQueryExact is ftsQuery with whole words only: no phrase ends in a
// prefix.
func ftsQueryExact(q query) string {
	parts := make([]string, len(q.phrases))
	for i, p := range q.phrases {
		parts[i] = ftsString(strings.Join(p, " "))
	}
	return strings.Join(parts, " AND ")
}

func ftsString(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// tsQuery writes q as a tsquery for documents of kind. Lexemes carry the
// kind ("contact:anna") so the GIN prefix scan reads only that kind's
// entries; each lexeme is a quoted literal, so no tsquery operator in user
// text survives.
func tsQuery(kind string, q query) string {
	parts := make([]string, len(q.phrases))
	for i, p := range q.phrases {
		lex := make([]string, len(p))
		for j, t := range p {
			lex[j] = tsLexeme(kind, t)
		}
		parts[i] = "(" + strings.Join(lex, " <-> ") + ":*)"
	}
	return strings.Join(parts, " & ")
}

// tsVector writes the tokens of a document of kind as a tsvector literal
// with positions, so phrase queries work.
func tsVector(kind string, tokens []string) string {
	var b strings.Builder
	for i, t := range tokens {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tsLexeme(kind, t))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(min(i+1, maxPosition)))
	}
	return b.String()
}

// tsLexeme quotes kind:token for tsvector and tsquery input.
func tsLexeme(kind, token string) string {
	s := kind + ":" + token
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `''`)
	return "'" + s + "'"
}
