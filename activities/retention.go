package activities

import (
	"context"

	"github.com/partner-onboarding/onboarding/workflows"
)

// ErasePersonalData erases one batch of requests rejected before the
// batch's time and says how many it erased; the store picks them and keeps
// approved and running requests out.
func (a *Activities) ErasePersonalData(ctx context.Context, in workflows.ErasureBatch) (int, error) {
	n, err := a.commerce.ErasePersonalData(ctx, in.Before, in.Limit)
	if err != nil {
		return 0, commerceError("erase personal data", err)
	}
	a.logger(ctx).Info("Personal data erased", "requests", n, "rejectedBefore", in.Before)
	return n, nil
}
