#!/usr/bin/env python3
"""Writes N copies of a JSONL fixture's lines, each with its own userId and
anonymousId, so that bench/e2e's fixture half of the stream belongs to N users
instead of the fixture's few (per-user ordering makes hot users a limit).

Usage: bench/spread_users.py tests/fixtures/mixed/small_tracks.jsonl 50000 > /tmp/users.jsonl
       build/bench/e2e --fixture /tmp/users.jsonl ...
"""
import re
import sys

lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
for i in range(int(sys.argv[2])):
    line = re.sub(r'"userId":"[^"]*"', f'"userId":"u-{i}"', lines[i % len(lines)])
    print(re.sub(r'"anonymousId":"[^"]*"', f'"anonymousId":"a-{i}"', line))
