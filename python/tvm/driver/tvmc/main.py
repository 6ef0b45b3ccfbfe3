"""The ``tvmc`` command line: ``tvmc compile | tune | run`` (upstream TVM 0.8's options)."""
import argparse
import logging
import sys

from . import TVMCException


def make_parser():
    from .compiler import add_compile_parser  # pylint: disable=import-outside-toplevel
    from .runner import add_run_parser  # pylint: disable=import-outside-toplevel
    from .tuner import add_tune_parser  # pylint: disable=import-outside-toplevel

    parser = argparse.ArgumentParser(
        prog="tvmc",
        description="TVM compiler driver (tvmfork): compile, tune and run ONNX models",
        epilog="e.g. tvmc compile model.onnx -o model.tar && tvmc run model.tar --print-time",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)")
    parser.add_argument("--version", action="store_true", help="print the versions and exit")
    subparsers = parser.add_subparsers(title="commands", dest="command")
    add_compile_parser(subparsers)
    add_tune_parser(subparsers)
    add_run_parser(subparsers)
    return parser


def _versions():
    from importlib import metadata  # pylint: disable=import-outside-toplevel

    out = []
    for dist in ("tvmfork", "apache-tvm", "apache-tvm-ffi"):
        try:
            out.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist} (not installed)")
    return ", ".join(out)


def _main(argv):
    parser = make_parser()
    args, rest = parser.parse_known_args(argv)
    if rest:
        parser.error("unrecognized arguments: " + " ".join(rest))
    if args.version:
        print(_versions())
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    # "tvmc -v compile": logging; tune's own -v sets the tuning display instead
    count = 0 if args.command == "tune" else args.verbose
    level = {0: logging.WARNING, 1: logging.INFO}.get(count, logging.DEBUG)
    logging.basicConfig(level=level, format="%(name)s: %(message)s")
    return args.func(args)


def main(argv=None):
    """Entry point of the ``tvmc`` console script; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return _main(argv)
    except TVMCException as err:
        print(f"tvmc: error: {err}", file=sys.stderr)
        return 4


if __name__ == "__main__":
    sys.exit(main())
