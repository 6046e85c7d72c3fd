//go:build unix

package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// account is the user PostgreSQL runs as.
type account struct {
	name string
	cred *syscall.Credential // nil: the user running the tests
}

// unprivileged is the user running the tests, unless that is root, which
// initdb refuses: then the postgres account that Debian's package creates,
// else nobody. The switch is made by the kernel as the program starts, as
// runuser or setpriv would, without needing either.
func unprivileged() (account, error) {
	if os.Geteuid() != 0 {
		return account{}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err := strconv.ParseUint(u.Uid, 10, 32)
		if err != nil || uid == 0 {
			continue
		}
		gid, err := strconv.ParseUint(u.Gid, 10, 32)
		if err != nil {
			continue
		}
		// No supplementary groups: root's are not carried over.
		return account{name: name, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
	}
	return account{}, skipError{"the tests run as root, which initdb refuses, and there is no postgres or nobody account to run PostgreSQL as"}
}

// own gives dir to the account, which writes the cluster there.
func (u account) own(dir string) error {
	if u.cred == nil {
		return nil
	}
	return os.Chown(dir, int(u.cred.Uid), int(u.cred.Gid))
}

func (u account) attrs(ownProcessGroup bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: u.cred, Setpgid: ownProcessGroup}
}

// startError makes a refused switch of user (a container without the
// setuid capability) a reason to skip, not a failure.
func (u account) startError(err error) error {
	if u.cred != nil && errors.Is(err, syscall.EPERM) {
		return skipError{fmt.Sprintf("the tests run as root, which initdb refuses, and cannot switch to user %s: %v", u.name, err)}
	}
	return err
}
