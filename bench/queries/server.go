package main

import (
	"encoding/json"
	"fmt"
	"net/http"

	"cedarheights/bench/internal/served"
)

// server is the academy binary serving the benchmark data (bench/internal/served).
type server struct{ *served.Server }

// getJSON decodes a GET's JSON answer.
func (s server) getJSON(path, token string, out any) error {
	req, _ := http.NewRequest(http.MethodGet, s.Base+path, nil)
	req.Header.Set("Authorization", token)
	res, err := served.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", path, res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(out)
}
