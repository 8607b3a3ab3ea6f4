"""The `ozx-viewer` command: open the viewer, `info` / `validate` a file in the terminal, or check
an installation with `--self-test`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from . import __version__
from .errors import OzxError
from .output import printable, to_json

EXIT_OK, EXIT_WARNINGS, EXIT_ERROR = 0, 1, 2
SUBCOMMANDS = ("info", "validate", "thumbnail")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ozx-viewer",
        description="View zipped OME-Zarr (.ozx) images. `ozx-viewer FILE...` opens each file in a window "
        "(in the viewer already running, unless --new-instance is given); "
        "`ozx-viewer info FILE` and `ozx-viewer validate FILE` report in the terminal; "
        "`ozx-viewer thumbnail FILE OUT.png` draws a thumbnail.",
    )
    parser.add_argument("--version", action="version", version=f"ozx-viewer {__version__}")
    parser.add_argument("--self-test", nargs="?", const="", metavar="FILE",
                        help="open FILE (default: the bundled sample) on the current display, check that an "
                        "image is shown and every level reads; exit 0 or 1")
    sub = parser.add_subparsers(dest="command")
    info = sub.add_parser("info", help="describe the images of a file")
    info.add_argument("file")
    info.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    validate = sub.add_parser("validate", help="check RFC-9 conformance of a zipped OME-Zarr")
    validate.add_argument("file")
    validate.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    thumbnail = sub.add_parser("thumbnail", help="draw an image of a file into a PNG (no display needed)")
    thumbnail.add_argument("file")
    thumbnail.add_argument("output", help="the PNG to write (written only when drawing succeeded)")
    thumbnail.add_argument("-s", "--size", type=int, help="fit into SIZE x SIZE pixels (default 256)")
    thumbnail.add_argument("--image", metavar="PATH", help="group path of the image (default: the first image)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 fine, 1 warnings with --strict, 2 errors)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if _is_gui(args):
        return _run_gui(args)
    parsed = _parser().parse_args(args)
    if parsed.self_test is not None:
        return _run_gui([parsed.self_test] if parsed.self_test else [], self_test=True)
    if parsed.command is None:
        return _run_gui([])
    try:
        if parsed.command == "info":
            return _info(parsed.file, parsed.json)
        if parsed.command == "thumbnail":
            return _thumbnail(parsed.file, parsed.output, parsed.size, parsed.image)
        return _validate(parsed.file, parsed.strict, parsed.json)
    except OzxError as exc:
        print(f"ozx-viewer: {printable(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug of ours: still one line, never a traceback
        print(printable(f"ozx-viewer: internal error while reading the file ({type(exc).__name__}: {exc})"), file=sys.stderr)
        return EXIT_ERROR


def _info(path: str, as_json: bool) -> int:
    from .ome import open_document
    from .report import format_info, info_of

    doc = open_document(path, background_index=False)
    try:
        info = info_of(doc)
    finally:
        doc.close()
    print(to_json(info) if as_json else format_info(info))
    return EXIT_OK


def _validate(path: str, strict: bool, as_json: bool) -> int:
    from .container import open_container
    from .container.conformance import deep_findings
    from .container.zip_container import ZipContainer
    from .findings import Finding
    from .ome.document import build_document
    from .report import conformance, format_findings

    if os.path.isdir(path):
        raise OzxError(f"'{path}' is a folder; validate checks zipped OME-Zarr files (RFC-9)")
    container = open_container(path, background_index=False)
    try:
        if not isinstance(container, ZipContainer):
            raise OzxError(f"'{path}' is not a ZIP archive")
        findings = list(container.findings) + deep_findings(container)
        try:
            findings += build_document(container, path).ome_findings
        except OzxError as exc:
            findings.append(Finding("M1", "error", f"the content is not a readable OME-Zarr hierarchy: {exc}"))
    finally:
        container.close()
    summary = conformance(findings)
    if as_json:
        print(to_json({"file": path, **summary, "findings": [f.as_dict() for f in findings]}))
    else:
        print(format_findings(path, findings))
    if summary["errors"]:
        return EXIT_ERROR
    if strict and summary["warnings"]:
        return EXIT_WARNINGS
    return EXIT_OK


def _thumbnail(path: str, output: str, size: int | None, image: str | None) -> int:
    from .render.thumbnail import DEFAULT_SIZE
    from .thumbnail import write_thumbnail

    write_thumbnail(path, output, DEFAULT_SIZE if size is None else size, image)
    return EXIT_OK


GUI_OPTIONS = ("--new-instance",)


def _is_gui(args: list[str]) -> bool:
    """Files (or nothing) to view, rather than a subcommand. A file literally named like a
    subcommand opens when it exists and nothing follows it (`ozx-viewer -- info` always does)."""
    if not args:
        return True
    first = args[0]
    if first == "--" or first in GUI_OPTIONS:
        return True
    if first in SUBCOMMANDS:
        return len(args) == 1 and os.path.exists(first)
    return not first.startswith("-")


def _run_gui(args: list[str], self_test: bool = False) -> int:
    from .app.arrival import local_paths
    from .app.startup import PendingOpen, limit_heap_growth, sample_path

    new_instance = False
    items: list[str] = []
    for index, arg in enumerate(args):
        if arg == "--":
            items += args[index + 1:]
            break
        if arg == "--new-instance":
            new_instance = True
        else:
            items.append(arg)
    paths, refused = local_paths(items)
    for item in refused:
        print(f"ozx-viewer: '{item}' is not a file on this computer; only local files can be opened", file=sys.stderr)
    if refused and not paths:
        return EXIT_ERROR
    election = None
    if not new_instance and not self_test:
        from .app.single_instance import elect

        election = elect()  # before reading or importing anything heavy
        if not election.primary and election.hand_off(paths):
            return EXIT_OK  # the running viewer opens them
    limit_heap_growth()
    paths = paths or [str(sample_path())]
    # Read the file on a thread while Qt and vispy are imported: the first frame needs both.
    pending = PendingOpen(paths[0])
    try:
        if self_test:
            from .app.self_test import run
        else:
            from .app.main import run
    except ImportError as exc:
        print(f"ozx-viewer: the viewer window cannot start ({exc})", file=sys.stderr)
        return EXIT_ERROR
    return run(paths, pending) if self_test else run(paths, pending, election)


if __name__ == "__main__":
    sys.exit(main())
