package csvfile

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// CustomField is a custom field a column may map to, as "cf.<Key>".
type CustomField struct {
	Key   string
	Label string
}

// manyKeys are the fields that take several columns.
var manyKeys = map[string]bool{"email": true, "phone": true, "tags": true}

// preset is a Preset with normalised column names.
type preset struct {
	object string
	cols   map[string]string
	// own are its column names that no synonym has: a file with one of
	// them is this export.
	own map[string]bool
}

var (
	presets []preset
	// generic maps a normalised column name to a field key, per object:
	// the synonyms and the presets' columns that map to a field.
	generic = map[string]map[string]string{Contact: {}, Company: {}}
)

func init() {
	for object, keys := range synonyms {
		for key, names := range keys {
			for _, n := range names {
				generic[object][normalise(n)] = key
			}
		}
	}
	for _, p := range Presets {
		pp := preset{object: p.Object, cols: map[string]string{}, own: map[string]bool{}}
		for name, key := range p.Columns {
			n := normalise(name)
			pp.cols[n] = key
			if _, ok := generic[p.Object][n]; !ok {
				pp.own[n] = true
			}
		}
		presets = append(presets, pp)
	}
	for _, p := range Presets {
		for name, key := range p.Columns {
			if n := normalise(name); key != "" {
				if _, ok := generic[p.Object][n]; !ok {
					generic[p.Object][n] = key
				}
			}
		}
	}
}

// normalise reduces a column name to its lower-case letters and digits, so
// "E-mail Address", "email_address" and "EMAIL ADDRESS" are the same.
func normalise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Guess maps each column of header to a field key of object (Contact or
// Company), or "" to leave it out. Names are compared without regard to
// case, spaces and punctuation. In order of precedence: the columns of
// the known export the header is from (Presets; its columns that no
// built-in field takes stay out unless a custom field has their name),
// then custom fields by label or key ("cf.<key>"), then common names in
// English, German, French and Spanish, then (for contacts) names that
// qualify an email or phone ("Work Email", "Phone (mobile)"). A single-valued field goes to
// one column only, the first of the strongest matches; email, phone and
// tags may take several: email, email_2, email_3...
func Guess(header []string, object string, custom []CustomField) []string {
	switch object {
	case "contacts":
		object = Contact
	case "companies":
		object = Company
	}
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = normalise(h)
	}
	p := bestPreset(names, object)
	type match struct{ col, strength int }
	var matches []match
	out := make([]string, len(header))
	for i, n := range names {
		if n == "" {
			continue
		}
		key, strength := "", 0
		inPreset := false
		if p != nil {
			key, inPreset = p.cols[n]
			strength = 4
		}
		if key == "" {
			key, strength = customKey(n, custom), 3
		}
		if key == "" && !inPreset {
			key, strength = generic[object][n], 2
			if key == "" && object == Contact {
				key, strength = fuzzyKey(header[i]), 1
			}
		}
		if key != "" {
			out[i] = key
			matches = append(matches, match{i, strength})
		}
	}
	slices.SortStableFunc(matches, func(a, b match) int { return cmp.Compare(b.strength, a.strength) })
	used := map[string]bool{}
	for _, m := range matches {
		k := out[m.col]
		if used[k] && !manyKeys[k] {
			out[m.col] = ""
		}
		used[k] = true
	}
	count := map[string]int{}
	for i, k := range out {
		if !manyKeys[k] {
			continue
		}
		count[k]++
		if count[k] > 1 {
			out[i] = k + "_" + strconv.Itoa(count[k])
		}
	}
	return out
}

// bestPreset is the known export the header is from: the one with most
// of its own column names there (and then most names in all), or nil.
func bestPreset(names []string, object string) *preset {
	var best *preset
	bestOwn, bestAll := 0, 0
	for i := range presets {
		p := &presets[i]
		if p.object != object {
			continue
		}
		own, all := 0, 0
		for _, n := range names {
			if _, ok := p.cols[n]; ok {
				all++
				if p.own[n] {
					own++
				}
			}
		}
		if own > bestOwn || own == bestOwn && own > 0 && all > bestAll {
			best, bestOwn, bestAll = p, own, all
		}
	}
	return best
}

// customKey is the custom field whose label or key is n, as "cf.<key>".
func customKey(n string, custom []CustomField) string {
	for _, f := range custom {
		if f.Key != "" && (normalise(f.Label) == n || normalise(f.Key) == n) {
			return "cf." + f.Key
		}
	}
	return ""
}

// qualifiers are words that say which email or phone a column holds.
var qualifiers = map[string]bool{
	"work": true, "home": true, "personal": true, "private": true, "business": true, "primary": true,
	"main": true, "other": true, "office": true, "direct": true, "alternate": true, "alt": true,
	"secondary": true, "address": true, "number": true, "no": true, "value": true, "contact": true,
	"1": true, "2": true, "3": true, "4": true, "5": true,
}

var phoneWords = map[string]bool{"phone": true, "telephone": true, "tel": true, "mobile": true, "cell": true, "cellphone": true, "mobilephone": true}

// fuzzyKey reads a column name made of "email" or a phone word and
// qualifiers ("Work Email", "Mobile phone 2"); others are "".
func fuzzyKey(header string) string {
	words := strings.FieldsFunc(strings.ToLower(header), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var rest []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "e" && i+1 < len(words) && words[i+1] == "mail" {
			w = "email"
			i++
		}
		if !qualifiers[w] {
			rest = append(rest, w)
		}
	}
	switch {
	case len(rest) == 1 && (rest[0] == "email" || rest[0] == "mail"):
		return "email"
	case len(rest) >= 1 && len(rest) <= 2 && !slices.ContainsFunc(rest, func(w string) bool { return !phoneWords[w] }):
		return "phone"
	}
	return ""
}

// SplitTags splits a tags value on ";", ",", "|" and Google Contacts'
// " ::: ", trims each tag, drops empty ones, repeats and Google's
// "* myContacts" (every contact has it), and reads "* starred" as
// "starred".
func SplitTags(s string) []string {
	var out []string
	seen := map[string]bool{}
	parts := strings.FieldsFunc(strings.ReplaceAll(s, ":::", ";"), func(r rune) bool { return r == ';' || r == ',' || r == '|' })
	for _, t := range parts {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "* "))
		if t == "" || strings.EqualFold(t, "myContacts") || seen[strings.ToLower(t)] {
			continue
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	return out
}
