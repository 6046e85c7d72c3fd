package mail

import (
	"context"
	"errors"
	"fmt"

	gomail "github.com/wneessen/go-mail"
)

// DeliveryError is an email the SMTP server did not accept, or could not be
// reached for.
type DeliveryError struct {
	MessageID string
	Code      int  // the SMTP reply code, 0 when the server gave none
	Permanent bool // see IsPermanent
	msg       string
	err       error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("deliver email %s: %s", e.MessageID, e.msg)
}

// Unwrap exposes a cancelled or expired context only: the SMTP library's own
// error names the recipient, which must reach neither logs nor histories.
func (e *DeliveryError) Unwrap() error {
	switch {
	case errors.Is(e.err, context.Canceled):
		return context.Canceled
	case errors.Is(e.err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	return nil
}

// IsPermanent reports whether err is one that sending the same message again
// will not cure: an invalid message or address, or a 5xx reply of the server
// to the sender, recipient or data. Network failures and 4xx replies are
// transient.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrInvalidMessage) {
		return true
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Permanent
	}
	_, permanent := classify(err)
	return permanent
}

// classify reads go-mail's SendError. Replies during connecting and
// authenticating (a 5xx greeting, a rejected password) are left transient:
// they are the server's or the configuration's state, not the message's, and
// retrying succeeds once that is fixed.
func classify(err error) (code int, permanent bool) {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return 0, false
	}
	code = se.ErrorCode()
	switch se.Reason {
	case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
		return code, true
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return code, code >= 500 && code <= 599
	}
	return code, false
}
