package schemaregistryfake

import (
	"fmt"
	"net/http"
)

// apiError is the registry's error body: an HTTP status plus error_code.
type apiError struct {
	Status  int    `json:"-"`
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// Error codes, as Confluent's RestApiException subclasses number them.
const (
	codeSubjectNotFound       = 40401
	codeVersionNotFound       = 40402
	codeSchemaNotFound        = 40403
	codeSubjectSoftDeleted    = 40404
	codeSubjectNotSoftDeleted = 40405
	codeVersionSoftDeleted    = 40406
	codeVersionNotSoftDeleted = 40407
	codeSubjectConfigNotFound = 40408
	codeIncompatible          = 409
	codeInvalidSchema         = 42201
	codeInvalidVersion        = 42202
	codeInvalidCompatibility  = 42203
	codeReferenceExists       = 42206
	codeStoreError            = 50001
)

func errSubjectNotFound(s string) *apiError {
	return &apiError{http.StatusNotFound, codeSubjectNotFound, fmt.Sprintf("Subject '%s' not found.", s)}
}

func errVersionNotFound(v int) *apiError {
	return &apiError{http.StatusNotFound, codeVersionNotFound, fmt.Sprintf("Version %d not found.", v)}
}

func errSchemaNotFound(detail string) *apiError {
	return &apiError{http.StatusNotFound, codeSchemaNotFound, detail}
}

func errInvalidSchema(detail string) *apiError {
	return &apiError{http.StatusUnprocessableEntity, codeInvalidSchema, "Invalid schema " + detail}
}

func errInvalidVersion(v string) *apiError {
	return &apiError{http.StatusUnprocessableEntity, codeInvalidVersion, fmt.Sprintf(
		"The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", v)}
}

func errInvalidCompatibility() *apiError {
	return &apiError{http.StatusUnprocessableEntity, codeInvalidCompatibility,
		"Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive"}
}

func errHTTP(status int) *apiError {
	return &apiError{status, status, fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))}
}
