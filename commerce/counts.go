package commerce

import (
	"context"
	"fmt"
)

// CountProspectsByStatus counts the register's requests in each status.
func (s *Store) CountProspectsByStatus(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM prospects GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count prospects by status: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("count prospects by status: %w", err)
		}
		counts[status] = n
	}
	return counts, rows.Err()
}
