#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes docs/errors.md from the tests: every REQUIRE_DLAS_ERROR(expression, errc::CODE, "text")
in tests/ becomes a row (code, message text, the input that triggers it, the test file).
tests/docs/errors_catalogue.cpp checks that the document and the tests agree, so the catalogue
cannot drift from what the library really does.

Usage: python3 tools/errors_catalogue.py   (from the repository root)
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def calls(text):
    """Yields the argument text of every REQUIRE_DLAS_ERROR( ... ) call, parentheses balanced."""
    for m in re.finditer(r"REQUIRE_DLAS_ERROR\(", text):
        depth, i = 1, m.end()
        in_str = False
        while i < len(text) and depth:
            ch = text[i]
            if in_str:
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            i += 1
        yield m.start(), text[m.end():i - 1]


def entries():
    rows = []
    for path in sorted((ROOT / "tests").rglob("*.cpp")):
        text = path.read_text()
        cases = [(m.start(), m.group(1)) for m in
                 re.finditer(r'TEST_CASE\(\s*"((?:[^"\\]|\\.)*)"', text)]
        for start, args in calls(text):
            m = re.search(r',\s*(?:dlas::)?errc::(\w+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*$', args, re.S)
            if not m:
                continue
            expr = " ".join(args[: m.start()].split())
            case = [name for pos, name in cases if pos < start]
            rows.append((m.group(1), m.group(2), case[-1] if case else "", expr,
                         path.relative_to(ROOT).as_posix()))
    return rows


def main():
    rows = entries()
    out = [
        "# Errors: the catalogue of bad inputs",
        "",
        "Every failure dlas reports is a `dlas::error` (derived from `std::runtime_error`). Its",
        "`code()` is one of the `dlas::errc` values below and its `what()` reads",
        "`dlas: <code>: <detail>`, where the detail names the offending field, value, line or",
        "entry. Nothing in dlas answers bad input with undefined behaviour: shapes are validated",
        "before any size is computed, buffers are checked against the shape, sizes that overflow",
        "or exceed `core::allocation_limit()` are refused before allocating, and parsers",
        "(benchdnn shape files, `dlas.profile/1`, `dlas.plan/1`) are fuzzed in CI.",
        "",
        "This page is generated from the tests by `python3 tools/errors_catalogue.py`: each row is",
        "a `REQUIRE_DLAS_ERROR` assertion, and a test (`tests/docs/errors_catalogue.cpp`) fails when",
        "the page and the tests disagree.",
        "",
        "| code | meaning |",
        "|---|---|",
        "| `invalid_shape` | a `conv2d_shape` field is out of range or inconsistent |",
        "| `mismatched_buffer` | a tensor, span or array does not have the size the shape requires |",
        "| `malformed_csr` | CSR arrays that break the format's invariants |",
        "| `invalid_argument` | any other argument outside its documented domain (NaN weights, bad scales) |",
        "| `unsupported` | a valid request that the chosen kernel cannot implement |",
        "| `parse_error` | text or JSON that does not follow its format |",
        "| `io_error` | a file that cannot be opened, read or written |",
        "| `resource_limit` | a size that overflows or exceeds a configured limit; an allocation that fails |",
        "",
    ]
    for code in sorted({r[0] for r in rows}):
        out += [f"## `{code}`", "", "| message contains | situation | call | test |", "|---|---|---|---|"]
        for c, text, case, expr, path in rows:
            if c == code:
                cell = expr.replace("|", "\\|")
                out.append(f"| `{text}` | {case} | `{cell}` | {path} |")
        out.append("")
    (ROOT / "docs" / "errors.md").write_text("\n".join(out))
    print(f"docs/errors.md: {len(rows)} entries")


if __name__ == "__main__":
    main()
