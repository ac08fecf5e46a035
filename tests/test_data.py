"Randomizations, datasets, the DataBlock and loader, and the tensor cache: each checked on what the DataLoaders serve"
import numpy as np, pytest, torch
from pathlib import Path
import shutil
from PIL import Image
from conftest import image_folder
from randfit_fai.paper import *
from randfit_fai.data import *
from randfit_fai.engine import tensor_dataloaders
from randfit_fai.config import RunConfig
from randfit_fai.training import run


def served_images(dl, rd):
    "Training/test images a DataLoader serves, in item order, back on the 0–255 scale"
    xs = torch.cat([x for x, _ in dl.new(shuffle=False, drop_last=False)])
    return (xs * rd.std.view(1, -1, 1, 1) + rd.mean.view(1, -1, 1, 1)) * 255


def check_pixels(ds):
    sh = RandData(ds, randomize='shuffled_pixels', seed=1)
    inv = sh.perm.argsort()
    undo = lambda x: x.flatten(2)[..., inv].reshape(x.shape)
    assert torch.equal(undo(sh.x_train), ds.x_train) and torch.equal(undo(sh.x_test), ds.x_test)
    assert not torch.equal(sh.x_train, ds.x_train)
    rp = RandData(ds, randomize='random_pixels', seed=1)
    for a, b in ((rp.x_train, ds.x_train), (rp.x_test, ds.x_test)):
        assert torch.equal(a.flatten(1).sort(1).values, b.flatten(1).sort(1).values)
    p1 = rp.x_train[:50].flatten(2).float().argsort(2)
    assert len({tuple(p[0].tolist()) for p in p1}) > 40, 'each image gets its own permutation'
    g = RandData(ds, randomize='gaussian', seed=1)
    (m0, s0), (m1, s1) = channel_stats(ds.x_train), channel_stats(g.x_train)
    assert ((m1 - m0).abs() <= 0.02 * m0).all() and ((s1 - s0).abs() <= 0.02 * s0).all()
    assert g.x_test.shape == ds.x_test.shape


def test_pixel_randomizations_digits(): check_pixels(digits())


@pytest.mark.slow
def test_pixel_randomizations_real_cifar10(cifar10_subset): check_pixels(load_folder(cifar10_subset))


@pytest.mark.parametrize('how', [None, 'shuffled_pixels', 'random_pixels', 'gaussian'])
def test_served_images_are_the_randomized_ones(how):
    rd = RandData(synthetic(n_train=96, n_test=32, shape=(3, 8, 8)), corrupt=0.5, randomize=how, seed=3)
    for dls in (tensor_dataloaders(rd, bs=32, device='cpu'), rd.dataloaders(bs=32, device='cpu')):
        assert torch.allclose(served_images(dls.train, rd), rd.x_train.float(), atol=1e-3)
        assert torch.allclose(served_images(dls.valid, rd), rd.x_test.float(), atol=1e-3)


def test_augmentation_training_split_only():
    rd = RandData(synthetic(n_train=64, n_test=32, shape=(3, 8, 8)), seed=0)
    plain, aug = rd.dataloaders(bs=32, device='cpu'), rd.dataloaders(bs=32, device='cpu', augment=True)
    assert torch.equal(served_images(plain.valid, rd), served_images(aug.valid, rd))
    torch.manual_seed(0)
    assert not torch.allclose(served_images(aug.train, rd), rd.x_train.float(), atol=1e-3)
    from randfit_fai.paper import Memorize
    m = Memorize(rd); m.learn = type('L', (), {'dls': aug})()
    m.before_fit()
    assert torch.allclose(served_images(m.eval_dl, rd), rd.x_train.float(), atol=1e-3), 'memorization is measured on unaugmented images'


def test_bad_randomization_inputs():
    ds = digits()
    with pytest.raises(ValueError, match="'pixels'"): RandData(ds, randomize='pixels')
    with pytest.raises(ValueError, match="'sym'"): RandData(ds, corrupt=0.5, noise='sym')
    with pytest.raises(ValueError, match='at least 2'): synthetic(n_classes=1)


def test_cache_reused_bit_identical_and_rebuilt_when_truncated(tmp_path, monkeypatch):
    src = synthetic(n_train=600, n_test=100, shape=(3, 16, 16))
    image_folder(tmp_path, src)
    a = load_folder(tmp_path)
    import randfit_fai.data as rdata
    with monkeypatch.context() as m:
        m.setattr(rdata, '_decode', lambda *a, **k: pytest.fail('the second build decoded images instead of reading the cache'))
        b = load_folder(tmp_path)
    for k in ('x_train', 'x_test'): assert torch.equal(getattr(a, k), getattr(b, k))
    assert (a.y_train == b.y_train).all() and a.classes == b.classes
    cache = next((tmp_path / '.randfit_cache').glob('*.pt'))
    cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])
    c = load_folder(tmp_path)
    assert torch.equal(c.x_train, a.x_train) and cache.stat().st_size > 1000
    assert not list((tmp_path / '.randfit_cache').glob('*.tmp*'))


def test_nested_folders_and_bad_folders(tmp_path):
    src = synthetic(n_train=40, n_test=10, n_classes=4, shape=(3, 8, 8))
    image_folder(tmp_path / 'nested', src, nested=True)
    ds = load_folder(tmp_path / 'nested')
    assert ds.classes == src.classes and len(ds.x_train) == 40
    image_folder(tmp_path / 'mixed', src, resize=(6, 6))
    with pytest.raises(ValueError, match='mixed shapes'): load_folder(tmp_path / 'mixed')
    assert load_folder(tmp_path / 'mixed', size=8).x_train.shape[1:] == (3, 8, 8)
    one = ImageSet(src.x_train, np.zeros(40, int), src.x_test, np.zeros(10, int), ['only'])
    image_folder(tmp_path / 'one', one)
    with pytest.raises(ValueError, match='1 class'): load_folder(tmp_path / 'one')
    with pytest.raises(ValueError, match='unknown dataset'): get_dataset('imagenette')


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


def test_bad_folders(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='no image files'): run(str(tmp_path / 'empty'), out=tmp_path / 'runs')
    ds = synthetic(n_train=20, n_test=5, n_classes=2, shape=(3, 4, 4))
    image_folder(tmp_path / 'notest', ds)
    shutil.rmtree(tmp_path / 'notest' / 'test')
    with pytest.raises(ValueError, match='test/'): run(str(tmp_path / 'notest'), out=tmp_path / 'runs')
    assert not (tmp_path / 'runs').exists()


@pytest.mark.slow
@pytest.mark.parametrize('p', [0., 0.5, 1.])
def test_real_cifar10_corruption(cifar10_subset, p):
    ds = load_folder(cifar10_subset)
    assert ds.n_classes == 10 and len(ds.x_train) == 1000
    a, b = RandData(ds, corrupt=p, seed=7), RandData(load_folder(cifar10_subset), corrupt=p, seed=7)
    dl = a.dataloaders(bs=100, device='cpu')
    from randfit_fai.paper import served_labels
    y1, y2, y3 = served_labels(dl.train), served_labels(dl.train), served_labels(b.dataloaders(bs=100, device='cpu').train)
    assert (y1 == y2).all() and (y1 == y3).all()
    q, n = 0.9 * p, len(y1)
    rate = (y1.numpy() != ds.y_train).mean()
    assert abs(rate - q) <= 3 * np.sqrt(q * (1 - q) / n) + 1e-12
    assert (served_labels(dl.valid).numpy() == ds.y_test).all()


def test_names_that_are_not_utf8_are_refused_before_any_work(tmp_path):
    "Linux file names are bytes: an image (or the data set's folder) whose name is not UTF-8 is refused, not trained on"
    import os
    src = synthetic(n_train=20, n_test=8, n_classes=2, shape=(3, 8, 8))
    root = image_folder(tmp_path / 'imgs', src)
    first = next((root / 'train' / 'c0').iterdir())
    os.rename(bytes(first), bytes(first.parent) + b'/\xff\xfe.png')
    with pytest.raises(ValueError, match='is not UTF-8: rename it'): run(str(root), out=tmp_path / 'runs', quiet=True)
    assert not (tmp_path / 'runs').exists()
    odd = os.fsdecode(bytes(tmp_path) + b'/data-\xff')
    image_folder(odd, src)
    with pytest.raises(ValueError, match='is not UTF-8'): run(odd, out=tmp_path / 'runs', quiet=True)


def test_a_folder_of_grey_and_colour_images_says_what_to_do(tmp_path):
    src = synthetic(n_train=20, n_test=8, n_classes=2, shape=(3, 8, 8))
    root = image_folder(tmp_path / 'imgs', src)
    grey = next((root / 'train' / 'c1').iterdir())
    Image.open(grey).convert('L').save(grey)
    with pytest.raises(ValueError, match=r'mix grey \(1 channel, e\.g\. .*\) and colour \(3 channels, e\.g\. .*\).*convert them'):
        load_folder(root)


def test_images_that_would_not_fit_in_memory_are_refused_before_decoding(tmp_path, monkeypatch):
    "The decoded size comes from the images' headers; size= makes it fit"
    import randfit_fai.data as rdata
    root = image_folder(tmp_path / 'imgs', synthetic(n_train=40, n_test=10, n_classes=2, shape=(3, 64, 64)))
    monkeypatch.setattr(rdata, 'free_memory', lambda device='cpu': 1_000_000)
    monkeypatch.setattr(rdata, '_decode', lambda *a, **k: pytest.fail('decoded before the memory check'))
    with pytest.raises(ValueError, match=r'GiB to decode, more than .* pass size='): load_folder(root)
    assert not (root / '.randfit_cache').exists() or not list((root / '.randfit_cache').iterdir())
    monkeypatch.undo()
    monkeypatch.setattr(rdata, 'free_memory', lambda device='cpu': 1_000_000)
    assert load_folder(root, size=8).x_train.shape[1:] == (3, 8, 8)


def test_a_full_disk_never_stops_a_folder_from_loading(tmp_path, monkeypatch):
    "The image cache is optional: one that cannot be written is left out, with a warning, and nothing half-written stays"
    import errno, randfit_fai.files as files
    src = synthetic(n_train=20, n_test=8, n_classes=2, shape=(3, 8, 8))
    root = image_folder(tmp_path / 'imgs', src)
    def full(tmp):
        tmp.write_bytes(b'partial')
        raise OSError(errno.ENOSPC, 'No space left on device')
    real = files.atomic_write
    monkeypatch.setattr(files, 'atomic_write', lambda fname, write: real(fname, full))
    with pytest.warns(UserWarning, match='could not be written'): ds = load_folder(root)
    assert len(ds.x_train) == 20 and not list((root / '.randfit_cache').glob('*'))


def test_an_image_replaced_with_same_size_and_time_is_decoded_again(tmp_path):
    "The cache key holds each file's ctime, which any write changes, besides its size and mtime"
    import os
    src = synthetic(n_train=20, n_test=8, n_classes=2, shape=(3, 8, 8))
    root = image_folder(tmp_path / 'imgs', src, ext='bmp')  # uncompressed: one size for any pixels
    first = load_folder(root)
    fn = next((root / 'train' / 'c0').iterdir())
    st = fn.stat()
    Image.fromarray(np.full((8, 8, 3), 7, np.uint8)).save(fn)
    os.utime(fn, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert fn.stat().st_size == st.st_size and fn.stat().st_mtime_ns == st.st_mtime_ns
    again = load_folder(root)
    assert not torch.equal(again.x_train, first.x_train) and (again.x_train == 7).all(dim=(1, 2, 3)).any()
