package onboarding
import (
 _ "go.temporal.io/sdk/client"
 _ "go.temporal.io/sdk/contrib/envconfig"
 _ "github.com/wneessen/go-mail"
 _ "github.com/google/uuid"
 _ "modernc.org/sqlite"
 _ "golang.org/x/oauth2/clientcredentials"
)

