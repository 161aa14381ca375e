#!/usr/bin/env python3
"""Checks that `imsg dump` of a file written under Wine holds what its spec says.

    read_back.py DUMP.json SPEC.json

SPEC is in `imsg create`'s shape (tests/windows/cross-check/): every property it lists must
be in the dump with the same value (binary values by length and sha256; a property with a
"named" key is found by its name, as its tag is the file's); recipients, attachments and
embedded messages in order and in number; a top-level "cfb" object's keys must match too.
The dump must have no reading warnings. Exits 1, saying what differs, otherwise 0.
"""
import hashlib, json, sys


def same_props(got, want, where, bad):
    for tag, w in want.items():
        if "named" in w:
            hits = [v for v in got.values() if v.get("named") == w["named"]]
            g = hits[0] if len(hits) == 1 else None
        else:
            g = got.get(tag)
        if g is None:
            bad.append("%s: %s missing" % (where, w.get("named", tag)))
        elif "hex" in w:
            data = bytes.fromhex(w["hex"])
            if (g.get("len"), g.get("sha256")) != (len(data), hashlib.sha256(data).hexdigest()):
                bad.append("%s: %s is not the %d bytes written" % (where, tag, len(data)))
        elif g.get("value") != w["value"]:
            bad.append("%s: %s = %r, written %r" % (where, tag, g.get("value"), w["value"]))


def same_message(got, want, where, bad):
    same_props(got["properties"], want["properties"], where, bad)
    for part in ("recipients", "attachments"):
        g, w = got.get(part, []), want.get(part, [])
        if len(g) != len(w):
            bad.append("%s: %d %s, written %d" % (where, len(g), part, len(w)))
            continue
        for i, (gi, wi) in enumerate(zip(g, w)):
            same_props(gi["properties"], wi["properties"], "%s %s %d" % (where, part, i), bad)
            if "embedded_message" in wi:
                if "embedded_message" not in gi:
                    bad.append("%s attachment %d: no embedded message" % (where, i))
                else:
                    same_message(gi["embedded_message"], wi["embedded_message"],
                                 "%s attachment %d (embedded)" % (where, i), bad)


def main():
    dump = json.load(open(sys.argv[1], encoding="utf-8"))
    spec = json.load(open(sys.argv[2], encoding="utf-8"))
    bad = ["reading warnings: %s" % dump["warnings"]] if dump.get("warnings") else []
    for key, value in spec.get("cfb", {}).items():
        if dump["cfb"].get(key) != value:
            bad.append("cfb %s = %r, written %r" % (key, dump["cfb"].get(key), value))
    same_message(dump["message"], spec["message"], "message", bad)
    for b in bad:
        print("  " + b)
    if bad:
        sys.exit(1)
    print("%s: everything written reads back" % sys.argv[2])


if __name__ == "__main__":
    main()
