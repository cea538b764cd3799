// Package passkeytest is a software authenticator for tests: it answers
// the options a relying party sends for navigator.credentials.create and
// get as a browser with a platform authenticator would, following the
// WebAuthn specification by hand: ECDSA P-256 (ES256) keys, "none"
// attestation, client data JSON, and the credential JSON a browser posts.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Authenticator flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// Authenticator makes and uses credentials as if it were the browser at
// Origin, with an authenticator that verifies its user.
type Authenticator struct {
	// Origin is the origin the browser puts into the client data.
	Origin string
	// NoUserVerification makes the authenticator report a user who was
	// present but not verified (no PIN, no biometrics).
	NoUserVerification bool
	// Synced makes new credentials backup eligible and backed up.
	Synced bool
	// AAGUID is the authenticator model's id put into new credentials.
	AAGUID [16]byte
}

// Credential is a credential the authenticator made. SignCount is the
// counter of the next signature less one; tests may set it back.
type Credential struct {
	ID         []byte
	Key        *ecdsa.PrivateKey
	RPID       string
	UserHandle []byte
	SignCount  uint32
	synced     bool
}

var b64 = base64.RawURLEncoding

// B64 encodes b as base64url without padding, as WebAuthn JSON does.
func B64(b []byte) string { return b64.EncodeToString(b) }

// creationOptions is the part of PublicKeyCredentialCreationOptions read here.
type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

// requestOptions is the part of PublicKeyCredentialRequestOptions read here.
type requestOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		Allow     []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// Create answers creation options (the JSON the server sent) with a new
// credential and returns the browser's JSON answer and the credential.
func (a *Authenticator) Create(options []byte) ([]byte, *Credential, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, nil, fmt.Errorf("passkeytest: creation options: %w", err)
	}
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil || o.PublicKey.Challenge == "" || o.PublicKey.RP.ID == "" {
		return nil, nil, errors.New("passkeytest: creation options lack a challenge, user id or rp id")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	c := &Credential{ID: make([]byte, 32), Key: key, RPID: o.PublicKey.RP.ID, UserHandle: handle, synced: a.Synced}
	rand.Read(c.ID)
	clientData := a.clientData("webauthn.create", o.PublicKey.Challenge)

	// Attested credential data: AAGUID, id length, id, COSE public key.
	attested := append([]byte{}, a.AAGUID[:]...)
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(c.ID)))
	attested = append(attested, c.ID...)
	attested = append(attested, coseKey(&key.PublicKey)...)
	authData := a.authData(c, flagAT, 0)
	authData = append(authData, attested...)

	var att cbor
	att.mapHeader(3)
	att.text("fmt")
	att.text("none")
	att.text("attStmt")
	att.mapHeader(0)
	att.text("authData")
	att.bytes(authData)
	resp := map[string]any{
		"id": B64(c.ID), "rawId": B64(c.ID), "type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{"credProps": map[string]bool{"rk": true}},
		"response": map[string]any{
			"clientDataJSON":    B64(clientData),
			"attestationObject": B64(att),
			"transports":        []string{"internal", "hybrid"},
		},
	}
	b, err := json.Marshal(resp)
	return b, c, err
}

// Get answers request options with an assertion by c, whose counter it
// moves on by one first. It answers even when c is not among the
// allowed credentials, as a misbehaving client might.
func (a *Authenticator) Get(options []byte, c *Credential) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("passkeytest: request options: %w", err)
	}
	if o.PublicKey.Challenge == "" {
		return nil, errors.New("passkeytest: request options lack a challenge")
	}
	c.SignCount++
	clientData := a.clientData("webauthn.get", o.PublicKey.Challenge)
	authData := a.authData(c, 0, c.SignCount)
	hash := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte{}, authData...), hash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	resp := map[string]any{
		"id": B64(c.ID), "rawId": B64(c.ID), "type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    B64(clientData),
			"authenticatorData": B64(authData),
			"signature":         B64(sig),
			"userHandle":        B64(c.UserHandle),
		},
	}
	return json.Marshal(resp)
}

// Allowed returns the credential ids the request options allow, decoded.
func Allowed(options []byte) ([][]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	var out [][]byte
	for _, c := range o.PublicKey.Allow {
		id, err := b64.DecodeString(c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{typ, challenge, a.Origin, false})
	return b
}

// authData is the authenticator data up to the attested credential data:
// RP ID hash, flags, signature counter.
func (a *Authenticator) authData(c *Credential, extra byte, count uint32) []byte {
	rpHash := sha256.Sum256([]byte(c.RPID))
	flags := byte(flagUP) | extra
	if !a.NoUserVerification {
		flags |= flagUV
	}
	if c.synced {
		flags |= flagBE | flagBS
	}
	out := append([]byte{}, rpHash[:]...)
	out = append(out, flags)
	return binary.BigEndian.AppendUint32(out, count)
}

// coseKey encodes an EC2 P-256 public key as a COSE_Key (RFC 9053):
// {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}.
func coseKey(k *ecdsa.PublicKey) []byte {
	raw, _ := k.Bytes() // 0x04 || x || y
	var c cbor
	c.mapHeader(5)
	c.int(1)
	c.int(2)
	c.int(3)
	c.int(-7)
	c.int(-1)
	c.int(1)
	c.int(-2)
	c.bytes(raw[1:33])
	c.int(-3)
	c.bytes(raw[33:65])
	return c
}

// cbor writes the few CBOR (RFC 8949) items WebAuthn needs.
type cbor []byte

func (c *cbor) head(major byte, n uint64) {
	switch {
	case n < 24:
		*c = append(*c, major<<5|byte(n))
	case n < 1<<8:
		*c = append(*c, major<<5|24, byte(n))
	case n < 1<<16:
		*c = binary.BigEndian.AppendUint16(append(*c, major<<5|25), uint16(n))
	default:
		*c = binary.BigEndian.AppendUint32(append(*c, major<<5|26), uint32(n))
	}
}

func (c *cbor) int(n int64) {
	if n >= 0 {
		c.head(0, uint64(n))
	} else {
		c.head(1, uint64(-1-n))
	}
}

func (c *cbor) bytes(b []byte)      { c.head(2, uint64(len(b))); *c = append(*c, b...) }
func (c *cbor) text(s string)       { c.head(3, uint64(len(s))); *c = append(*c, s...) }
func (c *cbor) mapHeader(pairs int) { c.head(5, uint64(pairs)) }
