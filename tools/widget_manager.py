"""Fetch the Jupyter widget manager that the built book serves itself (no CDN).

The book's explorers are ipywidgets whose state myst-nb embeds in each page; a browser
needs ``@jupyter-widgets/html-manager``'s standalone ``embed.js`` (which bundles the
standard controls) to draw them. This script downloads that package's tarball once from the
npm registry, checks it against the pinned SHA-512, and copies ``dist/embed.js`` and the
fonts it references into ``_static/widgets/`` (git-ignored), which ``_config.yml`` serves.

Licence: BSD-3-Clause (the Jupyter Development Team), as the package's ``package.json``
states; the package ships no separate licence file, so ``NOTICE.txt`` beside the copy says
so. Version: the ``^1.0.1`` range that ipywidgets 8.1 declares (``__html_manager_version__``).

    python tools/widget_manager.py [--dest _static/widgets]
"""
import argparse
import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "1.0.15"
TARBALL = f"https://registry.npmjs.org/@jupyter-widgets/html-manager/-/html-manager-{VERSION}.tgz"
SHA512 = "5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA=="
FONTS = (".woff2", ".woff", ".ttf", ".eot", ".svg")
NOTICE = f"""@jupyter-widgets/html-manager {VERSION}, dist/embed.js and its fonts, from
{TARBALL}
(SHA-512 {SHA512}), copied by tools/widget_manager.py.
Licence: BSD-3-Clause, Copyright (c) Jupyter Development Team (package.json "license").
"""


def download():
    """The tarball's bytes, or SystemExit if they do not match the pinned SHA-512."""
    with urllib.request.urlopen(TARBALL, timeout=120) as response:
        blob = response.read()
    digest = base64.b64encode(hashlib.sha512(blob).digest()).decode("ascii")
    if digest != SHA512:
        raise SystemExit(f"widget_manager: {TARBALL} has SHA-512 {digest}; expected {SHA512}")
    return blob


def extract(blob, dest):
    """Write ``dist/embed.js``, its fonts and NOTICE.txt into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix("package/dist/")
            if member.isfile() and "/" not in name and member.name.startswith("package/dist/") \
                    and (name == "embed.js" or name.endswith(FONTS)):
                (dest / name).write_bytes(tar.extractfile(member).read())
    (dest / "NOTICE.txt").write_text(NOTICE)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path,
                        default=Path(__file__).resolve().parent.parent / "_static" / "widgets")
    args = parser.parse_args(argv)
    if (args.dest / "NOTICE.txt").is_file() and VERSION in (args.dest / "NOTICE.txt").read_text():
        return 0
    extract(download(), args.dest)
    print(f"widget manager {VERSION} copied to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
