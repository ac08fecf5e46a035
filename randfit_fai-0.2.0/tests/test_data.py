"Randomizations, datasets and the tensor cache: each one checked on what the DataLoaders serve"
from pathlib import Path
import numpy as np, pytest, torch
from PIL import Image
from randfit_fai.data import RandData, ImageSet, digits, synthetic, load_folder, randomize_pixels, channel_stats, get_dataset


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
    for fast in (True, False):
        dls = rd.dataloaders(bs=32, fast=fast, device='cpu')
        assert torch.allclose(served_images(dls.train, rd), rd.x_train.float(), atol=1e-3)
        assert torch.allclose(served_images(dls.valid, rd), rd.x_test.float(), atol=1e-3)


def test_augmentation_training_split_only():
    rd = RandData(synthetic(n_train=64, n_test=32, shape=(3, 8, 8)), seed=0)
    plain, aug = rd.dataloaders(bs=32, device='cpu'), rd.dataloaders(bs=32, device='cpu', augment=True)
    assert torch.equal(served_images(plain.valid, rd), served_images(aug.valid, rd))
    torch.manual_seed(0)
    assert not torch.allclose(served_images(aug.train, rd), rd.x_train.float(), atol=1e-3)
    from randfit_fai.callbacks import Memorize
    m = Memorize(rd); m.learn = type('L', (), {'dls': aug})()
    m.before_fit()
    assert torch.allclose(served_images(m.eval_dl, rd), rd.x_train.float(), atol=1e-3), 'memorization is measured on unaugmented images'


def test_bad_randomization_inputs():
    ds = digits()
    with pytest.raises(ValueError, match="'pixels'"): RandData(ds, randomize='pixels')
    with pytest.raises(ValueError, match="'sym'"): RandData(ds, corrupt=0.5, noise='sym')
    with pytest.raises(ValueError, match='at least 2'): synthetic(n_classes=1)


def write(path, ds, nested=False, sizes=None):
    for split, xs, ys in (('train', ds.x_train, ds.y_train), ('test', ds.x_test, ds.y_test)):
        for i, (x, y) in enumerate(zip(xs, ys)):
            d = Path(path) / split / (f'super{y % 2}' if nested else '') / ds.classes[y]
            d.mkdir(parents=True, exist_ok=True)
            im = Image.fromarray(x.permute(1, 2, 0).numpy())
            if sizes and i % 7 == 0: im = im.resize(sizes)
            im.save(d / f'{i}.png')


def test_cache_reused_bit_identical_and_rebuilt_when_truncated(tmp_path, monkeypatch):
    src = synthetic(n_train=600, n_test=100, shape=(3, 16, 16))
    write(tmp_path, src)
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
    write(tmp_path / 'nested', src, nested=True)
    ds = load_folder(tmp_path / 'nested')
    assert ds.classes == src.classes and len(ds.x_train) == 40
    write(tmp_path / 'mixed', src, sizes=(6, 6))
    with pytest.raises(ValueError, match='mixed shapes'): load_folder(tmp_path / 'mixed')
    assert load_folder(tmp_path / 'mixed', size=8).x_train.shape[1:] == (3, 8, 8)
    one = ImageSet(src.x_train, np.zeros(40, int), src.x_test, np.zeros(10, int), ['only'])
    write(tmp_path / 'one', one)
    with pytest.raises(ValueError, match='1 class'): load_folder(tmp_path / 'one')
    with pytest.raises(ValueError, match='unknown dataset'): get_dataset('imagenette')
