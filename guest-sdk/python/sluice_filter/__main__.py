"""``python -m sluice_filter build MODULE -o FILE.wasm``: builds a filter
module into a component with componentize-py, against the interface this
package carries, without the author naming the WIT world or the SDK's path.

componentize-py bundles every file on the paths it is given, so the SDK
goes in from a folder of its own, not from the whole site-packages."""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def componentize_py() -> str:
    beside = Path(sys.executable).with_name("componentize-py")
    found = str(beside) if beside.exists() else shutil.which("componentize-py")
    if not found:
        sys.exit("componentize-py is not installed: pip install componentize-py==0.25.1")
    return found


def build(module: str, output: str, paths: list) -> int:
    with tempfile.TemporaryDirectory() as sdk:
        shutil.copytree(PACKAGE, Path(sdk) / "sluice_filter", ignore=shutil.ignore_patterns("__pycache__"))
        command = [componentize_py(), "-d", str(PACKAGE / "wit"), "-w", "filter", "componentize"]
        for path in [sdk, *paths]:
            command += ["-p", path]
        command += [module, "-o", output]
        return subprocess.run(command, stdout=subprocess.DEVNULL).returncode


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m sluice_filter")
    commands = parser.add_subparsers(dest="command", required=True)
    build_args = commands.add_parser("build", help="build a filter module into a component")
    build_args.add_argument("module", help="the module that holds the @filter function (app for app.py)")
    build_args.add_argument("-o", "--output", required=True, help="the component to write (.wasm)")
    build_args.add_argument(
        "-p", "--path", action="append", default=None, help="a folder to import from (default: .)"
    )
    commands.add_parser("wit", help="print the folder of the interface (for componentize-py -d)")
    args = parser.parse_args()
    if args.command == "wit":
        print(PACKAGE / "wit")
        return 0
    return build(args.module, args.output, args.path or ["."])


if __name__ == "__main__":
    sys.exit(main())
