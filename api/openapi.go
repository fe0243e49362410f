package api

import (
	"bytes"
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openapiYAML is api/openapi.yaml, the HTTP contract of both listeners,
// embedded so the server always serves the contract it was built with. It
// is never written to.
//
//go:embed openapi.yaml
var openapiYAML []byte

// MIMEApplicationYAML is the content type of GET /openapi.yaml (RFC 9512).
const MIMEApplicationYAML = "application/yaml"

// OpenAPISpec returns a copy of the embedded OpenAPI document
// (api/openapi.yaml).
func OpenAPISpec() []byte { return bytes.Clone(openapiYAML) }

// getOpenAPI serves the embedded contract, so integrators can fetch the
// exact version a deployment speaks.
func getOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, MIMEApplicationYAML)
	return c.Send(openapiYAML)
}
