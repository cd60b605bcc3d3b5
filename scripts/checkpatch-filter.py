#!/usr/bin/env python3
"""Drop checkpatch.pl --show-types reports covered by config/checkpatch.ignore.

Usage: checkpatch-filter.py IGNORE-FILE < checkpatch-output
A rule is "TYPE FILE-GLOB [match:REGEX]": a report of TYPE in a file matching
FILE-GLOB ("-" = the commit message) and, if given, matching REGEX.
Prints the remaining reports and, last, "remaining: N" (N = ERROR, WARNING and
CHECK reports that are not excepted).
"""
import fnmatch
import re
import sys

rules = []
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].split()
    if len(line) >= 2:
        # optional third field "match:REGEX": the report must also match it
        rx = line[2][len("match:"):] if len(line) >= 3 and line[2].startswith("match:") else None
        rules.append((line[0], line[1], rx))

text = sys.stdin.read()
remaining = 0
# One report per "TYPE:NAME:" line, up to the next blank line or report:
# anything else checkpatch prints in between (a Python traceback of
# spdxcheck.py, say) must not hide the report after it.
reports = []
for line in text.splitlines():
    if re.match(r"(ERROR|WARNING|CHECK):[A-Z0-9_]+:", line):
        reports.append([line])
    elif reports and reports[-1] is not None and line.strip():
        reports[-1].append(line)
    else:
        reports.append(None)
for lines in filter(None, reports):
    para = "\n".join(lines)
    m = re.match(r"(ERROR|WARNING|CHECK):([A-Z0-9_]+):", para)
    f = re.search(r"FILE: ([^:]+):", para)
    path = f.group(1) if f else "-"
    if any(t == m.group(2) and fnmatch.fnmatch(path, g) and (rx is None or re.search(rx, para))
           for t, g, rx in rules):
        continue
    remaining += 1
    print(para.strip() + "\n")
print("remaining: %d" % remaining)
