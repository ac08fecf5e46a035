"Callbacks that measure: the served-label guard, the history's columns, stopping at divergence, first-fit epochs, the projection"
import numpy as np, pytest, torch
from pathlib import Path
from fastai.vision.all import Learner, SGD, CrossEntropyLossFlat, partial
from randfit_fai.paper import RandData
from randfit_fai.data import digits, synthetic
from randfit_fai.paper import create_model
from randfit_fai.paper import Memorize, check_served
from randfit_fai.training import run
import randfit_fai.training as training


def test_guard_fires_when_corruption_is_bypassed():
    "Corrupted labels drawn, but the DataLoader reads the clean ones: training must refuse to start"
    ds = synthetic(n_train=128, n_test=32)
    rd = RandData(ds, corrupt=1.0, seed=0)
    clean = RandData(ds, corrupt=0.0).dataloaders(bs=32, device='cpu')
    learn = Learner(clean, create_model('mlp-1x64', 10, (3, 32, 32)), loss_func=CrossEntropyLossFlat(), opt_func=partial(SGD, mom=0.9), cbs=Memorize(rd))
    with pytest.raises(RuntimeError, match='serves the clean labels'):
        with learn.no_bar(), learn.no_logging(): learn.fit(1, 0.01)
    assert abs(check_served(rd.dataloaders(bs=32, device='cpu').train, rd) - (rd.y != ds.y_train).mean()) < 1e-12


def test_history_columns():
    r = run('digits', corrupt=0.5, epochs=2, stop_at_fit=False, out=Path(__import__('tempfile').mkdtemp()), quiet=True)
    cols = ['epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'train_acc_clean', 'train_acc_corrupted', 'time_s']
    assert list(r.history.epoch) == [1, 2] and set(cols) <= set(r.history.columns)
    for c in ('train_acc', 'test_acc', 'train_acc_clean', 'train_acc_corrupted'): assert r.history[c].between(0, 1).all()


def test_divergence_stops_the_run(tmp_path, capsys):
    r = run('digits', corrupt=1.0, lr=1e6, epochs=5, out=tmp_path, quiet=True)
    s = r.summary
    assert s['diverged'] and not s['fitted'] and s['epochs_run'] < 5 and 'lower lr' in s['hint']
    assert 'diverged and was stopped' in capsys.readouterr().out


def test_first_fit_epochs(tmp_path):
    r = run('digits', corrupt=0.2, first_fit=True, out=tmp_path, quiet=True)
    assert r.summary['fit_epoch'] is not None
    ff = np.load(r.path / 'first_fit_epoch.npy')
    assert ff.dtype == np.int16 and len(ff) == r.summary['n_train']
    assert 1 <= ff.min() and ff.max() <= r.summary['fit_epoch'], 'every example is fitted, at the latest when the whole set is'
    changed = RandData(digits(), corrupt=0.2).corrupted
    assert ff[changed].mean() > ff[~changed].mean(), 'corrupted examples are fitted later (learning order)'


def test_long_run_warning_and_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(training, 'LONG_RUN_S', 1e-3)
    r = run('digits', corrupt=1.0, epochs=2, out=tmp_path, quiet=True)
    said = [l for l in capsys.readouterr().out.splitlines() if l.startswith('randfit:')]
    assert len(said) == 1 and 'projected' in said[0] and 'a GPU' in said[0], said
    assert 0 < r.summary['projected_s'] < 600
    monkeypatch.setattr(training, 'LONG_RUN_S', 600)
    run('digits', corrupt=1.0, epochs=2, out=tmp_path, quiet=True)
    assert 'projected' not in capsys.readouterr().out
