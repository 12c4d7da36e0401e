package mailpit

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Address is a mailbox as mailpit reports it.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Summary is one message in the list.
type Summary struct {
	ID          string    `json:"ID"`
	MessageID   string    `json:"MessageID"`
	From        Address   `json:"From"`
	To          []Address `json:"To"`
	Subject     string    `json:"Subject"`
	Attachments int       `json:"Attachments"`
	Created     time.Time `json:"Created"`
}

// Attachment is one attached part; Part downloads its content.
type Attachment struct {
	PartID      string `json:"PartID"`
	FileName    string `json:"FileName"`
	ContentType string `json:"ContentType"`
	Size        int    `json:"Size"`
}

// Message is one message with its bodies and attachments.
type Message struct {
	ID          string       `json:"ID"`
	MessageID   string       `json:"MessageID"`
	From        Address      `json:"From"`
	To          []Address    `json:"To"`
	Cc          []Address    `json:"Cc"`
	Subject     string       `json:"Subject"`
	Text        string       `json:"Text"`
	HTML        string       `json:"HTML"`
	Attachments []Attachment `json:"Attachments"`
	Inline      []Attachment `json:"Inline"`
}

// Messages lists every stored message, newest first.
func (s *Server) Messages() ([]Summary, error) {
	var all []Summary
	for start := 0; ; {
		var page struct {
			Total    int       `json:"messages_count"`
			Messages []Summary `json:"messages"`
		}
		q := url.Values{"start": {strconv.Itoa(start)}, "limit": {"500"}}
		if err := s.get("/api/v1/messages?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Messages...)
		start += len(page.Messages)
		if len(page.Messages) == 0 || start >= page.Total {
			return all, nil
		}
	}
}

// Message reads one message by mailpit's ID.
func (s *Server) Message(id string) (*Message, error) {
	var m Message
	if err := s.get("/api/v1/message/"+url.PathEscape(id), &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Part downloads one part (an attachment) of a message.
func (s *Server) Part(id, partID string) ([]byte, error) {
	res, err := s.http.Get(s.URL + "/api/v1/message/" + url.PathEscape(id) + "/part/" + url.PathEscape(partID))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mailpit part %s/%s: %d %s", id, partID, res.StatusCode, body)
	}
	return body, nil
}

// DeleteAll removes every stored message.
func (s *Server) DeleteAll() error {
	req, err := http.NewRequest(http.MethodDelete, s.URL+"/api/v1/messages", nil)
	if err != nil {
		return err
	}
	res, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		return fmt.Errorf("mailpit delete all: %d %s", res.StatusCode, body)
	}
	return nil
}

// WaitForCount polls until at least n messages are stored or timeout
// passes, and returns what is stored then (the caller checks the count).
func (s *Server) WaitForCount(n int, timeout time.Duration) ([]Summary, error) {
	deadline := time.Now().Add(timeout)
	for {
		list, err := s.Messages()
		if err != nil || len(list) >= n || time.Now().After(deadline) {
			return list, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) get(path string, out any) error {
	res, err := s.http.Get(s.URL + path)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit GET %s: %d %s", path, res.StatusCode, body)
	}
	return json.Unmarshal(body, out)
}
