package api

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"

	"github.com/cartesi/sequencer/hotpath"
	"github.com/cartesi/sequencer/protocol"
)

// txBody is POST /tx as decoded: pointers tell a missing (or null) field
// from a zero one, typed integers reject floats, negatives, strings and
// overflow. Unknown fields are ignored (forward compatibility). The shape is
// api/wire.TxRequest's.
type txBody struct {
	Message *struct {
		Nonce  *uint32 `json:"nonce"`
		MaxFee *uint16 `json:"max_fee"`
		Data   *string `json:"data"`
	} `json:"message"`
	Signature *string `json:"signature"`
	Sender    *string `json:"sender"`
}

// signatureChars and addressChars are the exact lengths of the 0x-prefixed
// hex strings.
const (
	signatureChars = 2 + 2*protocol.SignatureLength
	addressChars   = 2 + 2*20
)

// parseTx runs the checks of POST /tx in the order service.md §3 gives,
// except the body size (fasthttp enforces BodyLimit before the handler; the
// check here is a backstop). It returns the verified op or an *apiError.
//
// Hex strings (data, signature, sender) must start with 0x (or 0X) and have
// an even number of hex digits of either case; anything else is bad hex
// (400). The sender's EIP-55 checksum is not enforced: the recovered address
// must equal it, which is the stronger check. For the payload-size check,
// which precedes the hex check, data counts as ceil(digits/2) bytes.
func parseTx(body []byte, contentType string, maxPayload int, d protocol.Domain) (hotpath.Op, error) {
	var op hotpath.Op
	if len(body) > MaxBodyBytes {
		return op, newError(413, CodePayloadTooLarge, fmt.Sprintf("request body too large: max %d bytes", MaxBodyBytes))
	}
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return op, badRequest("Content-Type must be application/json")
	}
	var req txBody
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return op, badRequest(jsonErrorMessage(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return op, badRequest("invalid JSON: trailing data after the object")
	}
	switch {
	case req.Message == nil:
		return op, badRequest("missing field message")
	case req.Message.Nonce == nil:
		return op, badRequest("missing field message.nonce")
	case req.Message.MaxFee == nil:
		return op, badRequest("missing field message.max_fee")
	case req.Message.Data == nil:
		return op, badRequest("missing field message.data")
	case req.Signature == nil:
		return op, badRequest("missing field signature")
	case req.Sender == nil:
		return op, badRequest("missing field sender")
	}
	sigHex, senderHex, dataHex := *req.Signature, *req.Sender, *req.Message.Data
	if len(sigHex) != signatureChars {
		return op, badRequest(fmt.Sprintf("signature must be 0x and %d hex digits (%d characters), got %d characters",
			signatureChars-2, signatureChars, len(sigHex)))
	}
	if len(senderHex) != addressChars {
		return op, badRequest(fmt.Sprintf("sender must be 0x and 40 hex digits (%d characters), got %d characters",
			addressChars, len(senderHex)))
	}
	digits := len(dataHex)
	if hasHexPrefix(dataHex) {
		digits -= 2
	}
	if n := (digits + 1) / 2; maxPayload > 0 && n > maxPayload {
		return op, badRequest(fmt.Sprintf("user op payload too large: max %d bytes, got %d bytes", maxPayload, n))
	}
	data, err := decodeHex(dataHex)
	if err != nil {
		return op, badRequest("invalid hex in message.data: " + err.Error())
	}
	sigBytes, err := decodeHex(sigHex)
	if err != nil {
		return op, badRequest("invalid hex in signature: " + err.Error())
	}
	sender, err := decodeHex(senderHex)
	if err != nil {
		return op, badRequest("invalid hex in sender: " + err.Error())
	}
	uop := protocol.UserOp{Nonce: *req.Message.Nonce, MaxFee: *req.Message.MaxFee, Data: data}
	recovered, sig, err := d.RecoverSender(uop, sigBytes)
	switch {
	case errors.Is(err, protocol.ErrSignatureParity):
		return op, invalidSignature("invalid signature parity")
	case err != nil:
		return op, invalidSignature("cannot recover sender")
	case !bytes.Equal(recovered[:], sender):
		return op, invalidSignature("sender mismatch")
	}
	return hotpath.Op{Sender: recovered, UserOp: uop, Signature: sig}, nil
}

func hasHexPrefix(s string) bool { return len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') }

// decodeHex decodes "0x"-prefixed, even-length hex ("0x" is empty).
func decodeHex(s string) ([]byte, error) {
	if !hasHexPrefix(s) {
		return nil, errors.New("missing 0x prefix")
	}
	s = s[2:]
	if len(s)%2 != 0 {
		return nil, errors.New("odd number of hex digits")
	}
	b := make([]byte, len(s)/2)
	if _, err := hex.Decode(b, []byte(s)); err != nil {
		return nil, errors.New("invalid hex digit")
	}
	return b, nil
}

// jsonErrorMessage describes a decoding error without Go type names.
func jsonErrorMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return fmt.Sprintf("invalid JSON: %s must be %s, got %s", field, jsonTypeName(te.Type), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "invalid JSON: empty or truncated body"
	}
	return "invalid JSON: " + err.Error()
}

func jsonTypeName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Uint32:
		return "an integer in [0, 4294967295]"
	case reflect.Uint16:
		return "an integer in [0, 65535]"
	case reflect.String:
		return "a string"
	case reflect.Struct:
		return "an object"
	default:
		return t.Kind().String()
	}
}
