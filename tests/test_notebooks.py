"Every notebook in nbs/ runs as one test case; notebooks with `#| slow` cells run again, with them, under `pytest -m slow`"
from pathlib import Path
import pytest, torch
from nbdev.test import test_nb as run_notebook

NBS = sorted((Path(__file__).resolve().parent.parent / 'nbs').glob('*.ipynb'))
PARAMS = [pytest.param(nb, False, id=nb.stem) for nb in NBS] + \
         [pytest.param(nb, True, id=f'{nb.stem}-slow', marks=pytest.mark.slow) for nb in NBS if '#| slow' in nb.read_text()]


@pytest.mark.parametrize('nb,slow', PARAMS)
def test_notebook(nb, slow):
    flags = {'slow': slow, 'cuda': torch.cuda.is_available()}
    ok, _ = run_notebook(nb, skip_flags=[f for f, on in flags.items() if not on], force_flags=[f for f, on in flags.items() if on])
    assert ok, f'{nb.name} failed (its error is printed above)'
