package emulator

import (
	"fmt"
	"net/http"
)

// apiError is an OpenAPI error answer: the HTTP status and the body's Code and Message.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(code, format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, code, format, args...)
}

func forbidden(code, format string, args ...any) *apiError {
	return errf(http.StatusForbidden, code, format, args...)
}

func notFound(code, format string, args ...any) *apiError {
	return errf(http.StatusNotFound, code, format, args...)
}

// missingParam is the gateway's answer for an absent mandatory parameter.
func missingParam(name string) *apiError {
	return badRequest("MissingParameter",
		"The input parameter %q that is mandatory for processing this request is not supplied.", name)
}

func invalidParam(name, format string, args ...any) *apiError {
	return badRequest("InvalidParameter", "The specified parameter %q is not valid: %s", name, fmt.Sprintf(format, args...))
}

// Codes that tests and clients branch on.
const (
	codeThrottling         = "Throttling.User"
	codeUnavailable        = "ServiceUnavailable"
	codeIdempotentMismatch = "IdempotentParameterMismatch"
)

func throttled(code string) *apiError {
	if code == "" {
		code = codeThrottling
	}
	return badRequest(code, "Request was denied due to user flow control.")
}

func unavailable() *apiError {
	return errf(http.StatusServiceUnavailable, codeUnavailable,
		"The request has failed due to a temporary failure of the server.")
}
