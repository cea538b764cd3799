package web

import "encoding/json"

// eventText is what a sentence for a recorded event is made from.
type eventText struct {
	Actor string // who did it, "Rapport" for the system
	This  string // "this deal" on its own page, "deal Acme renewal" elsewhere
	Data  map[string]json.RawMessage
}

// Str returns the string stored under key in the event's data, or "".
func (t eventText) Str(key string) string {
	var s string
	_ = json.Unmarshal(t.Data[key], &s)
	return s
}

// sentences write one event kind ("deal.stage_changed") in words. Each
// domain adds its kinds from its own file with registerSentence, so a new
// domain never edits the generic describer.
var sentences = map[string]func(eventText) string{}

// registerSentence sets the sentence for an event kind; call it from init.
func registerSentence(kind string, f func(eventText) string) { sentences[kind] = f }
