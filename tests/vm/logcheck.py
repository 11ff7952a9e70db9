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

One report is known and not ours, and is reported as "logcheck: known:"
without failing the run: on PREEMPT_RT, usb_hcd_pci_remove() calls the
hcd's interrupt handler with interrupts off, and xhci_irq() takes its
spinlock_t, which sleeps there ("sleeping function called from invalid
context" with usb_hcd_pci_remove, usb_hcd_irq and xhci_irq in the stack).
Any xHCI removal on such a kernel logs it.  A report whose block also names
a usb_timesync frame is never excused.

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


# The known upstream report above: the frames that identify it.
KNOWN_RT_PCI_REMOVE = ("usb_hcd_pci_remove", "usb_hcd_irq", "xhci_irq")


def known_blocks(lines):
    """Indexes of the lines of every known upstream report."""
    skip = set()
    i = 0
    while i < len(lines):
        if "sleeping function called from invalid context" not in lines[i]:
            i += 1
            continue
        end = i
        while end < len(lines) and end < i + 120 and "</TASK>" not in lines[end]:
            end += 1
        block = lines[i:end + 1]
        text = "\n".join(block)
        if (all(f in text for f in KNOWN_RT_PCI_REMOVE) and "usb_timesync" not in text
                and "</TASK>" in text):
            skip.update(range(i, end + 1))
        i = end + 1
    return skip


def stamp(line):
    m = re.match(r"^\s*(?:<\d+>)?\[\s*(\d+\.\d+)\]", line)
    return float(m.group(1)) if m else None


def check(text, known=None):
    found = []
    lines = list(kernel_lines(text))
    skip = known_blocks(lines)
    # the console shows the same report's first lines, at the same times
    spans = []
    for n in sorted(skip):
        t = stamp(lines[n])
        if t is None:
            continue
        if spans and n - 1 in skip and spans[-1][2] == n - 1:
            spans[-1] = (spans[-1][0], t, n)
        else:
            spans.append((t, t, n))
    for n, line in enumerate(lines):
        t = stamp(line)
        if n not in skip and t is not None and any(a <= t <= b for a, b, _ in spans):
            skip.add(n)
    for n, line in enumerate(lines):
        if n in skip:
            if known is not None and "sleeping function called" in line:
                known.append(line.strip())
            continue
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
    known = []
    with open(args[0], errors="replace") as f:
        found = check(f.read(), known)
    if cats_only:
        for c in sorted({c for c, _ in found}):
            print(c)
    else:
        for line in known:
            print("logcheck: known (upstream, PREEMPT_RT xHCI removal): %s" % line)
        for c, line in found:
            print("logcheck: %s: %s" % (c, line))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
