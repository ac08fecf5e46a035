"The walking skeleton's guarantees: exact, fixed corruption; untouched test labels; the silent-bug guard; bad input"
import json, subprocess, sys
from pathlib import Path
import numpy as np, pytest, torch
from fastai.vision.all import Learner, SGD, CrossEntropyLossFlat, partial
import randfit_fai
from randfit_fai.data import ImageSet, RandData, corrupt_labels, digits, synthetic, load_folder
from randfit_fai.callbacks import Memorize, check_served
from randfit_fai.models import create_model
from randfit_fai.run import run


def indexed_set(n_train=300, n_test=60, k=5):
    "Images whose pixels spell their own index, so a served batch can be traced back to its items"
    def enc(n, off): return torch.tensor([[(i + off) // 256, (i + off) % 256] for i in range(n)], dtype=torch.uint8).view(n, 1, 1, 2)
    rng = np.random.default_rng(0)
    return ImageSet(enc(n_train, 0), rng.integers(0, k, n_train), enc(n_test, n_train), rng.integers(0, k, n_test), [f'c{i}' for i in range(k)])


def served_pairs(dl, rd):
    "(item index, label) for every item a DataLoader serves in one epoch, read back from the normalized pixels"
    out = []
    for x, y in dl:
        x = ((x * rd.std.view(1, -1, 1, 1) + rd.mean.view(1, -1, 1, 1)) * 255).round().long()
        idx = (x[:, 0, 0, 0] * 256 + x[:, 0, 0, 1]).tolist()
        out += zip(idx, y.tolist())
    return out


@pytest.mark.parametrize('p', [0., 0.3, 1.])
def test_corruption_rate(p):
    y = np.random.default_rng(1).integers(0, 10, 20000)
    q = p * 0.9
    se = np.sqrt(q * (1 - q) / len(y)) if 0 < q < 1 else 0
    assert abs((corrupt_labels(y, 10, p, seed=5) != y).mean() - q) <= 3 * se + 1e-12


def test_determinism():
    y = digits().y_train
    assert (corrupt_labels(y, 10, 0.5, seed=3) == corrupt_labels(y, 10, 0.5, seed=3)).all()
    assert (corrupt_labels(y, 10, 0.5, seed=3) != corrupt_labels(y, 10, 0.5, seed=4)).any()
    assert (RandData(digits(), 0.5, seed=3).y == RandData(digits(), 0.5, seed=3).y).all()


def test_labels_fixed_across_epochs_and_test_untouched():
    ds = indexed_set()
    rd = RandData(ds, corrupt=1.0, seed=2)
    dls = rd.dataloaders(bs=32, device='cpu')
    e1, e2 = served_pairs(dls.train, rd), served_pairs(dls.train, rd)
    assert [i for i, _ in e1] != [i for i, _ in e2], 'the training loader should shuffle'
    for pairs in (e1, e2):
        for i, y in pairs: assert y == rd.y[i]
    assert len(dict(e1)) == len(e1) and dict(e1).items() <= {i: int(rd.y[i]) for i in range(rd.n_train)}.items()
    test = served_pairs(dls.valid, rd)
    assert sorted(test) == [(rd.n_train + i, int(ds.y_test[i])) for i in range(rd.n_test)]
    assert (rd.y != ds.y_train).mean() > 0.7


def test_guard_fires_when_corruption_is_bypassed():
    "Corrupted labels drawn, but the DataLoader reads the clean ones: training must refuse to start"
    ds = synthetic(n_train=128, n_test=32)
    rd = RandData(ds, corrupt=1.0, seed=0)
    clean = RandData(ds, corrupt=0.0).dataloaders(bs=32, device='cpu')
    learn = Learner(clean, create_model('mlp-1x64', 10, (3, 32, 32)), loss_func=CrossEntropyLossFlat(), opt_func=partial(SGD, mom=0.9), cbs=Memorize(rd))
    with pytest.raises(RuntimeError, match='serves the clean labels'):
        with learn.no_bar(), learn.no_logging(): learn.fit(1, 0.01)
    assert abs(check_served(rd.dataloaders(bs=32, device='cpu').train, rd) - (rd.y != ds.y_train).mean()) < 1e-12


@pytest.mark.parametrize('kw,err,msg', [
    (dict(corrupt=1.5), ValueError, '1.5'), (dict(corrupt=-0.1), ValueError, '-0.1'), (dict(corrupt='half'), ValueError, "'half'"),
    (dict(corrupt=float('nan')), ValueError, 'nan'), (dict(dataset='imagenet'), ValueError, 'cifar10'),
    (dict(dataset='/no/such/dir'), FileNotFoundError, '/no/such/dir'), (dict(epochs=0), ValueError, 'epochs'),
    (dict(arch='resnet50'), ValueError, 'resnet50'), (dict(randomize='noise'), ValueError, "'noise'"),
])
def test_bad_input_writes_nothing(tmp_path, kw, err, msg):
    out = tmp_path / 'runs'
    with pytest.raises(err, match=msg.replace('.', r'\.').replace('/', '/')): run(out=out, quiet=True, **kw)
    assert not out.exists()


def test_bad_folders(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='no image files'): run(str(tmp_path / 'empty'), out=tmp_path / 'runs')
    ds = synthetic(n_train=20, n_test=5, n_classes=2, shape=(3, 4, 4))
    from PIL import Image
    for i, x in enumerate(ds.x_train):
        d = tmp_path / 'notest' / 'train' / f'c{ds.y_train[i]}'; d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(x.permute(1, 2, 0).numpy()).save(d / f'{i}.png')
    with pytest.raises(ValueError, match='test/'): run(str(tmp_path / 'notest'), out=tmp_path / 'runs')
    assert not (tmp_path / 'runs').exists()


def test_run_folder_not_overwritten(tmp_path):
    a = run('digits', epochs=1, out=tmp_path, quiet=True)
    b = run('digits', epochs=1, out=tmp_path, quiet=True)
    c = run('digits', epochs=1, out=tmp_path, quiet=True, overwrite=True)
    assert a.path != b.path and c.path == a.path
    s = json.loads((a.path / 'summary.json').read_text())
    for k in ('fit_epoch', 'fit_time_s', 'final_train_acc', 'final_test_acc', 'corrupt', 'corrupt_frac_realized', 'n_train', 'n_test',
              'n_classes', 'arch', 'n_params', 'device', 'seed', 'version'):
        assert k in s
    assert s['fit_epoch'] is None and s['fit_time_s'] is None and s['version'] == randfit_fai.__version__


def test_history_columns():
    r = run('digits', corrupt=0.5, epochs=2, stop_at_fit=False, out=Path(__import__('tempfile').mkdtemp()), quiet=True)
    cols = ['epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'train_acc_clean', 'train_acc_corrupted', 'time_s']
    assert list(r.history.epoch) == [1, 2] and set(cols) <= set(r.history.columns)
    for c in ('train_acc', 'test_acc', 'train_acc_clean', 'train_acc_corrupted'): assert r.history[c].between(0, 1).all()


def test_cli(tmp_path):
    h = subprocess.run(['randfit', '--help'], capture_output=True, text=True, check=True).stdout
    import inspect
    for p in inspect.signature(randfit_fai.run.__wrapped__ if hasattr(randfit_fai.run, '__wrapped__') else randfit_fai.run).parameters:
        if p in ('name', 'data', 'quiet', 'stop_at_fit', 'graph', 'cbs'): continue
        assert f"--{p.replace('_', '-')}" in h, p
    assert '--full' in h and '--eager' in h  # stop_at_fit=False, graph=False
    r = subprocess.run(['randfit', '--epochs', '2', '--out', str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert 'digits-mlp-1x512-p1-s0' in r.stdout and len(list(tmp_path.iterdir())) == 2
    bad = subprocess.run(['randfit', '--corrupt', '0.5', '2', '--out', str(tmp_path / 'x')], capture_output=True, text=True)
    assert bad.returncode != 0 and '2.0' in bad.stderr and not (tmp_path / 'x').exists()


@pytest.mark.slow
@pytest.mark.parametrize('p', [0., 0.5, 1.])
def test_real_cifar10_corruption(cifar10_subset, p):
    ds = load_folder(cifar10_subset)
    assert ds.n_classes == 10 and len(ds.x_train) == 1000
    a, b = RandData(ds, corrupt=p, seed=7), RandData(load_folder(cifar10_subset), corrupt=p, seed=7)
    dl = a.dataloaders(bs=100, device='cpu')
    from randfit_fai.callbacks import served_labels
    y1, y2, y3 = served_labels(dl.train), served_labels(dl.train), served_labels(b.dataloaders(bs=100, device='cpu').train)
    assert (y1 == y2).all() and (y1 == y3).all()
    q, n = 0.9 * p, len(y1)
    rate = (y1.numpy() != ds.y_train).mean()
    assert abs(rate - q) <= 3 * np.sqrt(q * (1 - q) / n) + 1e-12
    assert (served_labels(dl.valid).numpy() == ds.y_test).all()
