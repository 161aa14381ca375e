"""Which compound files olefile 0.47 reads completely (tests/lenient.rs asks).

Reads file paths from standard input, one a line; for each prints "OK <path>" when olefile
opens the file with its default settings (raise_defects=DEFECT_FATAL) and reads every stream
listdir() lists, else "FAIL <path> <reason>". That is the bar for "a file other readers
read" in issue 14: a file olefile reads completely, we must read too.
"""
import sys

import olefile


def reads_fully(path):
    with olefile.OleFileIO(path) as ole:
        for entry in ole.listdir(streams=True, storages=False):
            with ole.openstream(entry) as stream:
                stream.read()


def main():
    if olefile.__version__ != "0.47":
        sys.exit("olefile 0.47 is needed, this is %s" % olefile.__version__)
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        try:
            reads_fully(path)
            print("OK", path)
        except Exception as e:  # every failure counts as "not read"
            reason = " ".join(("%s: %s" % (type(e).__name__, e)).split())
            print("FAIL", path, reason[:200])
        sys.stdout.flush()


if __name__ == "__main__":
    main()
