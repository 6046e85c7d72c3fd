//go:build !unix

package pgtest

import "syscall"

type account struct{}

func unprivileged() (account, error) {
	return account{}, skipError{"the test cluster is started on Unix only"}
}

func (account) own(string) error { return nil }

func (account) attrs(bool) *syscall.SysProcAttr { return nil }

func (account) startError(err error) error { return err }
