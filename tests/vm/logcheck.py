#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tests/vm/logcheck.py - find kernel complaints in a tests/vm/run console log.

usage: logcheck.py [--categories] CONSOLE_LOG

Prints one line per flagged kernel log line, "logcheck: CATEGORY: LINE", and
exits 1 if there is any (0 if none, 2 on a usage error).  With --categories,
prints only the sorted, distinct categories flagged.  Categories:

  bug        BUG: (includes "BUG: KASAN", "BUG: sleeping function called
             from invalid context", soft lockups, invalid wait context)
  warning    WARNING: (WARN_ON, lockdep reports, ODEBUG reports)
  oops       Oops, general protection fault, kernel panic, Call Trace
  kasan      any KASAN report
  lockdep    a lockdep report of any kind, or lockdep turning itself off
  sleep      "sleeping function called from invalid context", "scheduling
             while atomic"
  kmemleak   a suspected leak ("unreferenced object"), or kmemleak off
  odebug     a debug-objects report, or debug objects off
  hung       hung tasks, RCU stalls
  ubsan      an UBSAN report
  event      "unknown event type" (an xHCI ring fault)

Checked are the kernel log section that the guest prints at the end, the
kmemleak section, and every console line that carries a printk timestamp,
so that a guest that dies before the end is checked too, while the test
command's own output (which may say "WARNING" in a test name) is not.
"""
import re
import sys

RULES = [
    ("bug", r"\bBUG: "),
    ("warning", r"\bWARNING: "),
    ("oops", r"\bOops\b|general protection fault|Kernel panic|\bCall Trace:"),
    ("kasan", r"\bKASAN\b"),
    ("lockdep", r"possible circular locking|possible recursive locking|inconsistent lock state|"
                r"possible irq lock inversion|suspicious RCU usage|Invalid wait context|"
                r"lock held when returning to user space|held lock freed|"
                r"trying to register non-static key|DEBUG_LOCKS_WARN_ON|"
                r"turning off the locking correctness validator|"
                r"bad unlock balance|lockdep"),
    ("sleep", r"sleeping function called from invalid context|scheduling while atomic"),
    ("kmemleak", r"unreferenced object 0x|suspected memory leak|kmemleak: .*disabled|"
                 r"Kernel memory leak detector disabled"),
    ("odebug", r"\bODEBUG: "),
    ("hung", r"INFO: task .* blocked for more than|detected stalls? on CPU|self-detected stall|"
             r"rcu_.* detected stall"),
    ("ubsan", r"\bUBSAN: "),
    ("event", r"unknown event type"),
]
# Lines that match a rule but say nothing is wrong: the lockdep boot banner,
# the lockdep self-test summary, kmemleak starting up.
BENIGN = re.compile(
    r"Lock dependency validator|RCU lockdep checking is enabled|\.\.\. MAX_LOCKDEP_|per task-struct memory footprint|"
    r"lockdep: fixing up alternatives|Good, all \d+ testcases passed|"
    r"kmemleak: Kernel memory leak detector initialized|"
    r"kmemleak: Automatic memory scanning thread")
STAMP = re.compile(r"^\s*(<\d+>)?\[\s*\d+\.\d+\]")


def kernel_lines(text):
    section = None
    for line in text.splitlines():
        if line.startswith("=== usbts-vm: "):
            tag = line[len("=== usbts-vm: "):]
            section = tag if tag in ("kernel log", "kmemleak") else None
            continue
        if section or STAMP.match(line):
            yield line


def check(text):
    found = []
    for line in kernel_lines(text):
        if BENIGN.search(line):
            continue
        for cat, rx in RULES:
            if re.search(rx, line):
                found.append((cat, line.strip()))
    return found


def main(argv):
    cats_only = False
    args = argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip().split("\n", 1)[1].strip())
        return 0
    if args and args[0] == "--categories":
        cats_only = True
        args = args[1:]
    if len(args) != 1:
        sys.stderr.write("usage: logcheck.py [--categories] CONSOLE_LOG\n")
        return 2
    with open(args[0], errors="replace") as f:
        found = check(f.read())
    if cats_only:
        for c in sorted({c for c, _ in found}):
            print(c)
    else:
        for c, line in found:
            print("logcheck: %s: %s" % (c, line))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
