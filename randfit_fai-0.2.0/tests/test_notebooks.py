"Every notebook in nbs/ (the course's lessons included) runs as one test case; notebooks with `#| slow` cells run again, with them, under `pytest -m slow`"
import os
from pathlib import Path
import pytest, torch
from nbdev.test import test_nb as run_notebook
from conftest import materialize

ROOT = Path(__file__).resolve().parent.parent / 'nbs'
NBS = sorted(p for p in ROOT.rglob('*.ipynb') if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT).parts))
_id = lambda nb: str(nb.relative_to(ROOT).with_suffix(''))
PARAMS = [pytest.param(nb, False, id=_id(nb)) for nb in NBS] + \
         [pytest.param(nb, True, id=f'{_id(nb)}-slow', marks=pytest.mark.slow) for nb in NBS if '#| slow' in nb.read_text()]


@pytest.fixture(scope='session')
def fastai_home(tmp_path_factory):
    "A FASTAI_HOME whose data folder holds real CIFAR-10, CIFAR-100 and MNIST, so the dataset registry finds them offline"
    home = tmp_path_factory.mktemp('fastai_home')
    (home / 'data').symlink_to(materialize(tmp_path_factory), target_is_directory=True)
    return home


@pytest.mark.parametrize('nb,slow', PARAMS)
def test_notebook(nb, slow, request, monkeypatch):
    if slow: monkeypatch.setenv('FASTAI_HOME', str(request.getfixturevalue('fastai_home')))
    flags = {'slow': slow, 'cuda': torch.cuda.is_available()}
    ok, _ = run_notebook(nb, skip_flags=[f for f, on in flags.items() if not on], force_flags=[f for f, on in flags.items() if on])
    assert ok, f'{nb.relative_to(ROOT)} failed (its error is printed above)'
