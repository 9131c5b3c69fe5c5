"""Regenerate toolkit/lint/starter_pack.txt, the digests of the starter pack's building blocks.

    python scripts/starter_pack_table.py [--output FILE] BASE.xml...

Give it the base files of Microsoft's custom policy starter pack exactly as published
(https://github.com/Azure-Samples/active-directory-b2c-custom-policy-starterpack: each
variant's TrustFrameworkBase.xml, a scenario's own base), and of earlier releases if wanted.
Every technical profile, journey, claim type, content definition and the other blocks
`toolkit.lint.starter_pack.KINDS` lists is reduced to its canonical text and hashed; the table
holds digests only (of each block's tag and Id, and of its text), sorted, one block a line, after
a header naming the files read. A finding on a
block whose digest is in the table is reported as inherited from the starter pack.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from toolkit.lint import starter_pack


def table(files: list[Path], root: Path | None = None) -> tuple[str, int]:
    """The table's text for `files` (relative to `root`, when given), and how many entries it holds."""
    entries: set[tuple[str, str]] = set()
    for path in files:
        tree = etree.parse(str(root / path if root else path), etree.XMLParser(resolve_entities=False, no_network=True))
        entries.update(starter_pack.entries(tree.getroot()))
    header = [
        "# Digests of the building blocks of Microsoft's custom policy starter pack (see",
        "# toolkit/lint/starter_pack.py): per line, the digest of a block's tag and Id, then the",
        "# digest of its canonical text. Regenerate with scripts/starter_pack_table.py from:",
        *(f"#   {path.as_posix()}" for path in files),
    ]
    return "\n".join([*header, *(f"{i} {d}" for i, d in sorted(entries))]) + "\n", len(entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="starter-pack base files, as published")
    parser.add_argument("--output", type=Path, default=starter_pack.TABLE, help=f"where to write the table (default: {starter_pack.TABLE})")
    args = parser.parse_args(argv)
    text, count = table(args.files)
    args.output.write_text(text, encoding="ascii")
    print(f"{args.output}: {count} building blocks from {len(args.files)} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
