"Experiment engine: the paper's recipe on CIFAR-shaped data, regularizer switches, per-example learning order"
import numpy as np, torch
from torch import nn
from randfit_fai.data import synthetic
from randfit_fai.models import create_model, count_params
from randfit_fai.run import run


def test_paper_recipe_on_cifar_shaped_data(tmp_path):
    r = run('synthetic', corrupt=1.0, recipe='paper', arch='alexnet', epochs=2, out=tmp_path, quiet=True, stop_at_fit=False)
    s = r.summary
    assert (s['recipe'], s['lr'], s['bs'], s['epochs_run']) == ('paper', 0.005, 32, 2), "the paper's lr scaled to the batch 512 images allow"
    assert s['n_params'] == count_params(create_model('alexnet', 10, (3, 28, 28)))
    assert 'paper' in r.path.name


def test_regularizer_switches():
    nobn = create_model('wrn-10-1-nobn', 10)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in nobn.modules())
    assert any(isinstance(m, nn.Dropout) and m.p == 0.3 for m in create_model('wrn-16-4-drop0.3', 10).modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in create_model('inception-nobn', 10).modules())


def test_weight_decay_and_augment_reach_the_optimizer_and_loader(tmp_path):
    r = run('digits', corrupt=0., wd=5e-4, augment=True, epochs=2, out=tmp_path, quiet=True)
    assert r.summary['wd'] == 5e-4 and r.summary['augment'] and r.path.name.endswith('-wd0.0005-aug-s0')


def test_first_fit_epochs(tmp_path):
    r = run('digits', corrupt=0.2, first_fit=True, out=tmp_path, quiet=True)
    assert r.summary['fit_epoch'] is not None
    ff = np.load(r.path / 'first_fit_epoch.npy')
    assert ff.dtype == np.int16 and len(ff) == r.summary['n_train']
    assert 1 <= ff.min() and ff.max() <= r.summary['fit_epoch'], 'every example is fitted, at the latest when the whole set is'
    from randfit_fai.data import RandData, digits
    changed = RandData(digits(), corrupt=0.2).corrupted
    assert ff[changed].mean() > ff[~changed].mean(), 'corrupted examples are fitted later (learning order)'
