package sns

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// signingCertPath is the URL path of the certificate that verifies envelope signatures,
// served by ServeHTTP. Every SigningCertURL points to it.
const signingCertPath = "/SimpleNotificationService-local.pem"

// signer signs envelopes the way SNS does: SignatureVersion 1 is SHA1withRSA and 2 is
// SHA256withRSA, over the canonical string of the envelope's fields. Its RSA key and
// self-signed certificate are made on first use, because a 2048-bit key takes tens of
// milliseconds to generate and many tests never sign.
type signer struct {
	commonName string

	once    sync.Once
	key     *rsa.PrivateKey
	certPEM []byte
	err     error
}

func (g *signer) init() error {
	g.once.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			g.err = fmt.Errorf("generate envelope signing key: %w", err)
			return
		}
		template := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()),
			Subject:      pkix.Name{CommonName: g.commonName, Organization: []string{"relay local cloud"}},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().AddDate(1, 0, 0),
			KeyUsage:     x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
		if err != nil {
			g.err = fmt.Errorf("create envelope signing certificate: %w", err)
			return
		}
		g.key = key
		g.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	})
	return g.err
}

// sign returns the base64 signature of canonical for SignatureVersion version ("1" or "2").
func (g *signer) sign(version string, canonical string) (string, error) {
	if err := g.init(); err != nil {
		return "", err
	}
	var digest []byte
	hash := crypto.SHA1
	if version == "2" {
		sum := sha256.Sum256([]byte(canonical))
		digest, hash = sum[:], crypto.SHA256
	} else {
		sum := sha1.Sum([]byte(canonical))
		digest = sum[:]
	}
	signature, err := rsa.SignPKCS1v15(nil, g.key, hash, digest)
	if err != nil {
		return "", fmt.Errorf("sign envelope: %w", err)
	}
	return base64.StdEncoding.EncodeToString(signature), nil
}

// certificate returns the PEM certificate whose key signs envelopes.
func (g *signer) certificate() ([]byte, error) {
	if err := g.init(); err != nil {
		return nil, err
	}
	return g.certPEM, nil
}

// canonicalString builds the text SNS signs: "Name\nvalue\n" for each field in the order
// given. The caller lists the fields of the message type in AWS's order and omits a
// Subject that was not set.
func canonicalString(fields ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(fields); i += 2 {
		b.WriteString(fields[i])
		b.WriteByte('\n')
		b.WriteString(fields[i+1])
		b.WriteByte('\n')
	}
	return b.String()
}

func (s *Service) serveSigningCert(w http.ResponseWriter) {
	cert, err := s.signer.certificate()
	if err != nil {
		s.logger.Error("sns signing certificate unavailable", "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(cert)
}
