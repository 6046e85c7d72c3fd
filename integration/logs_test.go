package integration

import (
	"strings"
	"testing"
)

// personalMarkers are pieces of the personal data the integration tests
// send (requesters' and added users' addresses, names, phones, streets), and of SMTP
// addresses: none may appear in a line of our processes' logs.
var personalMarkers = []string{
	"@partner.example", "Lovelace", "Philippa", "Quennell", "+49 221 1234567", "+49 30 7654321",
	"Industriestr", "Geheimweg", `"King"`, "lastName=King", "Bo Berg",
}

// ourProcesses are the log prefixes of the product's own processes. The
// Sales stand-in plays Dataverse and Mailpit the SMTP server: they hold the
// data by design.
var ourProcesses = []string{"worker ", "starter ", "stack "}

// personalDataIn returns the lines of our processes' logs that carry a
// personal marker.
func personalDataIn(logs string) []string {
	var found []string
	for line := range strings.Lines(logs) {
		ours := false
		for _, p := range ourProcesses {
			ours = ours || strings.HasPrefix(line, p)
		}
		if !ours {
			continue
		}
		for _, m := range personalMarkers {
			if strings.Contains(line, m) {
				found = append(found, strings.TrimSpace(line))
				break
			}
		}
	}
	return found
}

func TestPersonalDataInLogsIsFound(t *testing.T) {
	logs := "worker   | time=... level=ERROR msg=\"Activity error\" error=\"550 rejected <won@partner.example>\"\n" +
		"starter  | time=... level=INFO msg=\"Request accepted\" requestId=0f\n" +
		"standin  | time=... lead Ada Lovelace created\n" +
		"worker   | time=... level=INFO msg=\"Request corrected\" lastName=King\n"
	found := personalDataIn(logs)
	if len(found) != 2 || !strings.Contains(found[0], "won@partner.example") || !strings.Contains(found[1], "King") {
		t.Errorf("found = %q; want the worker's two lines", found)
	}
}
