"""Parses every .move file under move/ with the tree-sitter Move grammar and reports each
syntax error with its file, line and column. Exit status 1 if any file has an error."""
import pathlib
import sys

import tree_sitter
import tree_sitter_move


def errors(node, out):
    if node.is_error or node.is_missing:
        out.append(node)
    for child in node.children:
        errors(child, out)
    return out


def main(root: str) -> int:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_move.language()))
    files = sorted(pathlib.Path(root).rglob("*.move"))
    if not files:
        print(f"no .move files under {root}", file=sys.stderr)
        return 1
    bad = 0
    for f in files:
        tree = parser.parse(f.read_bytes())
        found = errors(tree.root_node, [])
        for n in found:
            line, col = n.start_point
            kind = "missing " + n.type if n.is_missing else "unexpected " + repr(n.text[:40].decode(errors="replace"))
            print(f"{f}:{line + 1}:{col + 1}: syntax error: {kind}")
        bad += bool(found)
    print(f"move syntax: {len(files)} files parsed, {bad} with errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "move"))
