"""Reference XSD verdicts from lxml (libxml2) for the faktura-xsd differential test.

Reads lines `<document path>\t<root schema path>` from stdin and prints, for each, one line
`valid`, `invalid\t<first message>` or `unreadable\t<reason>`, in the same order. One process
serves many files; each schema is compiled once.
"""

import sys

from lxml import etree

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
SCHEMAS = {}


def schema(path):
    s = SCHEMAS.get(path)
    if s is None:
        s = etree.XMLSchema(etree.parse(path))
        SCHEMAS[path] = s
    return s


def main():
    out = sys.stdout
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        doc_path, xsd_path = line.split("\t")
        try:
            tree = etree.parse(doc_path, PARSER)
        except etree.XMLSyntaxError as e:
            out.write("unreadable\t" + str(e).replace("\t", " ").replace("\n", " ") + "\n")
            continue
        s = schema(xsd_path)
        if s.validate(tree):
            out.write("valid\n")
        else:
            err = s.error_log[0] if len(s.error_log) else None
            msg = f"line {err.line}: {err.message}" if err is not None else "?"
            out.write("invalid\t" + msg.replace("\t", " ").replace("\n", " ") + "\n")
    out.flush()


if __name__ == "__main__":
    main()
