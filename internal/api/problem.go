package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
)

// Problem types beyond the plain HTTP status ("about:blank").
const (
	TypeValidation = "urn:rapport:problem:validation"
	TypeConflict   = "urn:rapport:problem:conflict"
	typeBlank      = "about:blank"
)

// Problem is an RFC 9457 problem details object. Every error the API
// answers has this shape, huma's own request validation included.
type Problem struct {
	Type   string       `json:"type" format:"uri-reference" example:"urn:rapport:problem:validation" doc:"What kind of problem this is: about:blank (the HTTP status says it all), urn:rapport:problem:validation or urn:rapport:problem:conflict."`
	Title  string       `json:"title" example:"Unprocessable Entity" doc:"A short summary of the problem type."`
	Status int          `json:"status" example:"422" doc:"The HTTP status code."`
	Detail string       `json:"detail" example:"Check the fields listed in errors: emails[0]." doc:"What went wrong this time, in words a person understands."`
	Errors []FieldError `json:"errors" doc:"Every bad field with its message; empty when the problem is not about fields."`
}

// FieldError names one bad field of the request: a body property path
// such as emails[0] or custom.plan, or a query or path parameter's name.
type FieldError struct {
	Field   string `json:"field" example:"emails[0]" doc:"The field: a property path in the body (address.city, emails[0], custom.plan) or a parameter name."`
	Message string `json:"message" example:"\"bob@\" is not an email address like name@example.com." doc:"What is wrong with it."`
}

func (p *Problem) Error() string  { return p.Detail }
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma send problems as application/problem+json.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

func init() {
	// huma builds every error through NewError: its request validation,
	// bad JSON, oversized bodies, and the error schema in the OpenAPI
	// document. ValidateStrictCasing makes "First_Name" an unknown property
	// rather than a silent alias of first_name.
	huma.NewError = newError
	huma.ValidateStrictCasing = true
}

func newProblem(status int, detail string, fields ...FieldError) *Problem {
	p := &Problem{Type: typeBlank, Title: http.StatusText(status), Status: status, Detail: detail,
		Errors: append([]FieldError{}, fields...)}
	switch {
	case status == http.StatusConflict && len(fields) > 0:
		p.Type = TypeConflict
	case status == http.StatusUnprocessableEntity:
		p.Type = TypeValidation
	}
	return p
}

// newError turns huma's errors into Problems.
func newError(status int, msg string, errs ...error) huma.StatusError {
	if status == 0 {
		return &Problem{} // the schema example
	}
	if status >= 500 {
		return newProblem(status, "Something went wrong on our side; the error was logged.")
	}
	var fields []FieldError
	for _, err := range errs {
		var d *huma.ErrorDetail
		switch {
		case errors.As(err, &d):
			fields = append(fields, translate(d))
		case err != nil:
			fields = append(fields, FieldError{Field: "body", Message: sentence(err.Error())})
		}
	}
	// huma reports schema problems in no particular order.
	slices.SortStableFunc(fields, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	detail := sentence(msg)
	switch {
	case status == http.StatusUnsupportedMediaType:
		detail = "Send the body as JSON, with Content-Type: application/json."
		fields = nil
	case status == http.StatusRequestEntityTooLarge:
		detail = fmt.Sprintf("The request body is larger than %d MB.", maxBody>>20)
		fields = nil
	case status == http.StatusBadRequest && len(fields) > 0 && fields[0].Field == "body":
		detail = "The request body could not be read as JSON."
	case len(fields) > 0:
		detail = checkFields(fields)
	}
	return newProblem(status, detail, fields...)
}

func checkFields(fields []FieldError) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Field
	}
	return "Check the fields listed in errors: " + strings.Join(names, ", ") + "."
}

var (
	requiredMsg = regexp.MustCompile(`^expected required property (\S+) to be present$`)
	oneOfMsg    = regexp.MustCompile(`^expected value to be one of "(.*)"$`)
	boundMsg    = regexp.MustCompile(`^expected (number|length|array length) (>=|<=) (\S+)$`)
)

var bounds = map[string]string{"number>=": "Use a number of at least %s.", "number<=": "Use a number of at most %s.",
	"length>=": "Use at least %s characters.", "length<=": "Use at most %s characters.",
	"array length>=": "Give at least %s items.", "array length<=": "Give at most %s items."}

// translate turns one huma validation detail into a FieldError: the
// location loses its "body."/"query."/"path." prefix and the message
// becomes a sentence a person understands.
func translate(d *huma.ErrorDetail) FieldError {
	loc := d.Location
	for _, p := range []string{"body.", "query.", "path.", "header."} {
		loc = strings.TrimPrefix(loc, p)
	}
	msg := d.Message
	switch {
	case requiredMsg.MatchString(msg):
		name := requiredMsg.FindStringSubmatch(msg)[1]
		if loc == "body" {
			loc = name
		} else {
			loc += "." + name
		}
		msg = "This field is required."
	case msg == "unexpected property":
		msg = fmt.Sprintf("There is no field %q here; check the spelling or leave it out.", lastPart(loc))
	case msg == "expected string":
		msg = "Use text (a JSON string) here."
	case msg == "expected number", msg == "expected integer":
		msg = "Use a number here."
	case msg == "expected boolean":
		msg = "Use true or false here."
	case msg == "expected array":
		msg = "Use a list (a JSON array) here."
	case msg == "expected object":
		msg = "Use an object here."
	case boundMsg.MatchString(msg):
		m := boundMsg.FindStringSubmatch(msg)
		msg = fmt.Sprintf(bounds[m[1]+m[2]], m[3])
	case oneOfMsg.MatchString(msg):
		msg = "Choose one of: " + oneOfMsg.FindStringSubmatch(msg)[1] + "."
	case strings.HasPrefix(msg, "expected string to be RFC 3339 date-time"):
		msg = "Use a date and time like 2024-05-31T14:30:00Z."
	case loc == "body":
		msg = "Send valid JSON: " + msg + "."
	default:
		msg = sentence(msg)
	}
	return FieldError{Field: loc, Message: msg}
}

func lastPart(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func unauthorized() *Problem {
	return newProblem(http.StatusUnauthorized, "Sign in first, or send an API key as Authorization: Bearer rk_live_…: this API acts as a user.")
}

func noRoute(status int, r *http.Request) *Problem {
	if status == http.StatusMethodNotAllowed {
		return newProblem(status, fmt.Sprintf("%s is not allowed on %s.", r.Method, r.URL.Path))
	}
	return newProblem(http.StatusNotFound, fmt.Sprintf("There is no API endpoint at %s.", r.URL.Path))
}

// writeProblem answers outside huma (before routing) in the same format.
func writeProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// fail maps a service error to a Problem: a Validation is 422 (409 when it
// is a conflict such as a taken email), with every field; not found 404
// (also for records the actor may not see, which services report as not
// found); forbidden 403; anything else is logged and answered 500.
func (a *API) fail(ctx context.Context, err error) error {
	if v := apperr.AsValidation(err); v != nil {
		fields := make([]FieldError, len(v.Fields))
		for i, f := range v.Fields {
			fields[i] = FieldError{Field: f.Field, Message: f.Message}
		}
		status := http.StatusUnprocessableEntity
		detail := checkFields(fields)
		if v.Conflict {
			status = http.StatusConflict
			detail = "Another record already has this value: " + strings.TrimPrefix(detail, "Check the fields listed in errors: ")
		}
		return newProblem(status, detail, fields...)
	}
	if a.o.DB != nil {
		route, _ := ctx.Value(routeKey{}).(string)
		method, path, _ := strings.Cut(route, " ")
		if _, aerr := audit.Refused(ctx, a.o.DB.W, err, method, path); aerr != nil {
			a.logger.ErrorContext(ctx, "api: audit", "err", aerr)
		}
	}
	var missing *access.MissingScopeError
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		return newProblem(http.StatusNotFound, "There is no such record, or you may not see it.")
	case errors.As(err, &missing):
		return newProblem(http.StatusForbidden, fmt.Sprintf("This API key lacks the scope %s, which this call needs.", missing.Scope))
	case errors.Is(err, apperr.ErrForbidden):
		return newProblem(http.StatusForbidden, "Your role does not allow this.")
	case errors.Is(err, apperr.ErrConflict):
		return newProblem(http.StatusConflict, "Someone else changed this at the same time; read it again and retry.")
	}
	a.logger.ErrorContext(ctx, "api: request failed", "err", err)
	return newProblem(http.StatusInternalServerError, "Something went wrong on our side; the error was logged.")
}
