"Every notebook in nbs/ runs as one test case (cells flagged `slow`/`cuda` are left out unless selected)"
from pathlib import Path
import pytest, torch
from nbdev.test import test_nb as run_notebook

NBS = sorted((Path(__file__).resolve().parent.parent / 'nbs').glob('*.ipynb'))


@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb, request):
    slow = 'slow' in (request.config.getoption('-m') or '')
    skip = [f for f, on in (('slow', slow), ('cuda', torch.cuda.is_available())) if not on]
    ok, _ = run_notebook(nb, skip_flags=skip, force_flags=[f for f in ('slow', 'cuda') if f not in skip])
    assert ok, f'{nb.name} failed (its error is printed above)'
