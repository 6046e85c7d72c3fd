package pgtest

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

func TestStartGivesEachTestItsOwnDatabase(t *testing.T) {
	ctx := context.Background()
	var first string
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			dsn := Start(t)
			u, err := url.Parse(dsn)
			if err != nil || u.Hostname() != "127.0.0.1" {
				t.Fatalf("URL %q (%v), want one on 127.0.0.1", dsn, err)
			}
			if dsn == first {
				t.Fatalf("both tests got %s", dsn)
			}
			cfg, err := pgx.ParseConfig(dsn)
			if err != nil {
				t.Fatal(err)
			}
			db := stdlib.OpenDB(*cfg)
			defer db.Close()
			// The first test leaves a table behind; the second must not see it.
			var tables int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
				t.Fatalf("a new database has %d tables (%v), want none", tables, err)
			}
			if _, err := db.ExecContext(ctx, `CREATE TABLE left_behind (id INT)`); err != nil {
				t.Fatal(err)
			}
			for setting, want := range map[string]string{"listen_addresses": "127.0.0.1", "fsync": "off"} {
				var got string
				if err := db.QueryRowContext(ctx, "SHOW "+setting).Scan(&got); err != nil || got != want {
					t.Errorf("%s = %q (%v), want %q", setting, got, err, want)
				}
			}
			first = dsn
		})
	}
}
