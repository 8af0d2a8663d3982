#!/usr/bin/env python3
"""Checks the import order of every Rust file: std, then external crates, then the crate's own.

rustfmt on stable sorts imports only inside a block of consecutive `use` lines, so the order
of the blocks is kept here. In each file, the top-level `use` statements before its test
module must go in three groups: `std`/`core`/`alloc`, then other crates, then the crate's own
(`crate::`, `super::`, `self::`, a module the file declares, or a module brought in by one of
those). `pub use` re-exports are not checked. Prints each file out of order and fails if any
is. Run from anywhere: scripts/check-imports.py
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
USE = re.compile(r"^use ([\w:]+)", re.M)
MOD = re.compile(r"^\s*(?:pub(?:\([^)]*\))? )?mod (\w+)", re.M)


def group(path, own):
    first = path.split("::")[0]
    if first in ("std", "core", "alloc"):
        return 0
    if first in ("crate", "super", "self") or first in own:
        return 2
    return 1


def out_of_order(text):
    test = text.find("#[cfg(test)]")
    head = text if test < 0 else text[:test]
    own = set(MOD.findall(head))
    groups = []
    for path in USE.findall(head):
        g = group(path, own)
        if g == 2:
            own.add(path.split("::")[-1])
        groups.append(g)
    return any(b < a for a, b in zip(groups, groups[1:]))


def main():
    files = [p for d in ("src", "tests", "benches") for p in sorted((ROOT / d).rglob("*.rs"))]
    bad = [p.relative_to(ROOT) for p in files if out_of_order(p.read_text())]
    for path in bad:
        print(f"check-imports: {path}: use std first, then other crates, then the crate's own")
    if bad:
        return 1
    print(f"check-imports: {len(files)} files keep std, crates, then the crate's own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
