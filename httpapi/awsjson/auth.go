package awsjson

import "net/http"

// precheck settles who is calling from the headers alone, before the body
// is read. It returns nil when the API is open.
// TODO(auth helper): SigV4 header checks.
func (s *Server) precheck(r *http.Request) (*Credential, error) {
	if s.cfg.Open {
		return nil, nil
	}
	return nil, errorf(excUnrecognizedClient, "The security token included in the request is invalid.")
}

// verify checks the request's signature over its body.
// TODO(auth helper): SigV4 signature verification.
func (s *Server) verify(r *http.Request, body []byte, cred *Credential) error {
	return nil
}
