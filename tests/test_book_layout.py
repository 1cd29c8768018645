"""Code cells fit the book's page: no code-cell line wider than the theme's code block.

At a 1280 px wide window the book theme shows a code cell in a <pre> block 672 px wide,
which scrolls sideways once a line is longer than 75 characters; in a cell collapsed
with the ``hide-input`` tag the block is 654 px wide and scrolls past 73. A reader then
has to scroll to see the end of the line, so every book page in _toc.yml keeps its
code-cell source within those widths. Static (no build): the MyST pages are read as text.
"""
import re

import pytest

from conftest import REPO

LIMIT, HIDE_INPUT_LIMIT = 75, 73
PAGES = [REPO / (line.split("file:")[1].strip() + ".md")
         for line in (REPO / "_toc.yml").read_text().splitlines() if "file: book/" in line]


def code_cells(path):
    """(tags, [(line number, source line), ...]) for each ```{code-cell} block."""
    cells, cell = [], None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if cell is None:
            cell = [] if line.startswith("```{code-cell}") else None
        elif line.strip() == "```":
            cells.append(split_options(cell))
            cell = None
        else:
            cell.append((number, line))
    return cells


def split_options(cell):
    """The cell's tags and its source: options are the ``:key: value`` lines at the top
    (``:tags: [hide-input]``, as the pages write them) or a leading ``---`` YAML block."""
    texts = [line.strip() for _, line in cell]
    if texts[:1] == ["---"] and "---" in texts[1:]:
        end = texts.index("---", 1) + 1
    else:
        end = next((i for i, text in enumerate(texts) if not text.startswith(":")),
                   len(texts))
    tags = set()
    for text in texts[:end]:
        match = re.match(r":?tags:\s*\[(.*)\]", text)
        if match:
            tags |= {tag.strip(" '\"") for tag in match.group(1).split(",")}
    return tags, cell[end:]


def too_wide(path, root=REPO):
    """'file:line: N columns (limit L)' for each code-cell line wider than its limit."""
    found = []
    for tags, body in code_cells(path):
        limit = HIDE_INPUT_LIMIT if "hide-input" in tags else LIMIT
        found += [f"{path.relative_to(root)}:{number}: {len(line)} columns (limit {limit})"
                  for number, line in body if len(line) > limit]
    return found


def test_pages_are_found():
    assert len(PAGES) >= 7 and all(page.is_file() for page in PAGES)
    assert sum(1 for page in PAGES for _ in code_cells(page)) > 100


def test_detector_flags_wide_lines(tmp_path):
    cells = [":tags: [hide-input]\n\n" + "x" * 74,          # line 4: too wide
             "---\ntags: [hide-input]\n---\n" + "w" * 73,   # fits
             "y" * 75 + "\n" + "z" * 76]                     # line 14: too wide
    page = tmp_path / "page.md"
    page.write_text("".join(f"```{{code-cell}} ipython3\n{cell}\n```\n" for cell in cells))
    assert too_wide(page, tmp_path) == ["page.md:4: 74 columns (limit 73)",
                                        "page.md:14: 76 columns (limit 75)"]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_code_cell_lines_fit_the_page(page):
    found = too_wide(page)
    assert not found, f"{len(found)} code-cell lines too wide:\n" + "\n".join(found)
