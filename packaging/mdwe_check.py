#!/usr/bin/env python3
"""Runs a command under the seccomp filter systemd installs for MemoryDenyWriteExecute=yes (systemd 252, Debian 12):
mmap/mmap2 with PROT_WRITE|PROT_EXEC, mprotect/pkey_mprotect adding PROT_EXEC and shmat with SHM_EXEC fail with
EPERM. It answers whether the unit could set MemoryDenyWriteExecute (docs/adr/0025): run the executable under it
and see whether it starts and serves.

    python3 packaging/mdwe_check.py dist/strongroom-linux-x64/strongroom server --dev --listen 127.0.0.1:4599

Needs Debian's python3-seccomp (libseccomp's bindings).
"""
import errno
import os
import sys

import seccomp

PROT_WRITE = 0x2
PROT_EXEC = 0x4
SHM_EXEC = 0o100000


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    deny = seccomp.ERRNO(errno.EPERM)
    both = PROT_WRITE | PROT_EXEC
    for name in ("mmap", "mmap2"):
        try:
            f.add_rule(deny, name, seccomp.Arg(2, seccomp.MASKED_EQ, both, both))
        except (RuntimeError, ValueError, OSError):
            pass  # mmap2 exists on 32-bit architectures only
    for name in ("mprotect", "pkey_mprotect"):
        f.add_rule(deny, name, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
    f.add_rule(deny, "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
    f.load()
    os.execv(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
