"""Writes what json.dumps makes of each case of tests/python_parity_test.cpp.

Usage: python_parity.py CASES OUTPUT

Each line of CASES is `<kwargs>\t<value>`, two Python expressions in ASCII: a dict of
json.dumps keyword arguments, and the document. The document uses no names but
float.fromhex (exact floats), float('nan'), float('inf') and bytes.fromhex(...).decode
(strings as UTF-8 in hex), so it is evaluated with nothing else in reach.

Each line of OUTPUT is the text json.dumps returns, UTF-8 encoded and written in hex;
or, when json.dumps raises, `!` and the exception.
"""

import ast
import json
import sys

_VALUE_NAMES = {"__builtins__": {}, "float": float, "bytes": bytes}


def main():
    cases_path, output_path = sys.argv[1:]
    values = {}  # the option sets of a document come in a row: evaluate it once
    with open(cases_path, encoding="ascii") as cases, open(output_path, "w", encoding="ascii") as output:
        for line in cases:
            kwargs_text, value_text = line.rstrip("\n").split("\t")
            kwargs = ast.literal_eval(kwargs_text)
            if value_text not in values:
                values.clear()
                values[value_text] = eval(value_text, _VALUE_NAMES)  # only these names in reach
            try:
                text = json.dumps(values[value_text], **kwargs)
            except (TypeError, ValueError) as error:
                output.write(f"!{error!r}\n")
                continue
            output.write(text.encode("utf-8").hex() + "\n")


if __name__ == "__main__":
    main()
