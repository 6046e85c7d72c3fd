package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/mail"
	"github.com/partner-onboarding/onboarding/workflows"
)

// CreatePartnerUser creates the person customer of a user addition, or
// refuses, for good, an address a user of another partner has.
func (a *Activities) CreatePartnerUser(ctx context.Context, in workflows.PartnerUserAddition) (string, error) {
	id, err := a.commerce.CreateAddedUser(ctx, in.AdditionID)
	var inUse *commerce.EmailInUseError
	if errors.As(err, &inUse) {
		return "", temporal.NewNonRetryableApplicationError(inUse.Error(), workflows.ErrorEmailInUse, nil)
	}
	if err != nil {
		return "", commerceError("create the user of addition "+in.AdditionID, err)
	}
	return id, nil
}

// JoinPartnerUser puts the addition's user into the partner's hierarchy
// with its role.
func (a *Activities) JoinPartnerUser(ctx context.Context, in workflows.PartnerUserAddition) error {
	if err := a.commerce.JoinAddedUser(ctx, in.AdditionID); err != nil {
		return commerceError("join the user of addition "+in.AdditionID, err)
	}
	return nil
}

// SendInvitation invites the addition's user to sign in, in the language
// of the addition (the partner's, unless the admin chose one). Like the
// requester's emails it goes out at least once: it is recorded under the
// addition's ID, and its Message-ID comes from that ID.
func (a *Activities) SendInvitation(ctx context.Context, in workflows.PartnerUserAddition) error {
	defer keepAlive(ctx)()
	kind := workflows.EmailInvitation
	if _, sent, err := a.commerce.EmailSent(ctx, in.AdditionID, string(kind)); err != nil {
		return commerceError("read sent emails", err)
	} else if sent {
		a.logger(ctx).Info("Email already sent", "kind", kind)
		return nil
	}
	add, err := a.commerce.GetUserAddition(ctx, in.AdditionID)
	if err != nil {
		return commerceError("read user addition "+in.AdditionID, err)
	}
	partner, err := a.commerce.GetPartner(ctx, add.OrganizationID)
	if err != nil {
		return commerceError("read partner "+add.OrganizationID, err)
	}
	body, err := a.templates.render(kind, add.Locale, emailData{
		RequestID:   add.ID,
		FirstName:   add.FirstName,
		LastName:    add.LastName,
		CompanyName: partner.Name,
		ShopName:    a.config.ShopName,
		SignInURL:   a.config.SignInURL,
	})
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrorMailRejected, err)
	}
	messageID := MessageID(add.ID, kind, a.config.MessageIDDomain)
	sendCtx, cancel := context.WithDeadline(ctx, sendDeadline(ctx))
	defer cancel()
	err = a.mail.Send(sendCtx, mail.Message{
		To:        add.Email,
		ToName:    strings.TrimSpace(add.FirstName + " " + add.LastName),
		Subject:   body.Subject,
		Text:      body.Text,
		HTML:      body.HTML,
		MessageID: messageID,
		Headers:   map[string]string{"X-Onboarding-Addition": add.ID, "X-Onboarding-Email": string(kind)},
	})
	if err != nil {
		// As in SendEmail: only the mail port's message, without the address.
		msg := fmt.Sprintf("send %s email for addition %s: %v", kind, add.ID, err)
		if mail.IsPermanent(err) {
			return temporal.NewNonRetryableApplicationError(msg, ErrorMailRejected, nil)
		}
		return errors.New(msg)
	}
	countEmail(ctx, kind)
	recordCtx, cancelRecord := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancelRecord()
	if err := a.commerce.RecordEmailSent(recordCtx, commerce.SentEmail{RequestID: add.ID, Kind: string(kind), MessageID: messageID}); err != nil {
		return commerceError("record sent email", err)
	}
	a.logger(ctx).Info("Email sent", "kind", kind, "messageId", messageID)
	return nil
}
