"The paper layer (`randfit_fai.paper`): readable in one sitting, and standing on fastai alone"
import ast, re, subprocess, sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / 'randfit_fai' / 'paper.py'


def test_the_paper_layer_imports_nothing_of_the_machinery():
    tree = ast.parse(SRC.read_text())
    mods = [n.module or '' for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    mods += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    relative = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert not relative and not [m for m in mods if m.startswith('randfit_fai')], (relative, mods)
    # and at run time: importing it loads no other module of the package
    code = "import sys, randfit_fai.paper; print(sorted(m for m in sys.modules if m.startswith('randfit_fai.')))"
    loaded = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['randfit_fai.paper']", loaded


def test_the_paper_layer_reads_in_one_sitting():
    text = SRC.read_text()
    lines = [l for l in text.splitlines() if l.strip()]
    assert len(lines) <= 500, f'{len(lines)} non-blank lines'
    # what nbdev writes (the module docstring, `__all__`) aside, no line is wider than the docs page's code
    tree = ast.parse(text)
    written = {i for n in tree.body[:2] for i in range(n.lineno, n.end_lineno + 1)}
    wide = [l for i, l in enumerate(text.splitlines(), 1) if i not in written and len(l) > 100]
    assert not wide, wide
    assert not [l for l in lines if re.fullmatch(r'\s*[)\]}][)\]},:]*', l)], 'a line that is only a closing bracket'


def test_the_paper_layer_names_the_papers_sections():
    tree = ast.parse(SRC.read_text())
    docs = {n.name: ast.get_docstring(n) or '' for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    for name in ('corrupt_labels', 'randomize_pixels', 'RandData', 'Memorize', 'fit'):
        assert '§' in docs[name], f'{name} cites no section of the paper'
