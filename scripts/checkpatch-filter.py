#!/usr/bin/env python3
"""Drop checkpatch.pl --show-types reports covered by config/checkpatch.ignore.

Usage: checkpatch-filter.py IGNORE-FILE < checkpatch-output
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
        rules.append((line[0], line[1]))

text = sys.stdin.read()
remaining = 0
for para in re.split(r"\n\s*\n", text):
    m = re.match(r"(ERROR|WARNING|CHECK):([A-Z0-9_]+):", para.strip())
    if not m:
        continue
    f = re.search(r"FILE: ([^:]+):", para)
    path = f.group(1) if f else "-"
    if any(t == m.group(2) and fnmatch.fnmatch(path, g) for t, g in rules):
        continue
    remaining += 1
    print(para.strip() + "\n")
print("remaining: %d" % remaining)
